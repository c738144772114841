"""The exit-handover checklist, kept in step with what onboarding created.

Two kinds of items:

- **static** items from the exit checklist named by the playbook (``source`` ``template``)
  or added from a saved checklist (``imported``); people tick them ``done``;
- **derived** items, one per grant, system and runbook, which follow their source and are
  never ticked by hand (``transition.services.handover_sync``: ``reconcile`` runs inside
  every change to a source, ``sync`` on demand).

Every verb takes the engagement as its row or by the user's name for it, and returns read
models (``transition.services.views.handover``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from transition.dates import utcnow
from transition.errors import BadInput, Refused, about
from transition.guard import no_secrets
from transition.models import AccessGrant, Engagement, HandoverItem, Person, Runbook, System
from transition.services import audit
from transition.services.common import (
    EngagementRef,
    apply_changes,
    check_version,
    engagement_of,
    first_or_missing,
    get_by_id,
    next_position,
    take_turn,
)
from transition.services.handover_sync import (
    DERIVED,
    ENTITY,
    SyncCounts,
    derive_many,
    derive_new,
    derived_key,
    reconcile,
    runbook_item_title,
)
from transition.services.rows import bulk_insert
from transition.services.views.handover import (
    ChecklistImport,
    ChecklistRef,
    GrantRef,
    HandoverItemView,
    HandoverSync,
    ItemDifference,
    RunbookRef,
    SourceRef,
    SystemRef,
)
from transition.text import clean_text

__all__ = [
    "DERIVED",
    "ENTITY",
    "STATIC_STATUSES",
    "SyncCounts",
    "bulk_insert",
    "derive_many",
    "derive_new",
    "derived_key",
    "export_checklist",
    "import_checklist",
    "on_engagement_created",
    "reconcile",
    "runbook_item_title",
    "set_item_status",
    "show",
    "sync",
]

STATIC_STATUSES = ("open", "done")


# --------------------------------------------------------------------------- template


def _item_rows(
    engagement: Engagement, checklist: Any, *, source: str, start: int, skip: set[str]
) -> tuple[list[dict[str, Any]], int]:
    rows = []
    position = start
    skipped = 0
    for section, item in checklist.items():
        if item.key in skip:
            skipped += 1
            continue
        skip.add(item.key)
        rows.append(
            {
                "engagement_id": engagement.id,
                "key": item.key,
                "section": section.key,
                "section_title": section.title,
                "title": item.title,
                "description": item.description.strip(),
                "owner": item.owner,
                "position": position,
                "source": source,
                "source_kind": None,
                "source_id": None,
                "checklist": checklist.name,
                "status": "open",
                "due_rule": item.due,
                "version": 1,
            }
        )
        position += 1
    return rows, skipped


def next_place(session: Session, engagement_id: int) -> int:
    """The next free place of the checklist's own items (derived ones share their
    section's), read in turn with the other writers (``next_position``)."""
    return next_position(
        session,
        HandoverItem.position,
        HandoverItem.engagement_id == engagement_id,
        HandoverItem.source != "derived",
    )


def _insert_items(session: Session, engagement: Engagement, rows: list[dict[str, Any]]) -> None:
    """Bulk insert items and one ``create`` audit event each."""
    if not rows:
        return
    ids = bulk_insert(session, HandoverItem, rows)
    audit.record_many(
        session,
        engagement.id,
        [
            audit.Change(ENTITY, item_id, "create", "key", None, row["key"])
            for item_id, row in zip(ids, rows, strict=True)
        ],
    )


def on_engagement_created(session: Session, engagement: Engagement) -> int:
    """Instantiate the exit checklist named by the engagement's playbook."""
    if not engagement.handover_name:
        return 0
    from transition.handover_checklists import Checklist, applied, resolve_checklist

    if engagement.handover_json:  # recorded as the engagement was made
        checklist = Checklist.model_validate_json(engagement.handover_json)
    else:
        checklist = resolve_checklist(engagement.handover_name)
        for name, value in applied(checklist).items():
            setattr(engagement, name, value)
        session.add(engagement)
    rows, _ = _item_rows(engagement, checklist, source="template", start=0, skip=set())
    _insert_items(session, engagement, rows)
    return len(rows)


