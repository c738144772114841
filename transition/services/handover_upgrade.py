"""A newer version of the exit checklist, merged into a running engagement three-way.

base = the checklist as the engagement applied it (``Engagement.handover_json``), theirs =
the newer version, ours = the engagement's items as they are now:

- items the new version adds are added (an item removed earlier comes back, open);
- a title, owner, description, section or due offset (``due: exit-30d``) the new version
  changed is changed where the engagement did not change it itself; where both changed, the engagement's value stays
  and the conflict is listed;
- an item the new version drops is removed (its status becomes ``retired``) only when
  nobody ever ticked it, noted it or edited it here; otherwise it is kept and listed.

An engagement started before checklists were recorded has no base: its items as they are
stand in for it, so an item whose text equals the new version's is in step and one whose
text differs is kept and listed as a conflict (nothing is guessed).

``plan`` works the merge out without writing; ``upgrade`` applies it in the caller's
transaction (the steps it reports are the plan's), with one audit event per change and an
``upgrade`` event naming both versions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from transition.errors import Conflict, Refused, about
from transition.models import AuditEvent, Engagement, HandoverItem
from transition.services import audit
from transition.services.common import EngagementRef, apply_changes, engagement_of
from transition.services.handover_sync import ENTITY
from transition.services.views.handover import ChecklistStep, ChecklistUpgrade

#: The fields of an item a checklist sets, in the order they are reported (``due_rule``:
#: its due offset from the notice or exit date, shown as ``due``).
FIELDS = ("title", "owner", "description", "section", "section_title", "due_rule")
#: How a field is named in the preview.
SHOWN = {"due_rule": "due"}
#: The audit action of an upgrade's own event (``undo`` refuses the change it is part of).
ACTION = "upgrade"


def _new_checklist(engagement: Engagement, to: str | None) -> Any:
    from transition.handover_checklists import resolve_checklist

    if not engagement.handover_name:  # an upgrade needs a checklist it follows, --to or not
        raise Refused(
            f"engagement {engagement.slug} has no exit checklist to upgrade: add one with "
            "`transition handover import`; nothing changed",
            field="to",
        )
    name = (to or "").strip() or engagement.handover_name
    with about("to"):
        return resolve_checklist(name)


def _base(engagement: Engagement) -> Any | None:
    from transition.handover_checklists import Checklist

    if not engagement.handover_json:
        return None
    return Checklist.model_validate_json(engagement.handover_json)


def _check_versions(engagement: Engagement, base: Any | None, new: Any) -> None:
    from transition.handover_checklists import checklist_hash

    if engagement.handover_name and new.name != engagement.handover_name:
        raise Refused(
            f"checklist {new.name} is not the exit checklist of {engagement.slug} "
            f"({engagement.handover_name}); nothing changed",
            field="to",
        )
    if base is None:
        return
    if new.version < base.version:
        raise Refused(
            f"{new.name} v{new.version} is older than v{base.version}, which "
            f"{engagement.slug} follows: a downgrade is refused; nothing changed",
            field="to",
        )
    if new.version == base.version and checklist_hash(new) != engagement.handover_hash:
        raise Refused(
            f"{new.name} v{new.version} differs from the v{base.version} that "
            f"{engagement.slug} follows: give the changed checklist a higher version; "
            "nothing changed",
            field="to",
        )


def _touched(session: Session, ids: list[int]) -> set[int]:
    """Items someone ticked, reopened or noted (their status or note has an event)."""
    if not ids:
        return set()
    return set(
        session.execute(
            select(AuditEvent.entity_id)
            .where(
                AuditEvent.entity == ENTITY,
                AuditEvent.entity_id.in_(ids),
                AuditEvent.field.in_(("status", "note")),
            )
            .distinct()
        ).scalars()
    )


def _text(row: HandoverItem) -> dict[str, str]:
    return {f: getattr(row, f) or "" for f in FIELDS}


def specs(checklist: Any) -> dict[str, dict[str, str]]:
    """Each item of ``checklist`` as the engagement holds it (``item_specs``) with its due
    offset ("" for none), by key."""
    from transition.handover_checklists import item_specs

    dues = {item.key: item.due or "" for _, item in checklist.items()}
    return {key: {**spec, "due_rule": dues[key]} for key, spec in item_specs(checklist).items()}


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    """Values to store: no due offset is ``None``, not ""."""
    if "due_rule" in values:
        values = {**values, "due_rule": values["due_rule"] or None}
    return values


def _untouched_reason(row: HandoverItem, touched: set[int], base: dict[str, str] | None) -> str:
    """Why an item the new version drops is kept, or "" when it may go."""
    if row.status != "open":
        return f"it is {row.status} here"
    if row.id in touched or row.note:
        return "it was ticked or noted here"
    if base is not None and _text(row) != base:
        changed = [f for f in FIELDS if (getattr(row, f) or "") != base[f]]
        return f"its {', '.join(SHOWN.get(f, f) for f in changed)} changed here"
    return ""


def plan(
    session: Session, engagement: EngagementRef, *, to: str | None = None
) -> tuple[Engagement, Any, list[ChecklistStep], list[HandoverItem]]:
    """The merge worked out, nothing written: the engagement, the new checklist, the
    steps, and the engagement's own (non-derived) items."""
    engagement = engagement_of(session, engagement)
    new = _new_checklist(engagement, to)
    base_list = _base(engagement)
    _check_versions(engagement, base_list, new)
    base = specs(base_list) if base_list is not None else None
    theirs = specs(new)
    rows = list(
        session.execute(
            select(HandoverItem)
            .where(HandoverItem.engagement_id == engagement.id, HandoverItem.source != "derived")
            .order_by(HandoverItem.position, HandoverItem.id)
        ).scalars()
    )
    ours = {row.key: row for row in rows}
    touched = _touched(session, [row.id for row in rows])
    steps: list[ChecklistStep] = []
    for key, want in theirs.items():
        row = ours.get(key)
        if row is None:
            steps.append(ChecklistStep(kind="added", key=key, title=want["title"]))
            continue
        if row.status == "retired" and (base is None or key not in base):
            steps.append(
                ChecklistStep(kind="restored", key=key, title=want["title"], reason="open again")
            )
            continue
        was = base.get(key) if base is not None else None
        for field in FIELDS:
            mine, new_value = getattr(row, field) or "", want[field]
            if mine == new_value:
                continue
            step = ChecklistStep(
                kind="changed", key=key, title=row.title, field=field, before=mine, after=new_value
            )
            if was is None:
                why = (
                    "no record of the checklist as applied: the text here is kept"
                    if base is None
                    else "added here and in the new version: the text here is kept"
                )
                steps.append(step.model_copy(update={"kind": "conflict", "reason": why}))
            elif new_value == was[field]:
                continue  # changed here only: ours stays
            elif mine == was[field]:
                steps.append(step)
            else:
                steps.append(
                    step.model_copy(
                        update={
                            "kind": "conflict",
                            "reason": "changed here and in the new version: the text here is kept",
                        }
                    )
                )
    gone_from = base if base is not None else None
    for row in rows:
        if row.key in theirs or row.status == "retired":
            continue
        if gone_from is not None:
            if row.key not in gone_from:
                continue  # an item of the engagement's own, not of the checklist
            was = gone_from[row.key]
        else:
            if row.source != "template" or row.checklist != new.name:
                continue
            was = None
        reason = _untouched_reason(row, touched, was)
        steps.append(
            ChecklistStep(
                kind="kept" if reason else "removed",
                key=row.key,
                title=row.title,
                reason=f"dropped by v{new.version}, but {reason}" if reason else None,
            )
        )
    return engagement, new, steps, rows


