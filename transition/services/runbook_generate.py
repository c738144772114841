"""``runbook generate --missing``: every runbook the playbook requires, all or nothing.

For every active system, the runbooks its tier requires (``runbooks`` plus
``tier_runbooks``) that are not recorded yet are generated as ``runbook new`` generates
one (the system's owners and escalation contacts from the database), in one transaction
and in bulk: the people and every system's owners are read once, each skeleton rendered,
then the runbooks, their handover items and every audit event (the chain in the same
order as one ``runbook new`` after another) are inserted a table at a time, so the
number of statements does not grow with the number of skeletons. The files are written
only after every row is recorded and flushed, all at once (``runbook_files.write_many``:
each to a temporary file, flushed to disk, then renamed into place), so a refusal or a
failure leaves no file and no row. A process killed after the files are renamed and
before the commit leaves files no runbook records; they are the skeletons themselves, so
running the command again takes them over (an edited one is refused, never overwritten).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from shlex import quote

from sqlalchemy import Row, select
from sqlmodel import Session

from transition import errors
from transition.dates import utcnow
from transition.errors import BadInput
from transition.models import Engagement, Runbook, System
from transition.playbooks import from_json
from transition.services import audit, handover, runbooks
from transition.services import runbook_files as files
from transition.services.common import EngagementRef, engagement_of
from transition.services.rows import insert_keyed
from transition.services.runbook_templates import (
    BUILTIN,
    HINTS,
    check_sets,
    context,
    context_sources,
    encode_answers,
    parse_sets,
)
from transition.services.views.runbooks import RunbookGenerated, RunbooksGenerated

ENTITY = runbooks.ENTITY


def _missing(session: Session, engagement_id: int, playbook_json: str) -> list[tuple[Row, str]]:
    """``(system row, template)`` of every required runbook not recorded yet, by tier,
    system and the playbook's order (two queries)."""
    playbook = from_json(playbook_json)
    have = set(
        session.execute(
            select(Runbook.system_id, Runbook.template).where(
                Runbook.engagement_id == engagement_id
            )
        ).all()
    )
    out = []
    for system in session.execute(
        select(System.id, System.name, System.slug, System.tier)
        .where(System.engagement_id == engagement_id, System.removed_at.is_(None))
        .order_by(System.tier, System.slug)
    ):
        out.extend(
            (system, t)
            for t in playbook.required_runbooks(system.tier)
            if (system.id, t) not in have
        )
    return out