# --------------------------------------------------------------------------- reading

_ITEM_COLUMNS = (
    HandoverItem.id,
    HandoverItem.key,
    HandoverItem.section,
    HandoverItem.section_title,
    HandoverItem.title,
    HandoverItem.description,
    HandoverItem.owner,
    HandoverItem.position,
    HandoverItem.source,
    HandoverItem.source_kind,
    HandoverItem.source_id,
    HandoverItem.checklist,
    HandoverItem.status,
    HandoverItem.resolved_at,
    HandoverItem.resolved_by,
    HandoverItem.note,
    HandoverItem.version,
    HandoverItem.due_rule,
)


def _sources(
    session: Session, eid: int, kinds: set[str | None]
) -> dict[tuple[str, int], SourceRef]:
    """What the derived items of ``kinds`` come from, by (kind, id): one query per kind."""
    refs: dict[tuple[str, int], SourceRef] = {}
    if "grant" in kinds:
        for gid, person, system, role in session.execute(
            select(AccessGrant.id, Person.name, System.name, AccessGrant.role)
            .join(Person, Person.id == AccessGrant.person_id)
            .join(System, System.id == AccessGrant.system_id)
            .where(AccessGrant.engagement_id == eid)
        ):
            refs["grant", gid] = GrantRef(grant_id=gid, person=person, system=system, role=role)
    if "system" in kinds:
        for sid, name in session.execute(
            select(System.id, System.name).where(System.engagement_id == eid)
        ):
            refs["system", sid] = SystemRef(system_id=sid, system=name)
    if "runbook" in kinds:
        for rid, template, title, system in session.execute(
            select(Runbook.id, Runbook.template, Runbook.title, System.name)
            .join(System, System.id == Runbook.system_id)
            .where(Runbook.engagement_id == eid)
        ):
            refs["runbook", rid] = RunbookRef(
                runbook_id=rid, template=template, title=title, system=system
            )
    return refs


def _ref(kind: str | None, source_id: int | None, checklist: str | None) -> SourceRef:
    """The reference of an item whose source row is gone (or of a checklist item)."""
    if kind == "grant":
        return GrantRef(grant_id=source_id)
    if kind == "system":
        return SystemRef(system_id=source_id, system=None)
    if kind == "runbook":
        return RunbookRef(runbook_id=source_id)
    return ChecklistRef(checklist=checklist)


def show(session: Session, engagement: EngagementRef) -> list[HandoverItemView]:
    """Every item, grouped by section (checklist sections first, then derived ones), with
    its status, owner, source and what it was derived from, and when it is due (from the
    notice or exit date: ``exit_timeline``). Four queries in all."""
    from transition.dates import today
    from transition.exit_timeline import DONE, due_on, rule_of
    from transition.workdays import Calendar

    eng = engagement_of(session, engagement)
    eid = eng.id
    days, now = Calendar.of(eng), today()
    result = session.execute(select(*_ITEM_COLUMNS).where(HandoverItem.engagement_id == eid))
    names = tuple(result.keys())  # once: a row's own mapping rebuilds its keys every time
    items = result.all()
    refs = _sources(session, eid, {row.source_kind for row in items})
    first_seen: dict[str, int] = {}
    for row in items:
        first_seen[row.section] = min(first_seen.get(row.section, row.position), row.position)
    at = {name: i for i, name in enumerate(names)}
    section, position, source_id, ident = at["section"], at["position"], at["source_id"], at["id"]
    ordered = sorted(
        items,
        key=lambda r: (
            first_seen[r[section]],
            r[section],
            r[position],
            r[source_id] or 0,
            r[ident],
        ),
    )
    dues: dict[str | None, date | None] = {}  # a few rules for thousands of items
    closed = (*DONE, "retired")
    out = []
    for row in ordered:
        data = dict(zip(names, row, strict=True))
        kind, source = data["source_kind"], data["source_id"]
        data["source_ref"] = refs.get((kind, source)) or _ref(kind, source, data["checklist"])
        data["due_rule"] = rule = rule_of(data["due_rule"], kind)
        if rule not in dues:
            dues[rule] = due_on(rule, eng.notice_date, eng.exit_date, days)
        data["due_date"] = due = dues[rule]
        data["overdue"] = due is not None and due < now and data["status"] not in closed
        out.append(HandoverItemView.model_validate(data))
    return out


