"""Changing a planned KT session: moving it, cancelling it, retitling it and changing who
attends. Only a planned session changes: once held, signed off or cancelled it is a record.

Each change is one transaction with one audit event per field: ``reschedule`` events on
``starts_at``/``minutes``, ``cancel`` events on ``status``/``cancel_reason``, ``update``
events on ``topic``, and ``update`` events on ``attendee`` (after = the name added;
before = the name removed, after empty) that the audit replay follows. The row's version
goes up with every change, attendees included, so the calendar's SEQUENCE follows.
The inverse of an ``attendee`` event is ``update`` with the name to add back
(``add_attendees=[before]``) or to drop (``remove_attendees=[after]``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from transition.dates import utc
from transition.errors import BadInput, Conflict, Refused, about
from transition.guard import no_secrets
from transition.models import Engagement, KTParticipant, KTSession
from transition.services import audit
from transition.services.common import EngagementRef, apply_changes, check_version, engagement_of
from transition.services.kt import (
    ENTITY,
    Names,
    _get,
    _minutes,
    _names,
    _people,
    check_present,
    sessions_with_people,
    taking_part,
)
from transition.services.kt_times import read_at
from transition.services.views.kt import KTSessionView
from transition.text import clean_line, clean_text, field_limit, slugify


def _check_planned(row: KTSession, verb: str) -> None:
    if row.status != "planned":
        state = row.status.replace("_", " ")
        raise Refused(
            f"KT session {row.id} is {state}: only a planned session can be {verb}"
            + (" (schedule a new one instead)" if row.status == "cancelled" else "")
        )


def _view(session: Session, engagement: Engagement, row: KTSession) -> KTSessionView:
    return sessions_with_people(session, engagement, session_id=row.id)[0][0]


def reschedule(
    session: Session,
    engagement: EngagementRef,
    session_id: int | str,
    *,
    at: str | datetime,
    minutes: int | str | None = None,
    expected_version: int | None = None,
) -> KTSessionView:
    """Move a planned session to ``at`` (read as ``kt.schedule`` reads it: in the
    engagement's zone unless it carries an offset; a time in the past is accepted, as when
    scheduling), and to ``minutes`` long if given. The same time and length change nothing.
    Refused while someone taking part has left by then (``kt.check_present``): drop the
    attendee (``update``) or cancel the session and schedule another."""
    engagement = engagement_of(session, engagement)
    with about("at"):
        start = read_at(at, engagement.timezone)
    length = None if minutes is None or minutes == "" else _minutes(minutes)
    row = _get(session, engagement, session_id)
    check_version(session, row, expected_version, ENTITY, str(row.id))
    _check_planned(row, "rescheduled")
    check_present(engagement, start, taking_part(session, row), "at")
    values: dict[str, object] = {}
    if utc(row.starts_at) != start:
        values["starts_at"] = start
    if length is not None and length != row.minutes:
        values["minutes"] = length
    apply_changes(session, row, engagement.id, ENTITY, values, "reschedule")
    return _view(session, engagement, row)


def cancel(
    session: Session,
    engagement: EngagementRef,
    session_id: int | str,
    *,
    reason: str,
    expected_version: int | None = None,
) -> KTSessionView:
    """Cancel a planned session, saying why. The row stays (with its people and history),
    and the calendar export marks its event cancelled."""
    engagement = engagement_of(session, engagement)
    with about("reason"):
        text = clean_text(reason if reason is not None else "", "the reason")
        if not text:
            raise BadInput("cancelling a KT session needs a reason")
        text = no_secrets(text, "the reason")
    row = _get(session, engagement, session_id)
    check_version(session, row, expected_version, ENTITY, str(row.id))
    _check_planned(row, "cancelled")
    values = {"status": "cancelled", "cancel_reason": text}
    apply_changes(session, row, engagement.id, ENTITY, values, "cancel")
    return _view(session, engagement, row)


def update(
    session: Session,
    engagement: EngagementRef,
    session_id: int | str,
    *,
    topic: str | None = None,
    add_attendees: Names = (),
    remove_attendees: Names = (),
    covers: Names | None = None,
    expected_version: int | None = None,
) -> KTSessionView:
    """Retitle a planned session and change who attends, or say which of its system's
    topics a session covers (``covers``: all of them, replacing the earlier ones; held
    and signed-off sessions too) (names as ``kt.schedule`` takes
    them). A presenter cannot be added as an attendee nor removed as one; adding someone who
    attends already, or removing someone who does not, is refused; so is a change that
    changes nothing."""
    engagement = engagement_of(session, engagement)
    new_topic = None
    if topic is not None:
        with about("topic"):
            new_topic = " ".join(
                clean_line(topic, "the topic", field_limit(KTSession, "topic")).split()
            )
            if not new_topic:
                raise BadInput("a KT session needs a topic")
            no_secrets(new_topic, "the topic")
    adding, removing = _names(add_attendees), _names(remove_attendees)
    both = {slugify(n) for n in adding} & {slugify(n) for n in removing}
    if both:
        raise BadInput(
            f"{', '.join(sorted(both))} cannot be both added and removed",
            field="remove_attendees",
        )
    covered = None if covers is None else _names(covers)
    if new_topic is None and not adding and not removing and covered is None:
        raise BadInput(
            "nothing to change: give a topic, attendees to add or to remove, or topics covered"
        )
    row = _get(session, engagement, session_id)
    check_version(session, row, expected_version, ENTITY, str(row.id))
    if new_topic is not None or adding or removing:
        _check_planned(row, "edited")
    elif row.status == "cancelled":
        raise Refused(f"KT session {row.id} is cancelled: what it covers cannot change")
    current = dict(
        session.execute(
            select(KTParticipant.person_id, KTParticipant.role).where(
                KTParticipant.session_id == row.id
            )
        ).all()
    )
    fields = {slugify(n): "add_attendees" for n in adding}
    fields.update({slugify(n): "remove_attendees" for n in removing})
    people = _people(session, engagement, [*adding, *removing], "add_attendees", fields)
    added = [people[slugify(n)] for n in adding]
    removed = [people[slugify(n)] for n in removing]
    for person in added:
        role = current.get(person.id)
        if role == "presenter":
            raise BadInput(
                f"{person.name} presents this session and cannot attend it", field="add_attendees"
            )
        if role == "attendee":
            raise BadInput(f"{person.name} attends this session already", field="add_attendees")
        if person.removed_at is not None:
            raise BadInput(
                f"{person.name} was removed from {engagement.slug}", field="add_attendees"
            )
    check_present(engagement, row.starts_at, [(p, "attendee") for p in added], "add_attendees")
    for person in removed:
        role = current.get(person.id)
        if role == "presenter":
            raise BadInput(
                f"{person.name} presents this session: an attendee list cannot drop them",
                field="remove_attendees",
            )
        if role is None:
            raise BadInput(f"{person.name} does not attend this session", field="remove_attendees")
    changed = {}
    if new_topic is not None and new_topic != row.topic:
        changed = apply_changes(session, row, engagement.id, ENTITY, {"topic": new_topic})
    if added or removed:
        if not changed:
            _touch(session, row)
        if added:
            session.execute(
                insert(KTParticipant),
                [{"session_id": row.id, "person_id": p.id, "role": "attendee"} for p in added],
            )
        if removed:
            session.execute(
                delete(KTParticipant).where(
                    KTParticipant.session_id == row.id,
                    KTParticipant.person_id.in_([p.id for p in removed]),
                )
            )
        audit.record_many(
            session,
            engagement.id,
            [
                *(audit.Change(ENTITY, row.id, "update", "attendee", None, p.name) for p in added),
                *(
                    audit.Change(ENTITY, row.id, "update", "attendee", p.name, None)
                    for p in removed
                ),
            ],
        )
    if covered is not None:
        from transition.services.kt_topics import cover

        if not changed and not (added or removed):
            _touch(session, row)
        with about("covers"):
            cover(session, engagement, row, covered)
    return _view(session, engagement, row)


def _touch(session: Session, row: KTSession) -> None:
    """Bump the row's version (optimistic-locked) for a change of its participants, which
    live in their own table: calendars see a new SEQUENCE."""
    flag_modified(row, "topic")
    session.add(row)
    try:
        session.flush()
    except StaleDataError:
        from transition.services.common import _changed_by

        session.rollback()
        raise Conflict(_changed_by(session, ENTITY, row.id, str(row.id))) from None


def time_zone(session: Session, engagement: EngagementRef) -> str:
    """The zone the engagement's KT times are read and shown in (``UTC`` when none)."""
    from transition.services.kt_times import zone_label

    return zone_label(engagement_of(session, engagement).timezone)
