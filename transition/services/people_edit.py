"""Changing a person's details, and taking them off the engagement (soft removal: their
history stays; re-adding the same name brings them back)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from transition.dates import today, utcnow
from transition.errors import BadInput, Refused, about
from transition.models import AccessGrant, Engagement, KTParticipant, KTSession, Person, System
from transition.services.common import (
    EngagementRef,
    apply_changes,
    check_version,
    engagement_of,
    find_named,
    get_person,
)
from transition.services.engagement_edit import NONE, field_changes
from transition.services.views.people import PersonChange, PersonView
from transition.text import clean_email, clean_line, clean_name, field_limit, slugify


def _live_grants(session: Session, person: Person) -> list[tuple[int, str, str]]:
    """The grants ``person`` still holds (not revoked): id, role, system."""
    return [
        tuple(row)
        for row in session.execute(
            select(AccessGrant.id, AccessGrant.role, System.name)
            .join(System, System.id == AccessGrant.system_id)
            .where(AccessGrant.person_id == person.id, AccessGrant.revoked_at.is_(None))
            .order_by(AccessGrant.id)
        )
    ]


def _planned_kt(
    session: Session, person: Person, *, since: datetime | None = None
) -> list[tuple[int, str, datetime]]:
    """The planned KT sessions ``person`` presents or attends (starting at ``since`` or
    later, if given): id, topic, start."""
    stmt = (
        select(KTSession.id, KTSession.topic, KTSession.starts_at)
        .join(KTParticipant, KTParticipant.session_id == KTSession.id)
        .where(KTParticipant.person_id == person.id, KTSession.status == "planned")
        .order_by(KTSession.id)
    )
    if since is not None:
        stmt = stmt.where(KTSession.starts_at >= since)
    return [tuple(row) for row in session.execute(stmt)]


def warn_sessions_after(session: Session, engagement: Engagement, person: Person) -> None:
    """A warning naming the planned KT sessions ``person`` takes part in on a day after
    they leave (their release date; the day in the engagement's zone): knowledge is not
    transferred by or to someone gone, so those sessions need a new presenter, a new
    date or cancelling (a warning: the date is recorded all the same)."""
    from transition.services.access_rules import warn
    from transition.services.kt import session_day

    leaves = person.released_on or person.release_date
    if leaves is None:
        return
    rows = _planned_kt(session, person, since=datetime.combine(leaves, time.min, tzinfo=UTC))
    after = sorted(
        (
            (sid, topic, day)
            for sid, topic, at in rows
            if (day := session_day(engagement, at)) > leaves
        ),
        key=lambda found: (found[2], found[0]),
    )
    if after:
        shown = ", ".join(f"#{sid} {topic} on {day}" for sid, topic, day in after[:5])
        more = f" and {len(after) - 5} more" if len(after) > 5 else ""
        warn(
            session,
            f"{person.name} leaves on {leaves} but is in {len(after)} planned KT session(s) "
            f"after it: {shown}{more}; reschedule them, change who takes part, or cancel them",
        )


def _optional_text(value: str, clean: Any, what: str, field: str) -> str | None:
    with about(field):
        value = value.strip()
        return clean(value, what, field_limit(Person, field)) if value else None


def update(
    session: Session,
    engagement: EngagementRef,
    name: str,
    *,
    new_name: str | None = None,
    role: str | None = None,
    email: str | None = None,
    side: str | None = None,
    release_date: str | date | None = None,
    timezone: str | None = None,
    expected_version: int | None = None,
) -> PersonChange:
    """Change a person's details (None leaves a field as it is; an empty role or email,
    and ``none`` for the release date or time zone, clears it). A new name gives a new
    slug, refused if another person of the engagement (removed ones too) has it."""
    from transition import workdays
    from transition.services.people import SIDES, _release

    eng = engagement_of(session, engagement)
    with about("name"):
        person = get_person(session, eng, name)
    values: dict[str, Any] = {}
    if new_name is not None:
        with about("new_name"):
            new_name = clean_name(new_name, "person name", field_limit(Person, "name"))
        other = find_named(
            session, Person, new_name, Person.engagement_id == eng.id, Person.id != person.id
        )
        if other is not None:
            removed = " removed" if other.removed_at is not None else ""
            raise Refused(
                f"person name {new_name!r} has the slug {other.slug!r} of the{removed} person "
                f"{other.name!r} in {eng.slug}: choose another name",
                field="new_name",
            )
        values.update(name=new_name, slug=slugify(new_name))
    if role is not None:
        values["role"] = _optional_text(role, clean_name, "role", "role")
    if email is not None:
        values["email"] = _optional_text(email, clean_email, "email", "email")
    if side is not None:
        with about("side"):
            side = clean_line(side, "side", field_limit(Person, "side")).lower()
        if side not in SIDES:
            raise BadInput(f"invalid side {side!r}: choose one of {', '.join(SIDES)}", field="side")
        values["side"] = side
    if release_date is not None:
        with about("release_date"):
            none = isinstance(release_date, str) and release_date.strip().lower() in NONE
            values["release_date"] = None if none else _release(release_date)
        if person.released_on is not None and values["release_date"] != person.release_date:
            raise Refused(  # the release happened: its date is history, not a plan
                f"person {person.slug} was released on {person.released_on.isoformat()}: "
                "the release date cannot change (undo the release to change it)",
                field="release_date",
            )
    if timezone is not None:
        with about("timezone"):
            none = timezone.strip().lower() in NONE
            values["timezone"] = None if none else workdays.check_zone(timezone)
    check_version(session, person, expected_version, "person", person.slug)
    changed = apply_changes(session, person, eng.id, "person", values)
    if "side" in changed or "release_date" in changed:
        _warn_about_access(session, person, changed)
    if "release_date" in changed:
        warn_sessions_after(session, eng, person)
    if "name" in changed:  # revoke items name the person: they follow the new name
        from transition.services import handover

        grants = [gid for gid, _, _ in _live_grants(session, person)]
        grants += list(
            session.execute(
                select(AccessGrant.id).where(
                    AccessGrant.person_id == person.id, AccessGrant.revoked_at.is_not(None)
                )
            ).scalars()
        )
        if grants:
            handover.reconcile(session, eng, grants=grants)
    return PersonChange(
        person=PersonView.model_validate(person),
        changes=field_changes(changed),
        warnings=list(session.info.get("warnings", ())),
    )


def _warn_about_access(session: Session, person: Person, changed: dict) -> None:
    """A person who changes side or leaves keeps their grants until revoked: the same
    second look ``access review`` takes, shown now (a warning, not a refusal)."""
    from transition.services.access_rules import released, warn

    grants = _live_grants(session, person)
    if not grants:
        return
    shown = ", ".join(f"grant {gid} ({role} on {system})" for gid, role, system in grants[:5])
    if "side" in changed:
        before, after = changed["side"]
        warn(
            session,
            f"{person.name} moved from the {before} to the {after} side and still holds "
            f"{len(grants)} grant(s): {shown}; review them",
        )
    if "release_date" in changed and released(person.release_date, today()):
        warn(
            session,
            f"{person.name} was released on {person.release_date} and still holds "
            f"{len(grants)} grant(s): {shown}; revoke them",
        )


def remove(
    session: Session,
    engagement: EngagementRef,
    name: str,
    *,
    expected_version: int | None = None,
) -> PersonChange:
    """Take a person off the engagement: they leave lists and lookups, their history
    stays. Refused while they hold access (grants not revoked) or are in a planned KT
    session, naming them."""
    eng = engagement_of(session, engagement)
    with about("name"):
        person = get_person(session, eng, name)
    check_version(session, person, expected_version, "person", person.slug)
    grants, sessions = _live_grants(session, person), _planned_kt(session, person)
    if grants or sessions:
        held = [f"grant {gid} ({role} on {system})" for gid, role, system in grants[:10]]
        held += [f"KT session {sid} ({topic})" for sid, topic, _ in sessions[:10]]
        raise Refused(
            f"person {person.slug} still holds {len(grants)} active grant(s) and "
            f"{len(sessions)} planned KT session(s): {', '.join(held)}; revoke the grants "
            "and cancel or hold the sessions first"
        )
    changed = apply_changes(
        session, person, eng.id, "person", {"removed_at": utcnow()}, action="remove"
    )
    return PersonChange(person=PersonView.model_validate(person), changes=field_changes(changed))