def sync(session: Session, engagement: EngagementRef) -> HandoverSync:
    """Reconcile every derived item with its grant, system or runbook (normally automatic:
    every change does it); what changed."""
    return HandoverSync.model_validate(reconcile(session, engagement_of(session, engagement)))


# --------------------------------------------------------------------------- ticking


def _item(session: Session, engagement: Engagement, ident: str | int) -> HandoverItem:
    """An item by numeric id or by key."""
    text = str(ident).strip()
    if text.isdigit():
        return get_by_id(session, HandoverItem, engagement, text, "handover item")
    return first_or_missing(
        session,
        select(HandoverItem).where(
            HandoverItem.engagement_id == engagement.id, HandoverItem.key == text.lower()
        ),
        f"unknown handover item {text!r} in {engagement.slug}",
    )[0]


def set_item_status(
    session: Session,
    engagement: EngagementRef,
    item: str | int,
    status: str,
    *,
    note: str | None = None,
    expected_version: int | None = None,
) -> HandoverItemView:
    """Tick a checklist item (by id or key) ``done`` or back to ``open``. Derived items
    follow their source and cannot be ticked by hand."""
    engagement = engagement_of(session, engagement)
    status = status.strip().lower()
    if status not in STATIC_STATUSES:
        raise BadInput(f"invalid item status {status!r}: choose open or done", field="status")
    if note is not None:
        with about("note"):
            note = no_secrets(clean_text(note, "the note"), "the note")
    with about("item"):
        row = _item(session, engagement, item)
    check_version(session, row, expected_version, ENTITY, row.key)
    if row.source != "derived" and row.status == "retired":
        raise Refused(
            f"item {row.key} was dropped from the checklist; it cannot be ticked", field="status"
        )
    if row.source == "derived":
        raise Refused(
            f"item {row.key} follows its {row.source_kind} and changes by itself "
            "(revoke the grant, remove the system…); it cannot be ticked by hand",
            field="status",
        )
    if row.status == status and not note:
        raise Refused(f"item {row.key} is already {status}", field="status")
    values: dict[str, Any] = {"status": status}
    if status == "done":
        values.update(resolved_at=utcnow(), resolved_by=audit.actor(session))
    else:
        values.update(resolved_at=None, resolved_by=None)
    if note:
        values["note"] = note.strip()
    apply_changes(session, row, engagement.id, ENTITY, values)
    from transition.dates import today
    from transition.exit_timeline import due_on
    from transition.workdays import Calendar

    days = Calendar.of(engagement)
    due = due_on(row.due_rule, engagement.notice_date, engagement.exit_date, days)
    return HandoverItemView.model_validate(
        {
            **row.model_dump(),
            "source_ref": ChecklistRef(checklist=row.checklist),
            "due_date": due,
            "overdue": due is not None and row.status == "open" and due < today(),
        }
    )


# --------------------------------------------------------------------------- reuse


def _checklist_name(name: str | None, engagement: Engagement) -> str:
    from transition.text import ascii_slug

    if name is None or not name.strip():  # checklist names are ASCII slugs
        base = ascii_slug(engagement.slug)[:190].strip("-")
        return f"{base}-exit" if base else "exit"
    slug = ascii_slug(name)
    if not slug or len(slug) > 200:
        raise BadInput(
            f"invalid checklist name {name!r}: it needs ASCII letters or digits (at most 200)",
            field="name",
        )
    return slug


