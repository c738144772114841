"""The person an audit event named, as they were named then: events record people by
name (an assignee, a KT presenter), and a person may have been renamed since, and their
old name taken by someone else."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from transition.models import AuditEvent, Person
from transition.text import slugify


def person_then(session: Session, engagement_id: int, name: str, event_id: int) -> Person | None:
    """The person of the engagement who was called ``name`` (on its slug) when the event
    ``event_id`` was written; None when nobody (or more than one) was."""
    slug = slugify(name)
    # A person's name at the event is the "before" of their first rename after it, else
    # the name they have now.
    then: dict[int, str] = {}
    for person_id, before in session.execute(
        select(AuditEvent.entity_id, AuditEvent.before)
        .where(
            AuditEvent.engagement_id == engagement_id,
            AuditEvent.entity == "person",
            AuditEvent.field == "name",
            AuditEvent.id > event_id,
            AuditEvent.before.is_not(None),
        )
        .order_by(AuditEvent.id)
    ):
        then.setdefault(person_id, before)
    named = {pid for pid, before in then.items() if slugify(before) == slug}
    named |= set(
        session.execute(
            select(Person.id).where(
                Person.engagement_id == engagement_id,
                Person.slug == slug,
                Person.id.not_in(sorted(then) or [-1]),
            )
        ).scalars()
    )
    if len(named) > 1:  # who among them existed then: their first event came before it
        first = func.min(AuditEvent.id)
        named = set(
            session.execute(
                select(AuditEvent.entity_id)
                .where(AuditEvent.entity == "person", AuditEvent.entity_id.in_(sorted(named)))
                .group_by(AuditEvent.entity_id)
                .having(first < event_id)
            ).scalars()
        )
    return session.get(Person, named.pop()) if len(named) == 1 else None


def live_person_then(
    session: Session, engagement_id: int, name: str, event_id: int
) -> Person | None:
    """``person_then``, or else the person of that name now, when not removed."""
    from transition.services.common import find_named

    person = person_then(session, engagement_id, name, event_id) or find_named(
        session, Person, name, Person.engagement_id == engagement_id
    )
    return person if person is not None and person.removed_at is None else None