def upgrade(
    session: Session, engagement: EngagementRef, *, to: str | None = None, dry_run: bool = False
) -> ChecklistUpgrade:
    """Apply a newer version of the engagement's exit checklist (``to``: a checklist name
    or file; default: the newest of the name it follows) three-way, in one transaction.
    ``dry_run``: the same steps, nothing written. A downgrade, another checklist or an
    invalid file is refused with nothing changed."""
    from transition.handover_checklists import applied

    if not dry_run:
        # Writers to the log queue here (PostgreSQL): a second upgrade started at the same
        # time plans on what the first one committed.
        audit._last_hash(session)
    engagement, new, steps, rows = plan(session, engagement, to=to)
    base_version = engagement.handover_version
    result = ChecklistUpgrade(
        checklist=new.name,
        from_version=base_version,
        to_version=new.version,
        recorded=engagement.handover_json is not None,
        dry_run=dry_run,
        steps=steps,
    )
    same = (
        engagement.handover_hash is not None
        and engagement.handover_hash == applied(new)["handover_hash"]
    )
    if dry_run or (same and not steps):
        return result
    theirs = specs(new)
    ours = {row.key: row for row in rows}
    _apply(session, engagement, new, theirs, ours, steps)
    record = applied(new)
    audit.record(
        session,
        engagement.id,
        "engagement",
        engagement.id,
        ACTION,
        "handover",
        f"{engagement.handover_name or new.name} v{base_version}" if base_version else None,
        f"{new.name} v{new.version}",
    )
    for name, value in record.items():
        setattr(engagement, name, value)
    session.add(engagement)
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise Conflict(
            f"engagement {engagement.slug} changed while its checklist was upgraded; "
            "nothing changed: try again"
        ) from None
    return result


