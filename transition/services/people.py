"""People on the engagement: client, incumbent or provider side, with a release date."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from transition.dates import check_range, parse_date
from transition.errors import BadInput, Refused, about
from transition.models import Engagement, Person
from transition.services import audit
from transition.services.common import (
    EngagementRef,
    apply_changes,
    engagement_of,
    find_named,
    view_columns,
)
from transition.services.views.people import PersonView
from transition.text import clean_email, clean_line, clean_name, field_limit, slugify

SIDES = ("client", "incumbent", "provider")


def add(
    session: Session,
    engagement: EngagementRef,
    name: str,
    *,
    side: str,
    email: str | None = None,
    role: str | None = None,
    release_date: str | date | None = None,
) -> PersonView:
    """Add a person. ``release_date``, when they leave: a date, or as typed (ISO)."""
    engagement = engagement_of(session, engagement)
    with about("name"):
        name = clean_name(name, "person name", field_limit(Person, "name"))
    slug = slugify(name)
    with about("side"):
        side = clean_line(side, "side", field_limit(Person, "side")).lower()
    if side not in SIDES:
        raise BadInput(f"invalid side {side!r}: choose one of {', '.join(SIDES)}", field="side")
    if email is not None:
        with about("email"):
            email = clean_email(email, "email", field_limit(Person, "email"))
    if role is not None:
        with about("role"):
            role = clean_name(role, "role", field_limit(Person, "role"))
    with about("release_date"):
        release_date = _release(release_date)
    existing = find_named(session, Person, name, Person.engagement_id == engagement.id)
    if existing is not None and existing.removed_at is not None:
        if slugify(existing.name) != slugify(name):
            raise Refused(_taken("removed person", name, existing, engagement), field="name")
        # Re-adding a removed person brings them back, their history kept.
        apply_changes(
            session,
            existing,
            engagement.id,
            "person",
            {
                "removed_at": None,
                "name": name,
                "side": side,
                "email": email or None,
                "role": role,
                "release_date": release_date,
            },
            action="create",
        )
        return PersonView.model_validate(existing)
    if existing is not None:
        if existing.name.casefold() == name.casefold():
            raise Refused(
                f"person {existing.slug!r} already exists in {engagement.slug}", field="name"
            )
        raise Refused(
            f"person name {name!r} has the same slug {existing.slug!r} as the existing person "
            f"{existing.name!r} in {engagement.slug}: choose a more distinct name",
            field="name",
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
    return PersonView.model_validate(person)


def _release(value: str | date | None) -> date | None:
    if isinstance(value, str):
        return parse_date(value, "release date") if value.strip() else None
    if value is not None:
        check_range(value, "release date")
    return value


def list_people(session: Session, engagement: EngagementRef) -> list[PersonView]:
    """The engagement's people (removed ones left out) by side, then slug, from selected
    columns."""
    engagement = engagement_of(session, engagement)
    rows = session.execute(
        select(*view_columns(PersonView, Person))
        .where(Person.engagement_id == engagement.id, Person.removed_at.is_(None))
        .order_by(Person.side, Person.slug)
    )
    return [PersonView.model_validate(r) for r in rows]


def _taken(what: str, name: str, existing: Person, engagement: Engagement) -> str:
    if existing.name.casefold() == name.casefold():
        return f"{what} {existing.slug!r} already exists in {engagement.slug}"
    return (
        f"{what} name {name!r} has the same slug {existing.slug!r} as the existing {what} "
        f"{existing.name!r} in {engagement.slug}: choose a more distinct name"
    )


# Editing and removing people live beside, re-exported here: ``people.update``…
from transition.services.people_edit import remove, update  # noqa: E402

__all__ = ["SIDES", "add", "list_people", "remove", "update"]
