"""How each recorded action reverts: the plan of an undo, worked out before anything is
written, and the check that nobody changed the rows since.

Field events (``update``, ``remove``, ``archive``, ``cancel``, ``reschedule``, ``replan``,
``assign``, ``hold``, ``signoff``…) revert by setting the field back to ``before``, read
as the column's type, once the field is checked to still hold ``after``. Creations revert
as ``undo`` documents (``transition.services.undo``); the rest is refused by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session

from transition.errors import Conflict, Refused
from transition.models import (
    AuditEvent,
    Engagement,
    HandoverItem,
    KTParticipant,
    Person,
)
from transition.services import audit
from transition.services.common import find_named
from transition.services.undo_holdings import is_holding
from transition.services.undo_kinds import (
    ANNOTATIONS,
    COMPANIONS,
    CREATES,
    DERIVED,
    ENTITIES,
    EVIDENCE,
    FINAL,
    LAID,
    SHOWN,
    SOURCES,
    UNDOABLE_CREATIONS,
)
from transition.services.undo_references import references
from transition.text import slugify


@dataclass(frozen=True)
class RowKey:
    entity: str
    row_id: int


@dataclass
class FieldStep:
    key: RowKey
    row: Any
    label: str
    field: str
    column: str
    value: Any
    now: Any
    back: Any
    companions: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParticipantStep:
    key: RowKey
    label: str
    person_id: int
    name: str
    role: str
    add: bool


@dataclass
class Plan:
    engagement: Engagement
    fields: list[FieldStep] = field(default_factory=list)
    participants: list[ParticipantStep] = field(default_factory=list)
    revoke: list[tuple[RowKey, str]] = field(default_factory=list)
    remove: list[tuple[RowKey, Any, str]] = field(default_factory=list)
    drop_items: list[HandoverItem] = field(default_factory=list)
    touched: dict[RowKey, str] = field(default_factory=dict)
    grants: set[int] = field(default_factory=set)
    systems: set[int] = field(default_factory=set)
    runbooks: set[int] = field(default_factory=set)
    roles: list[Any] = field(default_factory=list)
    holdings: list[Any] = field(default_factory=list)
    dependencies: list[Any] = field(default_factory=list)
    #: The id of the change's newest event: what a row changed after it was changed since.
    last_id: int = 0
    #: The change laid meetings out again (they follow the plan): lay them out afresh,
    #: without the meetings it added (``created``).
    meetings: bool = False
    created_meetings: set[int] = field(default_factory=set)


def shown_time(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M}"


def label_of(entity: str, row: Any, row_id: int) -> str:
    if row is None:
        return str(row_id)
    if entity == "raid_item":
        from transition.services.raid_read import ref_of

        return ref_of(row.kind, row.number)
    for name in ("key", "slug"):
        value = getattr(row, name, None)
        if value:
            return value
    return str(row_id)


def _what(entity: str) -> str:
    return SHOWN.get(entity, entity)


def _norm(value: Any) -> Any:
    from transition.services.audit_verify import _norm as norm

    return norm(value)


def _parse(model: Any, column: str, text: str | None, what: str) -> Any:
    """A value an event recorded as text, read as ``column``'s type."""
    if text is None:
        return None
    kind: Any = object
    for sql_type in _types(model.__table__.c[column].type):
        try:
            kind = sql_type.python_type
        except NotImplementedError:
            continue
        if kind is not object:
            break
    try:
        if kind is bool:
            return text == "true"
        if kind is int:
            return int(text)
        if kind is datetime:
            return audit._utc(datetime.fromisoformat(text))
        if kind is date:  # a grant's expiry is recorded with its rule: "2027-01-31 (exit)"
            return date.fromisoformat(text.split(" ")[0])
    except ValueError:
        raise Refused(f"{what}: the recorded value {text!r} cannot be read back") from None
    return text


def _types(sql_type: Any) -> list[Any]:
    """A column's type, then what it decorates (a UTC datetime type wraps a DateTime)."""
    return [sql_type, *([sql_type.impl] if hasattr(sql_type, "impl") else [])]


def _row_key(event: AuditEvent) -> RowKey:
    entity = "access_grant" if event.entity == "grant" else event.entity
    return RowKey(entity, event.entity_id)


