"""The person (or system) an audit event named, as they were named then: events record
people and systems by name (an assignee, a KT presenter, a dependency's target), and a row
may have been renamed since, and its old name taken by another."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlmodel import Session

from transition.models import AuditEvent, Person, System
from transition.text import slugify

R = TypeVar("R", Person, System)
_ENTITY = {Person: "person", System: "system"}


def person_then(session: Session, engagement_id: int, name: str, event_id: int) -> Person | None:
    """The person of the engagement who was called ``name`` (on its slug) when the event
    ``event_id`` was written; None when nobody (or more than one) was."""
    return row_then(session, Person, engagement_id, name, event_id)


def row_then(
    session: Session, model: type[R], engagement_id: int, name: str, event_id: int
) -> R | None:
    """The person or system (``model``) of the engagement called ``name`` (on its slug)
    when the event ``event_id`` was written; None when nobody (or more than one) was."""
    entity: Any = _ENTITY[model]
    slug = slugify(name)
    # A row's name at the event is the "before" of its first rename after it, else the
    # name it has now.
    then: dict[int, str] = {}
    for row_id, before in session.execute(
        select(AuditEvent.entity_id, AuditEvent.before)
        .where(
            AuditEvent.engagement_id == engagement_id,
            AuditEvent.entity == entity,
            AuditEvent.field == "name",
            AuditEvent.id > event_id,
            AuditEvent.before.is_not(None),
        )
        .order_by(AuditEvent.id)
    ):
        then.setdefault(row_id, before)
    named = {pid for pid, before in then.items() if slugify(before) == slug}
    named |= set(
        session.execute(
            select(model.id).where(
                model.engagement_id == engagement_id,
                model.slug == slug,
                model.id.not_in(sorted(then)),
            )
        ).scalars()
    )
    if len(named) > 1:  # who among them existed then: their first event came before it
        first = func.min(AuditEvent.id)
        named = set(
            session.execute(
                select(AuditEvent.entity_id)
                .where(AuditEvent.entity == entity, AuditEvent.entity_id.in_(sorted(named)))
                .group_by(AuditEvent.entity_id)
                .having(first < event_id)
            ).scalars()
        )
    return session.get(model, named.pop()) if len(named) == 1 else None


def named_then(
    session: Session, model: type[R], engagement_id: int, name: str, event_id: int
) -> R | None:
    """``row_then``, or else the row called ``name`` now (removed ones included)."""
    from transition.services.common import find_named

    return row_then(session, model, engagement_id, name, event_id) or find_named(
        session, model, name, model.engagement_id == engagement_id
    )


def live_person_then(
    session: Session, engagement_id: int, name: str, event_id: int
) -> Person | None:
    """``person_then``, or else the person of that name now, when not removed."""
    person = named_then(session, Person, engagement_id, name, event_id)
    return person if person is not None and person.removed_at is None else None