def _apply(
    session: Session,
    engagement: Engagement,
    new: Any,
    theirs: dict[str, dict[str, str]],
    ours: dict[str, HandoverItem],
    steps: list[ChecklistStep],
) -> None:
    from transition.services.handover import _insert_items, next_place

    changes: dict[str, dict[str, Any]] = {}
    for step in steps:
        if step.kind == "changed":
            changes.setdefault(step.key, {})[step.field] = step.after  # type: ignore[index]
    for key, values in changes.items():
        apply_changes(session, ours[key], engagement.id, ENTITY, _stored(values))
    for step in steps:
        if step.kind == "restored":
            apply_changes(
                session,
                ours[step.key],
                engagement.id,
                ENTITY,
                _stored({**theirs[step.key], "status": "open"}),
            )
        elif step.kind == "removed":
            apply_changes(
                session,
                ours[step.key],
                engagement.id,
                ENTITY,
                {"status": "retired"},
                action="remove",
            )
    added = [s.key for s in steps if s.kind == "added"]
    if not added:
        return
    # Each added item takes the next free place: shown in its section (sections keep the
    # order they first appear in), after the section's items.
    first = next_place(session, engagement.id)
    new_rows = []
    for position, key in enumerate(added, start=first):
        spec = theirs[key]
        new_rows.append(
            {
                "engagement_id": engagement.id,
                "key": key,
                **_stored(spec),
                "position": position,
                "source": "template",
                "source_kind": None,
                "source_id": None,
                "checklist": new.name,
                "status": "open",
                "version": 1,
            }
        )
    _insert_items(session, engagement, new_rows)


def describe(result: ChecklistUpgrade) -> list[str]:
    """The steps as lines, in the order they are applied."""

    def shown(value: str | None) -> str:
        text = (value or "").replace("\n", " ")
        return repr(text if len(text) <= 60 else text[:57] + "...")

    lines = []
    for s in result.steps:
        name = SHOWN.get(s.field or "", s.field)
        if s.kind in ("added", "restored"):
            lines.append(f"{s.kind:<9}{s.key}: {s.title}")
        elif s.kind == "changed":
            lines.append(f"changed  {s.key} {name}: {shown(s.before)} -> {shown(s.after)}")
        elif s.kind == "conflict":
            lines.append(
                f"conflict {s.key} {name}: kept {shown(s.before)} "
                f"(v{result.to_version}: {shown(s.after)}); {s.reason}"
            )
        elif s.kind == "removed":
            lines.append(f"removed  {s.key}: {s.title}")
        else:
            lines.append(f"kept     {s.key}: {s.reason}")
    return lines


def summary(result: ChecklistUpgrade) -> str:
    kinds = ("added", "restored", "changed", "removed", "kept", "conflict")
    parts = [f"{result.count(k)} {k}" for k in kinds if result.count(k)]
    return ", ".join(parts) or "nothing to change"