def plan_change(session: Session, events: Sequence[AuditEvent]) -> Plan:
    """What undoing the change made of ``events`` writes; refused (nothing written) when
    any part of it cannot be undone."""
    first = events[0]
    when = f"the change of {shown_time(first.at)}"
    for e in events:
        if e.action == "upgrade" and (e.field or "").startswith("playbook"):
            raise Refused(
                f"{when} is a playbook upgrade (to a newer template version): it cannot be undone"
            )
        if e.action in FINAL:
            raise Refused(f"{when} is {FINAL[e.action]}: it cannot be undone")
    # An access import writes no event of its own: it is the one change creating grants
    # in bulk.
    if len({e.entity_id for e in events if e.action == "grant"}) > 1:
        raise Refused(f"{when} is an import (of access grants): it cannot be undone")
    engagement_ids = {e.engagement_id for e in events}
    engagement = session.get(Engagement, first.engagement_id) if len(engagement_ids) == 1 else None
    if engagement is None:
        raise Refused(f"{when} belongs to no engagement there is now; it cannot be undone")
    archiving = any(e.entity == "engagement" and e.field == "archived_at" for e in events)
    if engagement.archived_at is not None and not archiving:
        raise Refused(f"engagement {engagement.slug} is archived: unarchive it first")
    plan = Plan(engagement=engagement, last_id=events[-1].id)
    derived_here: set[int] = set()
    rows: dict[RowKey, list[AuditEvent]] = {}
    role_events = [e for e in events if e.entity == "role_assignment"]
    holding_events = [e for e in events if is_holding(e)]
    dependency_events = [e for e in events if e.entity == "system_dependency"]
    for e in events:
        if e.entity in ("role_assignment", "system_dependency") or is_holding(e):
            continue
        if e.entity == "handover_item" and e.action in DERIVED:
            if e.action == "derive":
                derived_here.add(e.entity_id)
            continue
        if e.entity == "meeting" and e.action in LAID:
            plan.meetings = True
            if e.action == "schedule":
                plan.created_meetings.add(e.entity_id)
            continue
        if e.entity_id is None:
            raise Refused(f"{when} ({e.entity} {e.action}) cannot be undone")
        rows.setdefault(_row_key(e), []).append(e)
    by_entity: dict[str, list[int]] = {}
    for key in rows:
        if key.entity in EVIDENCE:
            raise Refused(
                f"{when} recorded {EVIDENCE[key.entity]}, which is evidence: undo does not "
                "take it back"
            )
        if key.entity not in ENTITIES:
            raise Refused(
                f"{when} changed a {SHOWN.get(key.entity, key.entity)}, which undo does not know"
            )
        by_entity.setdefault(key.entity, []).append(key.row_id)
    loaded: dict[tuple[str, int], Any] = {}
    for entity, ids in by_entity.items():  # one query per kind of row, however many rows
        model = ENTITIES[entity]
        for row in session.execute(select(model).where(model.id.in_(sorted(ids)))).scalars():
            loaded[(entity, row.id)] = row
    found: dict[RowKey, Any] = {}
    for key in rows:
        found[key] = loaded.get((key.entity, key.row_id))
        plan.touched[key] = label_of(key.entity, found[key], key.row_id)
    if role_events:
        from transition.services.undo_roles import plan_roles

        plan_roles(session, plan, role_events, when)
    if holding_events:
        from transition.services.undo_holdings import plan_holdings

        plan_holdings(session, plan, holding_events, when)
    if dependency_events:
        from transition.services.undo_dependencies import plan_dependencies

        plan_dependencies(session, plan, dependency_events, when)
    # Who changed a row since is the clearest answer: asked before any value is compared.
    check_later(session, plan, events[-1].id)
    for key, history in rows.items():
        row, label = found[key], plan.touched[key]
        if row is None:
            raise Conflict(f"{_what(key.entity)} {key.row_id} is gone since {when}; nothing undone")
        if key.entity in SOURCES:
            getattr(plan, SOURCES[key.entity]).add(key.row_id)
        created = [
            e
            for e in history
            if e.action in CREATES or (key.entity, e.action) in UNDOABLE_CREATIONS
        ]
        if created and _plan_creation(
            session, plan, key, row, label, created[0], history, derived_here, when
        ):
            continue
        pending: dict[str, Any] = {}
        for e in reversed(history):
            _plan_field(session, plan, key, row, label, e, pending, when)
    if "task" in by_entity:
        from transition.services.undo_tasks import check_tasks

        check_tasks(session, plan, when)
    if {"engagement", "person", "system"} & set(by_entity):
        from transition.services.undo_names import check_names

        check_names(session, plan, when)
    if {"access_grant", "kt_session"} & set(by_entity):
        from transition.services.undo_live import check_live

        check_live(session, plan, when)
    return plan


