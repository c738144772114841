"""Meetings as they happen: held (attendees, minutes), cancelled (with a reason), and the
actions they raise (tasks linked to the meeting)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import insert, select
from sqlmodel import Session

from transition.dates import moment, utc, utcnow
from transition.errors import BadInput, NotFound, Refused, about
from transition.guard import no_secrets
from transition.models import Engagement, Meeting, MeetingAction, MeetingAttendee, Phase, Task
from transition.services import audit
from transition.services.common import (
    EngagementRef,
    apply_changes,
    check_version,
    engagement_of,
    row_id_of,
)
from transition.services.meetings import ENTITY, list_meetings
from transition.services.views.meetings import MeetingView
from transition.text import clean_text, slugify

#: The longest minutes a meeting keeps (characters).
MAX_NOTES = 100_000


def _get(session: Session, engagement: Engagement, meeting_id: int | str) -> Meeting:
    """The meeting of ``engagement`` with the number ``meeting_id`` (``meeting list``'s ID)."""
    number = row_id_of(meeting_id, "meeting", engagement)
    row = session.execute(
        select(Meeting).where(Meeting.engagement_id == engagement.id, Meeting.number == number)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"unknown meeting {meeting_id} in {engagement.slug}")
    if row.status == "dropped":
        raise Refused(
            f"meeting {row.number} is no longer in the plan (the phases moved): it cannot be "
            "held, cancelled or given actions"
        )
    return row


def _shown(session: Session, engagement: Engagement, row: Meeting) -> MeetingView:
    return list_meetings(session, engagement, number=row.number)[0]


def held(
    session: Session,
    engagement: EngagementRef,
    meeting_id: int | str,
    *,
    attendees: Sequence[str] = (),
    minutes: str | None = None,
    expected_version: int | None = None,
) -> MeetingView:
    """Record that a meeting took place, who attended (people of the engagement) and its
    minutes. A held meeting can be recorded again to add attendees or replace its minutes
    (both audited). A meeting that has not started yet, or was cancelled, is refused."""
    engagement = engagement_of(session, engagement)
    notes: str | None = None
    if minutes is not None:
        with about("minutes"):
            text = clean_text(minutes, "the minutes").strip()
            if not text:
                raise BadInput("the minutes must not be empty: give the text or a file")
            if len(text) > MAX_NOTES:
                raise BadInput(f"the minutes are too long: at most {MAX_NOTES} characters")
            notes = no_secrets(text, "the minutes") or ""
    row = _get(session, engagement, meeting_id)
    check_version(session, row, expected_version, ENTITY, str(row.number))
    if row.status == "cancelled":
        raise Refused(f"meeting {row.number} was cancelled ({row.cancel_reason}): it was not held")
    if utc(row.starts_at) > moment():
        raise Refused(
            f"meeting {row.number} ({row.title}) is on {row.occurs_on.isoformat()}, still to come: "
            "record it once it has taken place"
        )
    if any(not (n or "").strip() for n in attendees):
        raise BadInput("an attendee must not be empty: give a person's name", field="attendees")
    names = [n.strip() for n in attendees]
    if names:
        from transition.services.kt import _people

        with about("attendees"):
            people = _people(session, engagement, names, "attendees")
        present = set(
            session.execute(
                select(MeetingAttendee.person_id).where(MeetingAttendee.meeting_id == row.id)
            ).scalars()
        )
        added = [p for p in {p.id: p for p in people.values()}.values() if p.id not in present]
        if added:
            session.execute(
                insert(MeetingAttendee),
                [{"meeting_id": row.id, "person_id": p.id} for p in added],
            )
            audit.record_many(
                session,
                engagement.id,
                [audit.Change(ENTITY, row.id, "attend", "attendee", None, p.name) for p in added],
            )
    values: dict[str, object] = {"status": "held"}
    if row.held_at is None:
        values["held_at"] = utcnow()
    if notes is not None:
        values["notes"] = notes
    apply_changes(session, row, engagement.id, ENTITY, values, "hold")
    return _shown(session, engagement, row)


def cancel(
    session: Session,
    engagement: EngagementRef,
    meeting_id: int | str,
    *,
    reason: str,
    expected_version: int | None = None,
) -> MeetingView:
    """Cancel a planned meeting for a written reason; it stays listed, and calendars that
    imported it show it cancelled."""
    engagement = engagement_of(session, engagement)
    with about("reason"):
        text = " ".join(clean_text(reason or "", "the reason").split())
        if not text:
            raise BadInput("a cancellation needs a reason (--reason TEXT)")
        no_secrets(text, "the reason")
    row = _get(session, engagement, meeting_id)
    check_version(session, row, expected_version, ENTITY, str(row.number))
    if row.status != "planned":
        raise Refused(
            f"meeting {row.number} is already {row.status}: only a planned one is cancelled"
        )
    apply_changes(
        session,
        row,
        engagement.id,
        ENTITY,
        {"status": "cancelled", "cancel_reason": text},
        "cancel",
    )
    return _shown(session, engagement, row)


def _phase_of(session: Session, engagement: Engagement, day: date) -> Phase:
    """The phase a meeting's day falls in (the last one for a day after the plan)."""
    phases = list(
        session.execute(
            select(Phase).where(Phase.engagement_id == engagement.id).order_by(Phase.position)
        ).scalars()
    )
    for phase in phases:
        if phase.planned_start <= day < phase.planned_end:
            return phase
    return phases[0] if phases and day < phases[0].planned_start else phases[-1]


def action(
    session: Session,
    engagement: EngagementRef,
    meeting_id: int | str,
    *,
    title: str,
    owner: str,
    due: str | date,
) -> MeetingView:
    """An action from a meeting: a task (``task_edit.add``) in the phase the meeting falls
    in, given to ``owner`` (a person of the engagement), due on ``due``, linked to the
    meeting. Its key is the meeting's cadence, date and a number (``weekly-ops-2026-12-08-1``)."""
    from transition.services import task_edit, tasks

    engagement = engagement_of(session, engagement)
    row = _get(session, engagement, meeting_id)
    if row.status == "cancelled":
        raise Refused(f"meeting {row.number} was cancelled: it raised no actions")
    if not str(owner or "").strip():
        raise BadInput("an action needs an owner (--owner PERSON)", field="owner")
    with about("owner"):
        from transition.services.common import get_person

        person = get_person(session, engagement, owner)
    from transition.services.access_rules import check_not_released

    check_not_released(person, "take an action", field="owner")
    phase = _phase_of(session, engagement, row.occurs_on)
    base = slugify(f"{row.cadence}-{row.occurs_on.isoformat()}")[:90]
    taken = set(
        session.execute(
            select(Task.key).where(Task.engagement_id == engagement.id, Task.key.like(f"{base}-%"))
        ).scalars()
    )
    number = next(n for n in range(1, len(taken) + 2) if f"{base}-{n}" not in taken)
    added = task_edit.add(
        session,
        engagement,
        phase=phase.key,
        key=f"{base}-{number}",
        title=title,
        due=due,
        description=f"Action from {row.title} on {row.occurs_on.isoformat()}",
    )
    tasks.assign(session, engagement, added.key, person.name)
    task_id = session.execute(
        select(Task.id).where(Task.engagement_id == engagement.id, Task.key == added.key)
    ).scalar_one()
    session.execute(insert(MeetingAction), [{"meeting_id": row.id, "task_id": task_id}])
    audit.record(session, engagement.id, ENTITY, row.id, "action", "task", None, added.key)
    return _shown(session, engagement, row)
