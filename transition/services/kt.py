"""Knowledge-transfer sessions: scheduled per system and topic, held, signed off.

Lifecycle ``planned`` → ``held`` → ``signed_off``; a planned session may instead be
``cancelled`` (rescheduling, cancelling and editing live in ``kt_edit``; reading the
sessions and KT coverage in ``kt_read``). Only an attendee signs a session off (the
receiver of the knowledge, with a confidence from 1 to 5), and only once it was held.
Each session has a ``uid`` fixed at creation, so calendar exports update entries instead
of duplicating them. Key-person risk: a system whose KT depends only on incumbent people
who leave within two weeks, while its KT is not yet signed off.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session

from transition.dates import utcnow
from transition.errors import BadInput, Refused, about
from transition.guard import no_secrets
from transition.models import (
    Engagement,
    KTParticipant,
    KTSession,
    Person,
)
from transition.playbook_criteria import KT_KINDS
from transition.services import audit
from transition.services.common import (
    EngagementRef,
    apply_changes,
    check_version,
    engagement_of,
    find_named,
    get_by_id,
    get_system,
)
from transition.services.kt_read import (  # noqa: F401  (the KT service's public names)
    Contacts,
    coverage,
    list_sessions,
    session_records,
    sessions_with_people,
)
from transition.services.kt_risks import (  # noqa: F401  (the KT service's public names)
    CORE_KINDS,
    RISK_DAYS,
    key_person_risks,
    key_person_risks_for,
    missing_kinds,
)
from transition.services.views.kt import KTSessionView
from transition.text import clean_line, clean_text, field_limit, slugify

ENTITY = "kt_session"

#: People as a verb takes them: a list of names, or one text of comma-separated names.
Names = str | Sequence[str]


def _kind(value: str) -> str:
    kind = slugify(value)
    if kind not in KT_KINDS:
        raise BadInput(
            f"invalid KT kind {value!r}: choose one of {', '.join(KT_KINDS)}", field="kind"
        )
    return kind


def _names(value: Names) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    return [n.strip() for n in items if n and n.strip()]


def _minutes(value: int | str) -> int:
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        raise BadInput(f"invalid length {value!r}: a number of minutes", field="minutes") from None
    if not 5 <= minutes <= 24 * 60:
        raise BadInput(f"invalid length {minutes} minutes: between 5 and 1440", field="minutes")
    return minutes


def _confidence(value: int | str | None) -> int | None:
    """A confidence as typed: 1 to 5, or none (``None`` or an empty text)."""
    if isinstance(value, str):
        if not value.strip():
            return None
        with suppress(ValueError):
            value = int(value.strip())
    if value is not None and (isinstance(value, bool) or value not in range(1, 6)):
        raise BadInput(
            f"invalid confidence {value!r}: choose 1 (low) to 5 (high)", field="confidence"
        )
    return value  # type: ignore[return-value]


def _people(
    session: Session,
    engagement: Engagement,
    names: Iterable[str],
    field: str,
    fields: Mapping[str, str] | None = None,
) -> dict[str, Person]:
    """Persons on the engagement (not removed) by slug, one query; unknown names are one
    error naming all of them, about the argument ``fields`` gives the first of them (by
    slug), else ``field``."""
    slugs = {slugify(n): n for n in names}
    found = {
        p.slug: p
        for p in session.execute(
            select(Person).where(
                Person.engagement_id == engagement.id,
                Person.slug.in_(list(slugs)),
                Person.removed_at.is_(None),  # a removed person takes no further part
            )
        ).scalars()
    }
    for slug, name in slugs.items():  # a row stored under the first release's slug
        if slug not in found:
            here = (Person.engagement_id == engagement.id, Person.removed_at.is_(None))
            old = find_named(session, Person, name, *here)
            if old is not None:
                found[slug] = old
    unknown = [name for slug, name in slugs.items() if slug not in found]
    if unknown:
        raise BadInput(
            f"unknown person(s) {', '.join(map(repr, unknown))} in {engagement.slug}: "
            "add them with `transition person add`",
            field=(fields or {}).get(slugify(unknown[0]), field),
        )
    return found


def session_day(engagement: Engagement, at: datetime) -> date:
    """The day of a session at ``at``, in the engagement's zone: what leaving is judged by."""
    from transition.services.kt_times import local

    return local(at, engagement.timezone).date()


def check_present(
    engagement: Engagement,
    at: datetime,
    people: Iterable[tuple[Person, str]],
    field: str | Mapping[str, str],
) -> None:
    """Refuse a session at ``at`` with someone who has left by its day (the day in the
    engagement's zone): released with ``person release``, or whose release date is before
    that day (``access_rules.check_not_released_by``): knowledge is not transferred by or to
    someone gone. ``people``: (person, ``presenter`` or ``attendee``) in the order told;
    ``field``: the argument the refusal is about, or one per role."""
    from transition.services.access_rules import check_not_released_by

    day = session_day(engagement, at)
    for person, role in people:
        what = "present a KT session" if role == "presenter" else "attend a KT session"
        about_ = field if isinstance(field, str) else field[role]
        check_not_released_by(person, day, what, field=about_)