def _plan_field(
    session: Session,
    plan: Plan,
    key: RowKey,
    row: Any,
    label: str,
    e: AuditEvent,
    pending: dict[str, Any],
    when: str,
) -> None:
    what = f"{_what(key.entity)} {label}"
    if e.field is None:
        raise Refused(f"{when} ({key.entity} {e.action}) cannot be undone")
    if e.field in ANNOTATIONS:
        return
    if key.entity == "raid_item" and e.action in ("link", "unlink"):
        target = e.after if e.action == "link" else e.before
        raise Refused(
            f"{when} {e.action}ed {what} and {e.field} {target}: undo does not take links "
            f"back; use `raid link{' --remove' if e.action == 'link' else ''}`"
        )
    if key.entity == "kt_session" and e.field in ("attendee", "presenter"):
        adding = e.before is not None and e.after is None
        name = e.before if adding else e.after
        person = _person_then(session, row.engagement_id, name or "", e.id)
        if person is None:
            raise Conflict(f"{what}: {e.field} {name} is not a person of the engagement now")
        present = session.execute(
            select(KTParticipant.role).where(
                KTParticipant.session_id == row.id, KTParticipant.person_id == person.id
            )
        ).scalar_one_or_none()
        if (present is not None) == adding:
            raise Conflict(f"{what}: {e.field} {name} changed since {when}; nothing undone")
        plan.participants.append(ParticipantStep(key, label, person.id, name, e.field, adding))
        return
    column, now_text = e.field, e.after
    if key.entity == "task" and e.field == "assignee":
        column = "assignee_id"
        current_id = pending.get(column, row.assignee_id)
        left = _person_then(session, row.engagement_id, e.after, e.id) if e.after else None
        if current_id != (left.id if left is not None else None):
            current = session.get(Person, current_id).name if current_id else None
            raise _value_conflict(what, e.field, current, e.after)
        value = None
        if e.before:
            person = _person_then(session, row.engagement_id, e.before, e.id)
            if person is None:
                raise Conflict(f"{what}: {e.before} is not a person of the engagement now")
            value = person.id
        pending[column] = value
        plan.fields.append(FieldStep(key, row, label, e.field, column, value, e.after, e.before))
        return
    model = type(row)
    if column not in model.__table__.c or column in ("id", "version", "engagement_id"):
        raise Refused(f"{when}: the {e.field} of {what} cannot be undone")
    current = pending.get(column, getattr(row, column))
    expected = _parse(model, column, now_text, what)
    if _norm(current) != _norm(expected):
        raise _value_conflict(what, e.field, current, now_text)
    value = _parse(model, column, e.before, what)
    pending[column] = value
    companions = {}
    if value is None:
        companions = {c: None for c in COMPANIONS.get((key.entity, column), ())}
    if column == "name" and "slug" not in pending and _slug_follows(row):
        companions["slug"] = slugify(value)  # a name is looked up by its slug
    # The undo's event says it in the words of the event it reverts (a replay reads both).
    back = e.before
    rule = getattr(row, "expires_rule", None) if column == "expires_on" else None
    if rule and back is not None and not back.endswith(f" ({rule})"):
        back = f"{back} ({rule})"  # a grant's expiry is logged with its rule
    plan.fields.append(
        FieldStep(key, row, label, e.field, column, value, e.after, back, companions)
    )


def _person_then(session: Session, engagement_id: int, name: str, event_id: int) -> Person | None:
    """The person the event ``event_id`` named, as they were named then."""
    from transition.services.undo_people import person_then

    return person_then(session, engagement_id, name, event_id) or _person_named(
        session, engagement_id, name
    )


def _person_named(session: Session, engagement_id: int, name: str) -> Person | None:
    """The person an event named: by that name now, else the one renamed from or to it."""
    person = find_named(session, Person, name, Person.engagement_id == engagement_id)
    renamed = select(AuditEvent.entity_id).where(
        AuditEvent.engagement_id == engagement_id,
        AuditEvent.entity == "person",
        AuditEvent.field == "name",
        or_(AuditEvent.before == name, AuditEvent.after == name),
    )
    ids = set(session.execute(renamed).scalars()) if person is None else set()
    return person or (session.get(Person, ids.pop()) if len(ids) == 1 else None)