def generate_missing(
    session: Session,
    engagement: EngagementRef,
    *,
    missing: bool = True,
    out_dir: Path | str | None = runbooks.DEFAULT_OUT,
    sets: Mapping[str, str] | Iterable[str] = (),
    dry_run: bool = False,
    template_dirs: Iterable[str | Path] = (),
) -> RunbooksGenerated:
    """Generate every missing required runbook (see the module). ``sets``: template
    variables, each given to the templates that read it (one no template reads is
    refused). ``dry_run`` lists what would be made and changes nothing."""
    from transition import templates

    if not missing:
        raise BadInput("say what to generate: --missing", field="missing")
    engagement = engagement_of(session, engagement)
    sets = dict(sets) if isinstance(sets, Mapping) else parse_sets(sets)
    clash = sorted(k for k in sets if k in BUILTIN)
    if clash:
        raise BadInput(
            f"--set {', '.join(clash)}: filled from the database, cannot be set by hand",
            field="sets",
        )
    todo = _missing(session, engagement.id, engagement.playbook_json)
    with errors.about("template_dirs"):
        dirs = templates.search_dirs(template_dirs)
    infos, reads = {}, {}
    for name in dict.fromkeys(t for _, t in todo):
        with errors.about("template"):
            infos[name] = info = templates.get(name, dirs=dirs)
        reads[name] = set(info.variables) | templates.referenced_variables(info, dirs)
    unused = sorted(k for k in sets if not any(k in known for known in reads.values()))
    if unused and todo:
        raise BadInput(
            f"--set {', '.join(unused)}: no template of the runbooks to generate reads "
            f"{'this variable' if len(unused) == 1 else 'these variables'}",
            field="sets",
        )
    given = {name: {k: v for k, v in sets.items() if k in reads[name]} for name in infos}
    for name, info in infos.items():
        with errors.about("sets"):
            check_sets(given[name], info, dirs)
    sources = context_sources(session, engagement) if todo else ([], {})
    writes: list[tuple[Path, Path, str]] = []
    made: list[RunbookGenerated] = []
    rows: list[dict[str, object]] = []
    now, who = utcnow(), audit.actor(session)
    for system, name in todo:
        info = infos[name]
        with errors.about("out_dir"):
            base, path = files.target(out_dir or runbooks.DEFAULT_OUT, system.slug, name)
        values = context(session, engagement, system, sources=sources)
        values["template"] = templates.Record(name=info.name, title=info.title)
        values.update(given[name])
        with errors.about("template"):
            text = templates.render(info, values, dirs, hints=HINTS, provided=BUILTIN)
        result = RunbookGenerated(
            id=None,
            system=system.name,
            system_slug=system.slug,
            template=name,
            title=info.title,
            path=str(path),
            status="drafted",
            placeholders=templates.count_placeholders(text),
            dry_run=dry_run,
            regenerated=False,
        )
        made.append(result)
        # Only a file no runbook records can be there: unedited, it is taken over. An
        # edited one is refused, by a dry run too, so the preview says what the run will.
        on_disk = files.read_existing(path) if files.inside(base, path) else None
        if on_disk is not None and on_disk != text.encode("utf-8"):
            runbooks.refuse_edited(
                path,
                text,
                on_disk,
                advice="move it out of the way, or make this runbook alone with "
                f"`transition runbook new {quote(engagement.slug)} --system "
                f"{quote(system.slug)} --template {name} --out {quote(str(base))} "
                f"--force --discard-edits` (which keeps the old file as {path.name}.orig)",
            )
        if dry_run:
            continue
        writes.append((base, path, text))
        rows.append(
            {
                "engagement_id": engagement.id,
                "system_id": system.id,
                "template": name,
                "title": info.title,
                "path": result.path,
                "status": "drafted",
                "skeleton_placeholders": result.placeholders,
                "template_version": info.version,
                "template_hash": info.hash,
                "answers_json": encode_answers(values, given[name]),
                "conflicts": 0,
                "skeleton": text,
                "created_at": now,
                "created_by": who,
                "version": 1,
            }
        )
    if not dry_run and rows:
        _record_all(session, engagement, todo, made, rows)
        session.flush()  # every row first: a refusal there leaves no file written
        files.write_many(writes)
    return RunbooksGenerated(dry_run=dry_run, runbooks=made)


def _record_all(
    session: Session,
    engagement: Engagement,
    todo: list[tuple[Row, str]],
    made: list[RunbookGenerated],
    rows: list[dict[str, object]],
) -> None:
    """The runbooks in one insert, then their handover items and every audit event
    (``runbook new``'s five per runbook, then its item's) in one insert each."""
    ids = insert_keyed(session, Runbook, rows, key=("system_id", "template"))
    derived = []
    for rid, (system, _), result in zip(ids, todo, made, strict=True):
        result.id = rid
        events = [
            audit.Change(ENTITY, rid, "create", "template", None, result.template),
            audit.Change(ENTITY, rid, "create", "system", None, system.slug),
            audit.Change(ENTITY, rid, "create", "path", None, result.path),
            audit.Change(ENTITY, rid, "create", "status", None, "drafted"),
            audit.Change(ENTITY, rid, "create", "skeleton_placeholders", None, result.placeholders),
        ]
        derived.append((rid, handover.runbook_item_title(result.title, system.name), events))
    handover.derive_many(session, engagement, "runbook", derived)
