"""Runbooks: skeletons generated from templates per system, and how finished each one is.

``generate`` renders a template with what the database knows (engagement, system, owners,
escalation contacts) plus ``--set`` values and writes ``<out>/<system-slug>/<template>.md``
(``runbook_files``: the path cannot leave ``out``), recording the template's version and
hash and the answers it was rendered with. An existing file or runbook is never replaced
without ``force``, which on a recorded runbook merges the template in (``runbook_update``).

Lifecycle ``drafted`` → ``reviewed`` → ``validated`` (exercised during the parallel run) →
``accepted``, one step forward at a time (``next_status``); anything else needs ``force``
and a written reason, which goes into the audit log. Completion is also measured on disk:
the ``[[FILL: …]]`` markers left in the file against those in the fresh skeleton.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Row, bindparam, insert, select
from sqlmodel import Session

from transition import errors
from transition.dates import utcnow
from transition.errors import BadInput, NotFound, Refused
from transition.guard import no_secrets
from transition.models import Engagement, Runbook, System
from transition.services import audit, handover, runbook_evidence
from transition.services import runbook_files as files
from transition.services.common import (
    EngagementRef,
    apply_changes,
    check_version,
    engagement_of,
    get_by_id,
    get_person,
)
from transition.services.runbook_templates import (
    BUILTIN,
    HINTS,
    check_sets,
    context,
    encode_answers,
    parse_sets,
)
from transition.services.runbook_templates import list_templates as list_templates
from transition.services.views.runbooks import RunbookGenerated, RunbookStatusChange, RunbookView
from transition.text import clean_text, slugify

STATUSES = ("drafted", "reviewed", "validated", "accepted")
ENTITY = "runbook"
PLACEHOLDER = files.PLACEHOLDER
#: Where ``generate`` writes when no folder is given (CLI and TUI alike).
DEFAULT_OUT = "runbooks"


def next_status(status: str) -> str | None:
    """The lifecycle step after ``status`` (None once accepted, or for an unknown one)."""
    return STATUSES[STATUSES.index(status) + 1] if status in STATUSES[:-1] else None


# Built once from plain Core columns: generating many skeletons in one process should
# neither rebuild them each time nor load anything into the session's identity map.
_R, _S = Runbook.__table__, System.__table__
_INSERT = insert(_R)
# The system and its runbook from this template, if any, in one statement.
_SYSTEM_RUNBOOK = (
    select(
        _S.c.id,
        _S.c.name,
        _S.c.slug,
        _S.c.tier,
        _R.c.id.label("runbook_id"),
        _R.c.status.label("runbook_status"),
        _R.c.path.label("runbook_path"),
        _R.c.skeleton.label("runbook_skeleton"),
    )
    .select_from(
        _S.outerjoin(_R, (_R.c.system_id == _S.c.id) & (_R.c.template == bindparam("template")))
    )
    .where(
        _S.c.engagement_id == bindparam("eid"),
        _S.c.slug == bindparam("slug"),
        _S.c.removed_at.is_(None),
    )
)


def _system_and_runbook(session: Session, engagement: Engagement, name: str, template: str) -> Row:
    """The active system called ``name`` (matched as ``common.get_system`` does) with the
    id, status and path of its runbook from ``template`` (None when there is none)."""
    session.flush()
    row = (
        session.connection()
        .execute(
            _SYSTEM_RUNBOOK, {"eid": engagement.id, "slug": slugify(name), "template": template}
        )
        .first()
    )
    if row is None:
        raise NotFound(f"unknown system {name!r} in {engagement.slug}", field="system")
    return row


def generate(
    session: Session,
    engagement: EngagementRef,
    *,
    system: str,
    template: str,
    out_dir: Path | str | None = DEFAULT_OUT,
    sets: Mapping[str, str] | Iterable[str] = (),
    dry_run: bool = False,
    force: bool = False,
    discard_edits: bool = False,
    template_dirs: Iterable[str | Path] = (),
    defer: list[tuple[Path, Path, str]] | None = None,
) -> RunbookGenerated:
    """Render a runbook skeleton for ``system`` from ``template``, write it (in
    ``out_dir``; empty: ``DEFAULT_OUT``) and record it (status drafted) with the skeleton
    text. ``sets``: the template's own variables, as a mapping or as typed
    (``["rto=4h"]``). ``dry_run`` returns the text and changes nothing.

    ``force`` on a runbook recorded with its skeleton (at the same path) is an update
    (``runbook_update``): the template as it is now, with the recorded answers and
    ``sets``, is merged three-way into the file, keeping every edit. ``force`` with
    ``discard_edits`` regenerates it from scratch, back to drafted, keeping an edited file
    beside the new one as ``NAME.md.orig`` (never an accepted runbook's). Elsewhere
    (another folder, a file no runbook recorded, rows from before skeletons were recorded)
    ``force`` regenerates, refusing a file that differs from its skeleton (or from a fresh
    rendering) unless ``discard_edits``. ``defer``: collect the file to write there
    instead of writing it (``runbook_generate`` writes many at once)."""
    from transition import templates  # Jinja only when generating: `runbook list` stays light

    engagement = engagement_of(session, engagement)
    if discard_edits and not force:
        raise BadInput("--discard-edits goes with --force", field="discard_edits")
    sets = dict(sets) if isinstance(sets, Mapping) else parse_sets(sets)
    with errors.about("template"):
        name = templates.check_name(template)
    found = _system_and_runbook(session, engagement, system, name)
    existing_id = found.runbook_id
    with errors.about("out_dir"):
        base, path = files.target(out_dir or DEFAULT_OUT, found.slug, name)
    with errors.about("template_dirs"):
        dirs = templates.search_dirs(template_dirs)
    with errors.about("template"):
        info = templates.get(name, dirs=dirs)
    with errors.about("sets"):
        check_sets(sets, info, dirs)

    if existing_id is not None and not force:
        raise Refused(
            f"runbook #{existing_id} ({name} for {found.name}, "
            f"{found.runbook_status}) already exists at {found.runbook_path}; "
            "use --force to regenerate it"
        )
    if path.exists() and not force:
        raise Refused(f"{path} already exists; use --force to overwrite")

    if (
        existing_id is not None
        and not dry_run
        and not discard_edits
        and found.runbook_skeleton is not None
        and found.runbook_path == str(path)
        and files.inside(base, path)
        and files.read_existing(path) is not None
    ):  # recorded with its skeleton: the template is merged in, keeping every edit
        return _merge_into(session, engagement, found, info, dirs, sets, name, str(path))
    values = context(session, engagement, found)
    values["template"] = templates.Record(name=info.name, title=info.title)
    values.update(sets)
    with errors.about("template"):
        text = templates.render(info, values, dirs, hints=HINTS, provided=BUILTIN)
    result = RunbookGenerated(
        id=existing_id,
        system=found.name,
        system_slug=found.slug,
        template=name,
        title=info.title,
        path=str(path),
        status="drafted",
        placeholders=templates.count_placeholders(text),
        dry_run=dry_run,
        regenerated=existing_id is not None,
    )
    if dry_run:
        result.text = text
        return result

    on_disk = files.read_existing(path) if files.inside(base, path) else None
    if existing_id is not None and found.runbook_status == "accepted":
        if on_disk == text.encode("utf-8") and found.runbook_path == str(path):
            result.status, result.unchanged = found.runbook_status, True
            return result  # nothing to regenerate: the file is the skeleton, status kept
        raise Refused(
            f"runbook #{existing_id} ({name} for {found.name}) is accepted; "
            "regenerating it would send it back to drafted: move it back first with "
            f"`transition runbook status {engagement.slug} {existing_id} drafted --force "
            "--reason TEXT`"
        )
    edited = on_disk is not None and _edited(found, path, text, on_disk, discard_edits)
    recorded = {
        "template_version": info.version,
        "template_hash": info.hash,
        "answers_json": encode_answers(values, sets),
        "conflicts": 0,
    }
    result.id = _record(session, engagement, found, info.title, result, text, recorded)
    if edited:
        result.kept = str(files.keep_original(path, on_disk))
    if defer is not None:  # written by the caller with the others (``files.write_many``)
        defer.append((base, path, text))
    else:
        files.write(base, path, text, force=force)
    return result


def _merge_into(
    session: Session,
    engagement: Engagement,
    found: Row,
    info: Any,
    dirs: tuple[tuple[Path, str], ...],
    sets: Mapping[str, str],
    name: str,
    path: str,
) -> RunbookGenerated:
    """``--force`` on a runbook recorded with its skeleton: ``runbook update`` of it."""
    from transition.services import runbook_update

    row = session.get(Runbook, found.runbook_id)
    system = session.get(System, found.id)
    try:
        plan = runbook_update.plan_one(session, engagement, row, system, info, dirs, sets)
    except runbook_update.Skip as exc:
        raise Refused(str(exc)) from None
    if runbook_update.apply_plan(session, engagement, plan):
        handover.reconcile(session, engagement, runbooks=[row.id])
    session.flush()
    runbook_update.write_plan(plan)
    return RunbookGenerated(
        id=row.id,
        system=found.name,
        system_slug=found.slug,
        template=name,
        title=info.title,
        path=path,
        status=plan.view.status,
        placeholders=row.skeleton_placeholders,
        dry_run=False,
        regenerated=True,
        unchanged=plan.view.outcome == "unchanged" or None,
        update=plan.view,
    )


def _edited(found: Row, path: Path, text: str, on_disk: bytes, discard_edits: bool) -> bool:
    """Whether the file at ``path`` was edited since it was generated (refused unless
    ``discard_edits``). Its skeleton is the one recorded with the runbook when it was
    generated at this path; rows from before the skeleton was recorded (and files no
    runbook recorded) have none: the file then counts as edited unless it equals a fresh
    rendering."""
    recorded = None
    if found.runbook_id is not None and found.runbook_path == str(path):
        recorded = found.runbook_skeleton
    base_text = text if recorded is None else recorded
    if on_disk == base_text.encode("utf-8"):
        return False
    if not discard_edits:
        refuse_edited(path, base_text, on_disk)
    return True


def refuse_edited(path: Path, skeleton: str, on_disk: bytes, *, advice: str = "") -> None:
    """Refuse to overwrite ``path``, whose text differs from its ``skeleton``; ``advice``
    replaces the way out ``runbook new`` offers."""
    n = files.lines_differ(skeleton, on_disk.decode("utf-8", errors="replace"))
    raise Refused(
        f"{path}: the file has been edited: "
        f"{n} line{'s differ' if n != 1 else ' differs'} "
        "from its generated skeleton; "
        + (
            advice
            or "use --force --discard-edits to "
            f"overwrite it (the old file is kept as {path.name}.orig)"
        )
    )


def _record(
    session: Session,
    engagement: Engagement,
    found: Row,
    title: str,
    result: RunbookGenerated,
    text: str,
    recorded: Mapping[str, object],
) -> int:
    """Record the runbook generated (a new row, or the existing one back to drafted) with
    its audit events and handover item; its id. ``recorded``: the template's version and
    hash and the answers it was rendered with."""
    fields = {
        "title": title,
        "path": result.path,
        "status": "drafted",
        "skeleton_placeholders": result.placeholders,
        **recorded,
    }
    if found.runbook_id is not None:
        row = session.get(Runbook, found.runbook_id)
        changed = apply_changes(session, row, engagement.id, ENTITY, fields, action="regenerate")
        row.skeleton = text  # the text itself is not audited: the regenerate event is
        session.add(row)
        events = []
        if not changed:
            events = [audit.Change(ENTITY, row.id, "regenerate", "path", None, result.path)]
        handover.reconcile(session, engagement, runbooks=[row.id], events=events)
        return row.id
    session.flush()
    values = {
        **fields,
        "engagement_id": engagement.id,
        "system_id": found.id,
        "template": result.template,
        "skeleton": text,
        "created_at": utcnow(),
        "created_by": audit.actor(session),
        "version": 1,
    }
    row_id = session.connection().execute(_INSERT, values).inserted_primary_key[0]
    events = [
        audit.Change(ENTITY, row_id, "create", "template", None, result.template),
        audit.Change(ENTITY, row_id, "create", "system", None, found.slug),
        audit.Change(ENTITY, row_id, "create", "path", None, result.path),
        audit.Change(ENTITY, row_id, "create", "status", None, "drafted"),
        audit.Change(ENTITY, row_id, "create", "skeleton_placeholders", None, result.placeholders),
    ]
    item = handover.runbook_item_title(title, found.name)
    handover.derive_new(session, engagement, "runbook", row_id, item, events=events)
    return row_id


def list_runbooks(
    session: Session,
    engagement: EngagementRef,
    *,
    system_id: int | None = None,
    runbook_id: int | None = None,
    ids: Iterable[int] | None = None,
) -> list[RunbookView]:
    """Every runbook of the engagement's systems in scope (or of one system, one runbook,
    or those of ``ids``), with its fill ratio read from disk (one query, and one for the
    evidence; a missing file is reported, never an error)."""
    engagement = engagement_of(session, engagement)
    from transition.services.runbook_list import listing

    stmt = listing(engagement.id)
    if system_id is not None:
        stmt = stmt.where(Runbook.system_id == system_id)
    if runbook_id is not None:
        stmt = stmt.where(Runbook.id == runbook_id)
    if ids is not None:
        stmt = stmt.where(Runbook.id.in_(list(ids)))
    result = session.execute(stmt)  # its keys read once (a row's mapping rebuilds them)
    keys, rows = tuple(result.keys()), result.all()
    evidence = runbook_evidence.evidence_of(session, engagement.id) if rows else {}
    out = []
    for r in rows:
        found = files.scan(r.path)
        total, left, conflicts, ratio = files.fill(found, r.skeleton_placeholders, r.conflicts)
        out.append(
            RunbookView.model_validate(
                {
                    **dict(zip(keys, r, strict=True)),
                    "placeholders_total": total,
                    "placeholders_left": left,
                    "fill_ratio": ratio,
                    "file_missing": left is None,
                    "conflicts": conflicts,
                    **evidence.get(r.id, {}),
                    **runbook_evidence.extra(
                        r.status, r.review_due, r.accepted_by, evidence.get(r.id)
                    ),
                }
            )
        )
    return out


def _not_a_step(row: Runbook, new: str) -> Refused:
    """Moving ``row`` to ``new`` refused: why, and what to do instead."""
    old = row.status
    nxt = next_status(old)
    a, b = (STATUSES.index(x) if x in STATUSES else -1 for x in (old, new))
    if a < 0:
        why = f"moving it from {old} to {new} is not a lifecycle step"
    else:
        why = f"going back to {new} is not allowed" if b < a else ""
        why = why or f"moving it to {new} skips {', '.join(STATUSES[a + 1 : b])}"
    why = f"runbook #{row.id} is {old}; {why}" + (f"; the next step is {nxt}" if nxt else "")
    return Refused(why, hint=errors.Hint("force", ", or " if nxt else "; ", " to do it anyway"))


def set_status(
    session: Session,
    engagement: EngagementRef,
    runbook_id: int | str,
    status: str,
    *,
    force: bool = False,
    reason: str | None = None,
    expected_version: int | None = None,
    by: str | None = None,
) -> RunbookStatusChange:
    """Move a runbook one step along drafted → reviewed → validated → accepted. Skipping
    a step or going back needs ``force`` and a written reason (kept in the audit log).
    Moving forward needs evidence (``runbook_evidence``): no placeholder or conflict
    marker left for *reviewed*, a passing exercise for *validated* (``force`` with a
    reason stands in for both), and *accepted* is signed ``by`` a provider person who is
    not the author, forced or not."""
    engagement = engagement_of(session, engagement)
    new = (status or "").strip().lower()
    if new not in STATUSES:
        raise BadInput(
            f"invalid runbook status {status!r}: choose one of {', '.join(STATUSES)}",
            field="status",
        )
    with errors.about("reason"):
        reason = no_secrets(clean_text(reason or "", "the reason"), "the reason") or None
    if force and not reason:
        raise BadInput("--force needs a written --reason", field="reason")
    with errors.about("runbook_id"):
        row = get_by_id(session, Runbook, engagement, runbook_id, "runbook")
    check_version(session, row, expected_version, ENTITY, str(row.id))
    old = row.status
    result = RunbookStatusChange(
        id=row.id,
        from_=old,
        to=new,
        changed=old != new,
        forced=False,
        reason=reason,
        version=row.version,
    )
    if old == new:
        if by:  # nothing to sign, but a name that is no one is still bad input
            with errors.about("by"):
                get_person(session, engagement, by)
        return result
    if next_status(old) != new:
        if not force:
            raise _not_a_step(row, new)
        result.forced = True
    action = "force-status" if result.forced else "status"
    values: dict[str, object] = {"status": new}
    found = files.scan(row.path)
    if found is not None:  # resolved by hand since the update: the file says so
        values["conflicts"] = found[1]
    conflicts = found[1] if found is not None else row.conflicts or 0
    if conflicts and STATUSES.index(new) > STATUSES.index("reviewed"):
        raise Refused(
            f"runbook #{row.id} has {conflicts} unresolved conflict(s) from a template "
            f"update in {row.path}: resolve each (keep what is right between the "
            "<<<<<<< and >>>>>>> lines, then remove the marker lines) before moving it "
            f"to {new}"
        )
    signer = runbook_evidence.check_move(session, engagement, row, old, new, force, by, result)
    if result.forced:
        action = "force-status"
    values["accepted_by_id"] = signer.id if signer is not None else None
    apply_changes(session, row, engagement.id, ENTITY, values, action=action)
    if signer is not None:
        audit.record(session, engagement.id, ENTITY, row.id, action, "signed_by", None, signer.slug)
        result.signed_by = signer.name
    if result.warning:
        from transition.services.access_rules import warn

        warn(session, f"runbook #{row.id}: {result.warning}")
    if reason:
        audit.record(session, engagement.id, ENTITY, row.id, action, "reason", None, reason)
    handover.reconcile(session, engagement, runbooks=[row.id])
    result.version = row.version
    return result
