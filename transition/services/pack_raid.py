"""The hand-back pack's RAID part: the whole log as CSV and the decisions as Markdown,
written only when the engagement keeps a RAID log."""

from __future__ import annotations

from transition.services import raid_read
from transition.services.pack_parts import Files, PackContext, _csv, _md

RAID_COLUMNS = (
    "ref",
    "kind",
    "title",
    "status",
    "owner",
    "party",
    "probability",
    "impact",
    "score",
    "due",
    "mitigation",
    "resolution",
    "phase",
    "created_at",
    "created_by",
    "closed_at",
    "closed_by",
    "links",
)


def raid_log(ctx: PackContext) -> Files:
    """``raid-log.csv`` (every entry, decisions included, by kind and number) and
    ``decisions.md`` when there are decisions; nothing when the log is empty."""
    entries = raid_read.items(ctx.session, ctx.engagement)
    if not entries:
        return {}
    rows = (
        (
            e.ref,
            e.kind,
            e.title,
            e.status,
            e.owner,
            e.party,
            e.probability,
            e.impact,
            e.score,
            e.due.isoformat() if e.due else None,
            e.mitigation,
            e.resolution,
            e.phase,
            e.created_at,
            e.created_by,
            e.closed_at,
            e.closed_by,
            "; ".join(f"{link.kind}: {link.name}" for link in e.links),
        )
        for e in entries
    )
    files = {"raid-log.csv": _csv(RAID_COLUMNS, rows)}
    decisions = [e for e in entries if e.kind == "decision"]
    if decisions:
        lines = [f"# Decisions: {_md(ctx.engagement.name)}", ""]
        for e in decisions:
            line = f"- {e.ref} {_md(e.title)} ({e.status}), {e.created_at.date()} by "
            line += _md(e.created_by)
            if e.phase:
                line += f", phase {_md(e.phase)}"
            if e.mitigation:
                line += f": {_md(e.mitigation)}"
            if e.resolution:
                line += f"; resolved: {_md(e.resolution)}"
            lines.append(line)
        files["decisions.md"] = ("\n".join(lines) + "\n").encode("utf-8")
    return files
