"""People on the engagement: client, incumbent or provider side, with a release date."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from transition.errors import BadInput, Refused
from transition.models import Engagement, Person
from transition.services import audit
from transition.text import clean_name, slugify

SIDES = ("client", "incumbent", "provider")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def add(
    session: Session,
    engagement: Engagement,
    name: str,
    *,
    side: str,
    email: str | None = None,
    role: str | None = None,
    release_date: date | None = None,
) -> Person:
    name = clean_name(name, "person name")
    slug = slugify(name)
    side = side.strip().lower()
    if side not in SIDES:
        raise BadInput(f"invalid side {side!r}: choose one of {', '.join(SIDES)}")
    if email is not None:
        email = email.strip()
        if not _EMAIL.match(email):
            raise BadInput(f"invalid email address {email!r}")
    if role is not None:
        role = clean_name(role, "role")
    exists = session.execute(
        select(Person.id).where(Person.engagement_id == engagement.id, Person.slug == slug)
    ).first()
    if exists:
        raise Refused(f"person {slug!r} already exists in {engagement.slug}")
    person = Person(
        engagement_id=engagement.id,
        slug=slug,
        name=name,
        side=side,
        email=email or None,
        role=role,
        release_date=release_date,
    )
    session.add(person)
    session.flush()
    audit.record(session, engagement.id, "person", person.id, "create", "side", None, side)
    return person


def list_people(session: Session, engagement: Engagement) -> list[dict[str, Any]]:
    rows = session.execute(
        select(
            Person.id,
            Person.name,
            Person.slug,
            Person.side,
            Person.email,
            Person.role,
            Person.release_date,
            Person.version,
        )
        .where(Person.engagement_id == engagement.id)
        .order_by(Person.side, Person.slug)
    )
    return [dict(r._mapping) for r in rows]