def _slug_follows(row: Any) -> bool:
    """A renamed row whose slug was made from its name: put back, the slug follows."""
    slug = getattr(row, "slug", None)
    return bool(slug) and slug == slugify(row.name)


def _value_conflict(what: str, field_name: str, current: Any, after: Any) -> Conflict:
    now = audit._text(current)
    return Conflict(
        f"{what} has {field_name} {'(none)' if now is None else repr(now)} now, not "
        f"{after!r} as the change left it (changed since); nothing undone"
    )


def _plan_creation(
    session: Session,
    plan: Plan,
    key: RowKey,
    row: Any,
    label: str,
    created: AuditEvent,
    history: list[AuditEvent],
    derived_here: set[int],
    when: str,
) -> bool:
    """Plan taking away the row the change created (True); False when the change brought
    back a row removed before, whose fields are then put back one by one."""
    what = f"{_what(key.entity)} {label}"
    if (key.entity, created.action) not in UNDOABLE_CREATIONS:
        raise Refused(f"{when} created {what}; undo cannot take that back")
    earlier = session.execute(
        select(AuditEvent.id)
        .where(
            AuditEvent.entity.in_(
                (key.entity, "grant") if key.entity == "access_grant" else (key.entity,)
            ),
            AuditEvent.entity_id == key.row_id,
            AuditEvent.id < created.id,
            # A row whose creation was undone (and its id reused, as SQLite does) is gone.
            AuditEvent.undoes.is_(None),
            or_(AuditEvent.change_id.is_(None), AuditEvent.change_id.not_in(_undone())),
        )
        .limit(1)
    ).first()
    if earlier is not None:
        from transition.services.undo_returns import check_removable

        check_removable(session, key.entity, row, history, what, when)
        return False
    refers = references(session, key.entity, row)
    if refers:
        raise Conflict(f"{what} is used by {refers} since {when}; nothing undone")
    if key.entity == "access_grant":
        plan.grants.discard(key.row_id)
        plan.revoke.append((key, label))
        return True
    plan.remove.append((key, row, label))
    if key.entity in SOURCES:  # gone: nothing of it to reconcile
        getattr(plan, SOURCES[key.entity]).discard(key.row_id)
    if key.entity == "system" and derived_here:
        plan.drop_items += list(
            session.execute(
                select(HandoverItem).where(
                    HandoverItem.id.in_(sorted(derived_here)),
                    HandoverItem.source_kind == "system",
                    HandoverItem.source_id == key.row_id,
                )
            ).scalars()
        )
    return True


def _undone() -> Any:
    """The ids of the changes undone (a subquery)."""
    return select(AuditEvent.undoes).where(AuditEvent.undoes.is_not(None))


def check_later(session: Session, plan: Plan, after_id: int) -> None:
    """Refuse when a row of the plan was changed after the change (by anyone, in a change
    not undone since), naming who, when and what."""
    if not plan.touched:
        return
    entities = {k.entity for k in plan.touched}
    if "access_grant" in entities:
        entities.add("grant")
    ids = {k.row_id for k in plan.touched}
    undone = _undone()
    later = session.execute(
        select(AuditEvent)
        .where(
            AuditEvent.id > after_id,
            AuditEvent.entity.in_(sorted(entities)),
            AuditEvent.entity_id.in_(sorted(ids)),
            AuditEvent.undoes.is_(None),
            or_(AuditEvent.change_id.is_(None), AuditEvent.change_id.not_in(undone)),
        )
        .order_by(AuditEvent.id)
    ).scalars()
    for e in later:
        key = _row_key(e)
        if key not in plan.touched:
            continue
        same = [
            o
            for o in session.execute(
                select(AuditEvent)
                .where(
                    AuditEvent.entity == e.entity,
                    AuditEvent.entity_id == e.entity_id,
                    AuditEvent.change_id == e.change_id if e.change_id else AuditEvent.id == e.id,
                )
                .order_by(AuditEvent.id)
            ).scalars()
            if o.field
        ]
        fields = "; ".join(f"{o.field}: {o.before} → {o.after}" for o in same)
        fields = f" ({fields})" if fields else f" ({e.action})"
        raise Conflict(
            f"{_what(key.entity)} {plan.touched[key]} was changed by {e.actor} at "
            f"{shown_time(e.at)}{fields} since; nothing undone"
        )