def check_took_part(
    engagement: Engagement, at: datetime, people: Iterable[tuple[Person, str]], field: str
) -> None:
    """Refuse recording that someone took part in a session at ``at`` who had left before
    its day (``access_rules.left_before``; leaving since is no reason)."""
    from transition.services.access_rules import left_before

    day = session_day(engagement, at)
    for person, role in people:
        gone = left_before(person, day)
        if gone is not None:
            what = "presented" if role == "presenter" else "attended"
            raise Refused(
                f"{person.name} left on {gone.isoformat()}, before the KT session on "
                f"{day.isoformat()}: they cannot have {what} it",
                field=field,
            )


def _check_presented(engagement: Engagement, row: KTSession, presenters: list[Person]) -> None:
    """Refuse holding a session none of whose presenters was still there on its day."""
    from transition.services.access_rules import left_before

    day = session_day(engagement, row.starts_at)
    gone = [(p, left_before(p, day)) for p in presenters]
    if gone and all(when is not None for _, when in gone):
        who = ", ".join(f"{p.name} on {when.isoformat()}" for p, when in gone)
        raise Refused(
            f"KT session {row.id} on {day.isoformat()} cannot have taken place: its "
            f"presenter left before it ({who}); cancel it, or reschedule it with a "
            "presenter who is there",
            field="id",
        )


def taking_part(session: Session, row: KTSession) -> list[tuple[Person, str]]:
    """Who takes part in ``row``: (person, role), presenters first, by name."""
    return [
        (person, role)
        for person, role in session.execute(
            select(Person, KTParticipant.role)
            .join(KTParticipant, KTParticipant.person_id == Person.id)
            .where(KTParticipant.session_id == row.id)
            .order_by(KTParticipant.role.desc(), Person.slug)
        ).all()
    ]


def schedule(
    session: Session,
    engagement: EngagementRef,
    *,
    system: str,
    topic: str,
    presenters: Names,
    attendees: Names = (),
    at: str | datetime,
    kind: str = "walkthrough",
    minutes: int | str = 60,
    covers: Names = (),
) -> KTSessionView:
    """Plan a session (``covers``: the system's topics it covers, ``kt_topics.cover``).
    Presenters and attendees are people of the engagement (a list, or names separated by
    commas); nobody is both. ``at`` as typed, read in the engagement's
    time zone unless it carries an offset (``kt_times.read_at``; UTC when the engagement
    has no zone), or a datetime (naive: UTC); years outside ``dates.MIN_YEAR``–``MAX_YEAR``
    are refused, and so is anyone who has left by the session's day (``check_present``)."""
    from transition.services.kt_times import read_at

    engagement = engagement_of(session, engagement)
    kind = _kind(kind)
    with about("at"):
        at = read_at(at, engagement.timezone)
    with about("topic"):
        topic = " ".join(clean_line(topic, "the topic", field_limit(KTSession, "topic")).split())
        if not topic:
            raise BadInput("a KT session needs a topic")
        no_secrets(topic, "the topic")
    minutes = _minutes(minutes)
    presenter_names, attendee_names = _names(presenters), _names(attendees)
    if not presenter_names:
        raise BadInput("a KT session needs at least one presenter", field="presenters")
    both = {slugify(p) for p in presenter_names} & {slugify(a) for a in attendee_names}
    if both:
        raise BadInput(
            f"{', '.join(sorted(both))} cannot both present and attend", field="attendees"
        )
    with about("system"):
        target = get_system(session, engagement, system)
    people = _people(
        session,
        engagement,
        [*presenter_names, *attendee_names],
        "attendees",
        {slugify(p): "presenters" for p in presenter_names},
    )
    roles = {slugify(p): "presenter" for p in presenter_names}
    roles.update({slugify(a): "attendee" for a in attendee_names})
    check_present(
        engagement,
        at,
        [(people[slug], role) for slug, role in roles.items()],
        {"presenter": "presenters", "attendee": "attendees"},
    )
    row = KTSession(
        engagement_id=engagement.id,
        system_id=target.id,
        uid=uuid.uuid4().hex,
        topic=topic,
        kind=kind,
        starts_at=at,
        minutes=minutes,
        status="planned",
    )
    session.add(row)
    session.flush()
    participants = {people[slugify(p)].id: "presenter" for p in presenter_names}
    for name in attendee_names:
        participants.setdefault(people[slugify(name)].id, "attendee")
    session.execute(
        insert(KTParticipant),
        [{"session_id": row.id, "person_id": pid, "role": r} for pid, r in participants.items()],
    )
    names = {p.id: p.name for p in people.values()}
    audit.record_many(
        session,
        engagement.id,
        [
            audit.Change(ENTITY, row.id, "schedule", "system", None, target.name),
            audit.Change(ENTITY, row.id, "schedule", "kind", None, kind),
            audit.Change(ENTITY, row.id, "schedule", "topic", None, topic),
            audit.Change(ENTITY, row.id, "schedule", "starts_at", None, row.starts_at),
            *(
                audit.Change(ENTITY, row.id, "schedule", r, None, names[pid])
                for pid, r in participants.items()
            ),
        ],
    )
    covered = _names(covers)
    if covered:
        from transition.services.kt_topics import cover

        with about("covers"):
            cover(session, engagement, row, covered, action="schedule")
    return sessions_with_people(session, engagement, session_id=row.id)[0][0]