def export_checklist(
    session: Session, engagement: EngagementRef, *, name: str | None = None
) -> str:
    """The engagement's static items as a checklist YAML that ``import_checklist`` (and
    a playbook's ``handover`` key) accept."""
    import yaml

    from transition.handover_checklists import Checklist

    engagement = engagement_of(session, engagement)

    rows = session.execute(
        select(
            HandoverItem.key,
            HandoverItem.section,
            HandoverItem.section_title,
            HandoverItem.title,
            HandoverItem.owner,
            HandoverItem.description,
            HandoverItem.due_rule,
        )
        .where(
            HandoverItem.engagement_id == engagement.id,
            HandoverItem.source != "derived",
            HandoverItem.status != "retired",
        )
        .order_by(HandoverItem.position, HandoverItem.id)
    ).all()
    if not rows:
        raise Refused(f"engagement {engagement.slug} has no checklist items to export")
    sections: dict[str, dict[str, Any]] = {}
    for row in rows:
        section = sections.setdefault(
            row.section,
            {"key": row.section, "title": row.section_title or row.section, "items": []},
        )
        item: dict[str, Any] = {"key": row.key, "title": row.title}
        if row.owner:
            item["owner"] = row.owner
        if row.description:
            item["description"] = row.description
        if row.due_rule:
            item["due"] = row.due_rule
        section["items"].append(item)
    data = {
        "name": _checklist_name(name, engagement),
        "title": f"Exit checklist from {engagement.name}"[:200],
        "version": 1,
        "description": (
            f"Exported from engagement {engagement.slug}; add it to another engagement with "
            "`transition handover import`."
        ),
        "sections": list(sections.values()),
    }
    Checklist.model_validate(data)  # what we write must load again
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def import_checklist(
    session: Session, engagement: EngagementRef, path: Path | str
) -> ChecklistImport:
    """Add a saved checklist's items whose keys the engagement does not have yet. Items
    whose keys it has but whose text differs are left as they are and listed (``handover
    upgrade`` applies a newer version). An engagement that follows no checklist yet
    records this one as applied (the base of later upgrades)."""
    from transition.handover_checklists import applied, load_checklist
    from transition.services.handover_upgrade import FIELDS, specs

    engagement = engagement_of(session, engagement)
    with about("path"):
        checklist = load_checklist(Path(path))
    take_turn(session)  # an import at the same time: its items are read once it committed
    existing = {
        row.key: row
        for row in session.execute(
            select(HandoverItem.key, *(getattr(HandoverItem, f) for f in FIELDS)).where(
                HandoverItem.engagement_id == engagement.id
            )
        )
    }
    differs = []
    for key, spec in specs(checklist).items():
        row = existing.get(key)
        if row is not None:
            fields = [f for f in FIELDS if (getattr(row, f) or "") != spec[f]]
            if fields:
                differs.append(ItemDifference(key=key, fields=fields))
    start = next_place(session, engagement.id)
    rows, skipped = _item_rows(
        engagement, checklist, source="imported", start=start, skip=set(existing)
    )
    _insert_items(session, engagement, rows)
    first = rows and not engagement.handover_name and not engagement.handover_json
    if first:
        audit.record(
            session,
            engagement.id,
            "engagement",
            engagement.id,
            "apply",
            "handover",
            None,
            f"{checklist.name} v{checklist.version}",
        )
        for name, value in applied(checklist).items():
            setattr(engagement, name, value)
        session.add(engagement)
        session.flush()
    return ChecklistImport(
        checklist=checklist.name,
        added=len(rows),
        skipped=skipped,
        keys=[r["key"] for r in rows],
        differs=differs,
        applied=bool(first),
    )
