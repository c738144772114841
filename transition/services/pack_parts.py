"""The parts of a hand-back pack: each a function of the engagement's state answering the
files it adds (path in the pack → bytes). ``PARTS`` is the list ``pack`` writes; an area
adds its own records (exercises, RAID log, decisions…) by appending a function to it.

Every part reads through the services in a fixed number of queries, and gives the same
bytes for the same state: rows in a stable order, no clock read (the time a part shows is
the pack's ``state_at``, the engagement's newest audit event).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from transition.models import AuditEvent, Engagement

#: What a part answers: file path in the pack (``/``-separated, relative) → content.
Files = dict[str, bytes]


@dataclass(frozen=True)
class PackContext:
    """What every part is given: the session, the engagement and the instant its state
    was last changed (the pack's stand-in for "now" wherever a file shows a time)."""

    session: Session
    engagement: Engagement
    state_at: datetime


Part = Callable[[PackContext], Files]


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _cell(v) for v in row])
    return out.getvalue().encode("utf-8")


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # a spreadsheet would run it as a formula
    return value


def _when(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value or "")


# --------------------------------------------------------------------------- access


LEDGER_COLUMNS = (
    "grant_id",
    "person",
    "side",
    "system",
    "role",
    "justification",
    "granted_at",
    "granted_by",
    "expires_on",
    "expires_rule",
    "status",
    "revoked_at",
    "revoked_by",
    "revoke_reason",
    "history",
)


def access_ledger(ctx: PackContext) -> Files:
    """``access-ledger.csv``: every grant, oldest first, with who granted it and why, its
    expiry, its revocation (who, when, why) and every change the log holds for it
    (``at actor action field: before -> after``, ``;``-separated). Two queries."""
    from transition.services import access

    grants = sorted(access.list_grants(ctx.session, ctx.engagement), key=lambda g: g.id)
    events = ctx.session.execute(
        select(
            AuditEvent.entity_id,
            AuditEvent.at,
            AuditEvent.actor,
            AuditEvent.action,
            AuditEvent.field,
            AuditEvent.before,
            AuditEvent.after,
        )
        .where(
            AuditEvent.engagement_id == ctx.engagement.id,
            AuditEvent.entity.in_(("access_grant", "grant")),
        )
        .order_by(AuditEvent.id)
    )
    history: dict[int, list[str]] = {}
    for gid, at, actor, action, field, before, after in events:
        change = f"{_when(at)} {actor} {action}"
        if field:
            change += f" {field}: {before if before is not None else ''} -> "
            change += after if after is not None else ""
        history.setdefault(gid, []).append(change)
    rows = (
        (
            g.id,
            g.person,
            g.side,
            g.system,
            g.role,
            g.justification,
            g.granted_at,
            g.approver,
            g.expires_on.isoformat() if g.expires_on else None,
            g.expires_rule,
            g.status,
            g.revoked_at,
            g.revoked_by,
            g.revoke_reason,
            "; ".join(history.get(g.id, [])),
        )
        for g in grants
    )
    return {"access-ledger.csv": _csv(LEDGER_COLUMNS, rows)}


# --------------------------------------------------------------------------- runbooks


def runbooks(ctx: PackContext) -> Files:
    """``runbooks.csv`` (each runbook's status, owners, unfilled placeholders and the
    file of its text in the pack) and ``runbooks/SYSTEM/TEMPLATE.md``: each runbook's file
    as it is on disk now (a missing file is said so in ``runbooks.csv``)."""
    from transition.services import runbooks as service
    from transition.services import system_people
    from transition.services.transfer import runbook_text

    rows = sorted(
        service.list_runbooks(ctx.session, ctx.engagement),
        key=lambda r: (r.system_slug, r.template, r.id),
    )
    owners: dict[str, list[str]] = {}
    for h in system_people.holders(ctx.session, ctx.engagement):
        if h.role == "owner":
            owners.setdefault(h.system, []).append(f"{h.person} ({h.side})")
    files: Files = {}
    table = []
    for r in rows:
        text = runbook_text(r.path)
        name = f"runbooks/{r.system_slug}/{r.template}.md"
        if text is not None:
            files[name] = text.encode("utf-8")
        table.append(
            (
                r.id,
                r.system,
                r.template,
                r.title,
                r.status,
                "; ".join(owners.get(r.system, [])),
                r.placeholders_left,
                r.conflicts,
                name if text is not None else "(file missing or not UTF-8 text)",
            )
        )
    header = (
        "runbook_id",
        "system",
        "template",
        "title",
        "status",
        "owners",
        "placeholders_left",
        "conflicts",
        "file",
    )
    files["runbooks.csv"] = _csv(header, table)
    return files