def _get(session: Session, engagement: Engagement, session_id: int | str) -> KTSession:
    return get_by_id(session, KTSession, engagement, session_id, "KT session")


def hold(
    session: Session,
    engagement: EngagementRef,
    session_id: int | str,
    *,
    attendees: Names = (),
    expected_version: int | None = None,
) -> KTSessionView:
    """Record that a planned session took place, with any extra attendees who joined."""
    engagement = engagement_of(session, engagement)
    row = _get(session, engagement, session_id)
    check_version(session, row, expected_version, ENTITY, str(row.id))
    if row.status != "planned":
        raise Refused(f"KT session {row.id} is already {row.status.replace('_', ' ')}")
    _check_presented(engagement, row, [p for p, r in taking_part(session, row) if r == "presenter"])
    extra = _names(attendees)
    if extra:
        people = _people(session, engagement, extra, "attendees")
        current = dict(
            session.execute(
                select(KTParticipant.person_id, KTParticipant.role).where(
                    KTParticipant.session_id == row.id
                )
            ).all()
        )
        clash = [p.name for p in people.values() if current.get(p.id) == "presenter"]
        if clash:
            raise BadInput(
                f"{', '.join(clash)} presented this session and cannot attend it",
                field="attendees",
            )
        added = [p for p in people.values() if p.id not in current]
        check_took_part(engagement, row.starts_at, [(p, "attendee") for p in added], "attendees")
        if added:
            session.execute(
                insert(KTParticipant),
                [{"session_id": row.id, "person_id": p.id, "role": "attendee"} for p in added],
            )
            audit.record_many(
                session,
                engagement.id,
                [audit.Change(ENTITY, row.id, "attend", "attendee", None, p.name) for p in added],
            )
    apply_changes(
        session, row, engagement.id, ENTITY, {"status": "held", "held_at": utcnow()}, "hold"
    )
    return sessions_with_people(session, engagement, session_id=row.id)[0][0]


def signoff(
    session: Session,
    engagement: EngagementRef,
    session_id: int | str,
    *,
    by: str,
    confidence: int | str | None = None,
    follow_ups: str = "",
    expected_version: int | None = None,
) -> KTSessionView:
    """An attendee confirms the knowledge arrived (confidence 1–5, as typed: ``"4"`` is 4,
    an empty text none). Held sessions only."""
    engagement = engagement_of(session, engagement)
    confidence = _confidence(confidence)
    with about("follow_ups"):
        text = clean_text(follow_ups or "", "the follow-ups")
        follow_ups = no_secrets(text, "the follow-ups") or ""
    row = _get(session, engagement, session_id)
    check_version(session, row, expected_version, ENTITY, str(row.id))
    if row.status == "planned":
        raise Refused(f"KT session {row.id} has not been held yet: hold it before signing off")
    if row.status == "signed_off":
        raise Refused(f"KT session {row.id} is already signed off")
    if row.status == "cancelled":
        raise Refused(f"KT session {row.id} was cancelled: there is nothing to sign off")
    person = _people(session, engagement, [by], "by")[slugify(by)]
    role = session.execute(
        select(KTParticipant.role).where(
            KTParticipant.session_id == row.id, KTParticipant.person_id == person.id
        )
    ).scalar_one_or_none()
    if role != "attendee":
        what = "presented it" if role == "presenter" else "did not attend it"
        raise Refused(
            f"{person.name} {what}: only an attendee signs off KT session {row.id} "
            "(add late attendees with `kt hold --attendee`)",
            field="by",
        )
    check_took_part(engagement, row.starts_at, [(person, "attendee")], "by")
    values: dict[str, Any] = {
        "status": "signed_off",
        "signed_off_by_id": person.id,
        "signed_off_at": utcnow(),
        "confidence": confidence,
    }
    if follow_ups:
        values["follow_ups"] = follow_ups
    apply_changes(session, row, engagement.id, ENTITY, values, "signoff")
    return sessions_with_people(session, engagement, session_id=row.id)[0][0]
