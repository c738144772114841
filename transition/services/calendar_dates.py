"""The all-day events of the engagement's calendar (``services.calendar``): phases and the
notice and exit dates, task due dates, access expiries and people's releases. One query
per kind; UIDs name the item (a phase or task by its key, a grant or person by its row),
SEQUENCE is the row's version."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import Session

from transition.models import AccessGrant, Engagement, Person, Phase, System, Task

if TYPE_CHECKING:
    from icalendar import Event


def _day(
    uid: str,
    stamp: datetime,
    summary: str,
    start: date,
    end: date | None,
    sequence: int,
    lines: list[str],
    category: str,
    cancelled: bool = False,
) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", f"{uid}@transition")
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", max(end or start, start) + timedelta(days=1))
    event.add("sequence", sequence)
    event.add("summary", summary)
    event.add("description", "\n".join(lines))
    event.add("categories", [category])
    event.add("transp", "TRANSPARENT")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def _base(engagement: Engagement) -> str:
    from transition.services.calendar import engagement_uid

    return engagement_uid(engagement)


def milestones(session: Session, engagement: Engagement, stamp: datetime) -> list[Event]:
    """Each phase over its days (actual dates once known, else planned), the notice date
    and the exit date."""
    base = _base(engagement)
    out = []
    for phase in session.execute(
        select(Phase).where(Phase.engagement_id == engagement.id).order_by(Phase.position)
    ).scalars():
        start = phase.actual_start or phase.planned_start
        end = phase.actual_end or phase.planned_end
        # A phase ends the day the next one starts: its last whole day is the one before.
        last = max(start, end - timedelta(days=1))
        out.append(
            _day(
                f"phase-{phase.key}.{base}",
                stamp,
                f"Phase: {phase.title}",
                start,
                last,
                phase.version,
                [f"Engagement: {engagement.name}", f"Status: {phase.status}"],
                "Milestone",
            )
        )
    for field, label in (("notice_date", "Notice"), ("exit_date", "Exit")):
        day = getattr(engagement, field)
        if day is not None:
            out.append(
                _day(
                    f"{field.replace('_', '-')}.{base}",
                    stamp,
                    f"{label}: {engagement.name}",
                    day,
                    None,
                    engagement.version,
                    [f"Engagement: {engagement.name}"],
                    "Milestone",
                )
            )
    return out


def tasks(session: Session, engagement: Engagement, stamp: datetime) -> list[Event]:
    """Each task with a due date, on that date; a removed or skipped task is cancelled."""
    base = _base(engagement)
    out = []
    for task, phase_title, assignee in session.execute(
        select(Task, Phase.title, Person.name)
        .join(Phase, Phase.id == Task.phase_id)
        .outerjoin(Person, Person.id == Task.assignee_id)
        .where(Task.engagement_id == engagement.id, Task.due_date.is_not(None))
        .order_by(Task.due_date, Task.id)
    ).all():
        done = " (done)" if task.status == "done" else ""
        lines = [
            f"Engagement: {engagement.name}",
            f"Phase: {phase_title}",
            f"Status: {task.status.replace('_', ' ')}",
            f"Owner: {assignee or task.owner_role or '-'}",
        ]
        out.append(
            _day(
                f"task-{task.key}.{base}",
                stamp,
                f"Due: {task.title}{done}",
                task.due_date,
                None,
                task.version,
                lines,
                "Task",
                cancelled=task.removed_at is not None or task.status == "skipped",
            )
        )
    return out


def expiries(session: Session, engagement: Engagement, stamp: datetime) -> list[Event]:
    """Each access grant's expiry; a revoked grant's is cancelled."""
    base = _base(engagement)
    out = []
    for grant, person, system in session.execute(
        select(AccessGrant, Person.name, System.name)
        .join(Person, Person.id == AccessGrant.person_id)
        .join(System, System.id == AccessGrant.system_id)
        .where(AccessGrant.engagement_id == engagement.id, AccessGrant.expires_on.is_not(None))
        .order_by(AccessGrant.expires_on, AccessGrant.id)
    ).all():
        lines = [f"Engagement: {engagement.name}", f"Grant: {grant.id}"]
        if grant.revoked_at is not None:
            lines.append(f"Revoked: {grant.revoke_reason or '-'}")
        out.append(
            _day(
                f"grant-{grant.id}.{base}",
                stamp,
                f"Access expires: {person} on {system} ({grant.role})",
                grant.expires_on,
                None,
                grant.version,
                lines,
                "Access",
                cancelled=grant.revoked_at is not None,
            )
        )
    return out


def releases(session: Session, engagement: Engagement, stamp: datetime) -> list[Event]:
    """Each person's release date; a removed person's is cancelled."""
    base = _base(engagement)
    out = []
    for person in session.execute(
        select(Person)
        .where(Person.engagement_id == engagement.id, Person.release_date.is_not(None))
        .order_by(Person.release_date, Person.id)
    ).scalars():
        lines = [f"Engagement: {engagement.name}", f"Side: {person.side}"]
        if person.released_on is not None:
            lines.append(f"Released on {person.released_on.isoformat()}")
        out.append(
            _day(
                f"person-{person.id}.{base}",
                stamp,
                f"Release: {person.name}",
                person.release_date,
                None,
                person.version,
                lines,
                "Release",
                cancelled=person.removed_at is not None,
            )
        )
    return out