# --------------------------------------------------------------------------- KT


def kt_record(ctx: PackContext) -> Files:
    """``kt-sessions.csv`` (every session with presenters, attendees, who signed it off,
    when and with what confidence) and ``kt-coverage.csv`` (the coverage matrix by system
    and topic: per kind of KT its best status, who holds the knowledge, who received it)."""
    from transition.services import kt, kt_topics

    sessions = sorted(
        kt.list_sessions(ctx.session, ctx.engagement), key=lambda s: (s.starts_at, s.id)
    )
    header = (
        "session_id",
        "system",
        "topic",
        "kind",
        "starts_at",
        "minutes",
        "status",
        "presenters",
        "attendees",
        "held_at",
        "signed_off_by",
        "signed_off_at",
        "confidence",
        "follow_ups",
        "cancel_reason",
    )
    session_rows = (
        (
            s.id,
            s.system,
            s.topic,
            s.kind,
            s.starts_at,
            s.minutes,
            s.status,
            "; ".join(s.presenters),
            "; ".join(s.attendees),
            s.held_at,
            s.signed_off_by,
            s.signed_off_at,
            s.confidence,
            s.follow_ups,
            s.cancel_reason,
        )
        for s in sessions
    )
    matrix = kt_topics.coverage_matrix(ctx.session, ctx.engagement)
    kinds = sorted({cell.kind for row in matrix for cell in row.kinds})
    coverage_rows = []
    for row in matrix:
        cells = {cell.kind: cell for cell in row.kinds}
        coverage_rows.append(
            (
                row.system,
                row.tier,
                row.topic,
                *(cells[k].status if k in cells else "" for k in kinds),
                "; ".join(row.holders),
                "; ".join(row.received),
                "; ".join(row.missing),
                row.at_risk,
            )
        )
    coverage_header = (
        "system",
        "tier",
        "topic",
        *kinds,
        "holders",
        "received",
        "missing",
        "at_risk",
    )
    return {
        "kt-sessions.csv": _csv(header, session_rows),
        "kt-coverage.csv": _csv(coverage_header, coverage_rows),
    }


# --------------------------------------------------------------------------- exit checklist


