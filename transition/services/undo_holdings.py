"""Undoing changes of a system's people and topics (``system owner``, ``system topic``).

They are recorded as ``system`` events on the field ``owner``, ``sme``, ``backup`` (the
person's name) or ``topic`` (its title). Undoing the addition of an owner takes the role
away again and undoing its removal gives it back; undoing a topic added removes it and
undoing a topic removed brings it back. Each is refused (nothing written) when the system
was changed since, or when what the change left is no longer so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from transition.dates import utcnow
from transition.errors import Conflict, Refused
from transition.models import AuditEvent, System, SystemPerson, SystemTopic
from transition.services import audit
from transition.services.views.owners import SYSTEM_ROLES
from transition.text import slugify

ENTITY = "system"
#: The ``system`` fields that record a holding rather than a column.
FIELDS = (*SYSTEM_ROLES, "topic")


def is_holding(event: AuditEvent) -> bool:
    """Whether ``event`` records a change of a system's people or topics."""
    return event.entity == ENTITY and event.field in FIELDS


@dataclass
class HoldingStep:
    key: Any  # undo_rules.RowKey of the system
    label: str
    field: str
    #: The person's name or the topic's title.
    name: str
    #: True: put it back (undoing a removal); False: take it away (undoing an addition).
    add: bool
    row: Any = None  # the SystemPerson to delete, or the SystemTopic to change
    person_id: int | None = None


def plan_holdings(session: Session, plan: Any, events: Sequence[AuditEvent], when: str) -> None:
    """Add to ``plan`` the steps undoing the owner and topic events of a change."""
    from transition.services.undo_rules import RowKey, check_later

    systems = {
        s.id: s
        for s in session.execute(
            select(System).where(System.id.in_(sorted({e.entity_id for e in events})))
        ).scalars()
    }
    for e in events:
        system = systems.get(e.entity_id)
        if system is None:
            raise Conflict(f"system {e.entity_id} is gone since {when}; nothing undone")
        plan.touched[RowKey(ENTITY, system.id)] = system.slug
    # Who changed the system since is the clearest answer: asked first.
    check_later(session, plan, plan.last_id)
    for e in events:
        system = systems[e.entity_id]
        key = RowKey(ENTITY, system.id)
        adding = e.after is None
        name = (e.before if adding else e.after) or ""
        if not name:
            raise Refused(f"{when} ({ENTITY} {e.action} {e.field}) cannot be undone")
        if e.field == "topic":
            plan.holdings.append(_topic_step(session, key, system, name, adding, when))
        else:
            plan.holdings.append(
                _person_step(session, key, system, e.field, name, adding, when, e.id)
            )


def _topic_step(
    session: Session, key: Any, system: System, title: str, adding: bool, when: str
) -> HoldingStep:
    label = f"{system.slug} topic {title!r}"
    row = session.execute(
        select(SystemTopic).where(
            SystemTopic.system_id == system.id, SystemTopic.key == slugify(title)
        )
    ).scalar_one_or_none()
    if row is None:
        raise Conflict(f"{label} is gone since {when}; nothing undone")
    if adding and row.removed_at is None:
        raise Conflict(f"{label} was added again since {when}; nothing undone")
    if not adding and row.removed_at is not None:
        raise Conflict(f"{label} was removed since {when}; nothing undone")
    return HoldingStep(key, system.slug, "topic", row.title, adding, row)


def _person_step(
    session: Session,
    key: Any,
    system: System,
    role: str,
    name: str,
    adding: bool,
    when: str,
    event_id: int,
) -> HoldingStep:
    from transition.services.undo_people import live_person_then

    label = f"{system.slug} {role} {name}"
    person = live_person_then(session, system.engagement_id, name, event_id)
    if person is None:
        raise Conflict(f"{label}: {name} is not a person of the engagement now; nothing undone")
    row = session.execute(
        select(SystemPerson).where(
            SystemPerson.system_id == system.id,
            SystemPerson.person_id == person.id,
            SystemPerson.role == role,
        )
    ).scalar_one_or_none()
    if adding and row is not None:
        raise Conflict(f"{label} was given again since {when}; nothing undone")
    if not adding and row is None:
        raise Conflict(f"{label} is gone since {when}; nothing undone")
    return HoldingStep(key, system.slug, role, person.name, adding, row, person.id)


def apply_holdings(
    session: Session, engagement_id: int, steps: Sequence[HoldingStep]
) -> list[tuple[HoldingStep, str, Any, Any]]:
    """Write the steps and their ``undo`` events; returns (step, field, now, restored)."""
    changes: list[audit.Change] = []
    shown: list[tuple[HoldingStep, str, Any, Any]] = []
    for step in steps:
        if step.field == "topic":
            step.row.removed_at = None if step.add else utcnow()
            session.add(step.row)
        elif step.add:
            session.add(
                SystemPerson(
                    engagement_id=engagement_id,
                    system_id=step.key.row_id,
                    person_id=step.person_id,
                    role=step.field,
                )
            )
        else:
            session.delete(step.row)
        session.flush()
        now, back = (None, step.name) if step.add else (step.name, None)
        changes.append(audit.Change(ENTITY, step.key.row_id, "undo", step.field, now, back))
        shown.append((step, step.field, now, back))
    audit.record_many(session, engagement_id, changes)
    return shown
