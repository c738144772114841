"""People on the engagement: client, incumbent or provider side, with a release date."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from transition.errors import BadInput, Refused, about
from transition.models import Engagement, Person
from transition.services import audit
from transition.services.common import find_named
from transition.services.views import PersonView
from transition.text import clean_email, clean_line, clean_name, field_limit, slugify

SIDES = ("client", "incumbent", "provider")


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
    with about("name"):
        name = clean_name(name, "person name", field_limit(Person, "name"))
    slug = slugify(name)
    side = clean_line(side, "side", field_limit(Person, "side")).lower()
    if side not in SIDES:
        raise BadInput(f"invalid side {side!r}: choose one of {', '.join(SIDES)}", field="side")
    if email is not None:
        with about("email"):
            email = clean_email(email, "email", field_limit(Person, "email"))
    if role is not None:
        with about("role"):
            role = clean_name(role, "role", field_limit(Person, "role"))
    existing = find_named(session, Person, name, Person.engagement_id == engagement.id)
    if existing is not None:
        if existing.name.casefold() == name.casefold():
            raise Refused(f"person {existing.slug!r} already exists in {engagement.slug}")
        raise Refused(
            f"person name {name!r} has the same slug {existing.slug!r} as the existing person "
            f"{existing.name!r} in {engagement.slug}: choose a more distinct name"
        )
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


def list_people(session: Session, engagement: Engagement) -> list[PersonView]:
    """The engagement's people by side, then slug, from selected columns."""
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
    return [PersonView.model_validate(r) for r in rows]