def exit_checklist(ctx: PackContext) -> Files:
    """``exit-checklist.yaml`` and ``exit-checklist.md``: every item of the exit checklist
    (derived ones included) by section, with its state, owner, source, who resolved it,
    when, and the note."""
    from transition.services import handover

    items = handover.show(ctx.session, ctx.engagement)
    sections: list[dict[str, object]] = []
    for item in items:
        if not sections or sections[-1]["key"] != item.section:
            sections.append(
                {"key": item.section, "title": item.section_title or item.section, "items": []}
            )
        entry = {
            "key": item.key,
            "title": item.title,
            "status": item.status,
            "owner": item.owner,
            "source": item.source,
            "resolved_at": _when(item.resolved_at) or None,
            "resolved_by": item.resolved_by,
            "note": item.note,
        }
        if item.description:
            entry["description"] = item.description
        sections[-1]["items"].append(entry)  # type: ignore[union-attr]
    document = {
        "engagement": ctx.engagement.slug,
        "as_of": ctx.state_at.isoformat(),
        "sections": sections,
    }
    text = checklist_yaml(document)
    mark = {"open": "[ ]", "done": "[x]", "resolved": "[x]", "retired": "[-]"}
    lines = [f"# Exit checklist: {_md(ctx.engagement.name)}", "", f"As of {document['as_of']}."]
    for section in sections:
        lines += ["", f"## {_md(str(section['title']))}", ""]
        for entry in section["items"]:  # type: ignore[attr-defined]
            line = f"- {mark.get(entry['status'], '[ ]')} {_md(entry['title'])} ({entry['status']})"
            if entry["owner"]:
                line += f", owner {_md(entry['owner'])}"
            if entry["resolved_by"]:
                line += f", by {_md(entry['resolved_by'])} on {entry['resolved_at']}"
            if entry["note"]:
                line += f": {_md(entry['note'])}"
            lines.append(line)
    return {
        "exit-checklist.yaml": text.encode("utf-8"),
        "exit-checklist.md": ("\n".join(lines) + "\n").encode("utf-8"),
    }


#: What YAML reads as a line break or refuses inside a quoted scalar: escaped.
_YAML_UNSAFE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_JSON = json.JSONEncoder(ensure_ascii=False).encode


def _scalar(value: object) -> str:
    """A value as a YAML flow scalar: JSON is YAML, and its strings are double-quoted YAML
    scalars once the characters YAML treats differently are escaped."""
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", _JSON(value))


def checklist_yaml(document: dict[str, object]) -> str:
    """The checklist as YAML, an item per line (a flow mapping of JSON scalars): what
    ``yaml.safe_load`` reads back, written many times faster than a YAML emitter can."""
    lines = [f"{key}: {_scalar(value)}" for key, value in document.items() if key != "sections"]
    lines.append("sections:" if document["sections"] else "sections: []")
    for section in document["sections"]:  # type: ignore[attr-defined]
        lines.append(f"- key: {_scalar(section['key'])}")
        lines.append(f"  title: {_scalar(section['title'])}")
        lines.append("  items:")
        for item in section["items"]:
            pairs = ", ".join(f"{_scalar(k)}: {_scalar(v)}" for k, v in item.items())
            lines.append(f"  - {{{pairs}}}")
    return "\n".join(lines) + "\n"


def _md(value: str) -> str:
    """User text as literal Markdown on one line: markup characters escaped."""
    out = " ".join(value.split())
    for char in "\\`*_{}[]<>#|!":
        out = out.replace(char, "\\" + char)
    return out


# --------------------------------------------------------------------------- report, export


def status_report(ctx: PackContext) -> Files:
    """``status-report.html``: the status report (``transition report --format html``),
    dated by the state it shows."""
    from transition import reports

    data = reports.report_data(ctx.session, ctx.engagement)
    data["generated_at"] = ctx.state_at
    return {"status-report.html": reports.render(data, "html").encode("utf-8")}


def full_export(ctx: PackContext) -> Files:
    """``export.json``: the engagement's lossless export (``transition export``), runbook
    texts and audit log included, dated by the state it holds."""
    from transition.services import transfer

    document = transfer.export_data(ctx.session, ctx.engagement)
    document["exported_at"] = ctx.state_at.isoformat()
    return {"export.json": transfer.dumps(document).encode("utf-8")}


#: The parts a pack holds, in the order they are built.
PARTS: list[Part] = [access_ledger, runbooks, kt_record, exit_checklist, status_report, full_export]


def state_at(session: Session, engagement: Engagement) -> datetime:
    """When the engagement's state last changed: its newest audit event (one query)."""
    from datetime import UTC

    at = session.execute(
        select(AuditEvent.at)
        .where(AuditEvent.engagement_id == engagement.id)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).scalar()
    if at is None:  # every engagement's log starts with its ``create`` event
        from transition.dates import utcnow

        at = utcnow()
    return at if at.tzinfo else at.replace(tzinfo=UTC)
