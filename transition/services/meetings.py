"""Meetings: the playbook's governance cadence laid out as rows, and listed.

Each cadence (``playbook_cadence.CadenceSpec``) gives occurrences through
``dateutil.rrule`` between two milestones of the plan, at a wall time in the engagement's
time zone (so a 10:00 meeting stays at 10:00 across a daylight-saving change); an
occurrence on a day that is not worked (a weekend day of the work week, a public or extra
holiday of the engagement's calendar) moves to the next working day. The rows are laid
when the engagement is created and kept in step whenever the plan is re-laid (``sync``):
planned meetings follow the plan, those that no longer fall in it are ``dropped`` (they
stay, cancelled in calendars), held and cancelled ones are history and never move.
Holding, cancelling and actions live in ``meeting_edit``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert, select
from sqlmodel import Session

from transition.dates import moment, utc
from transition.errors import BadInput
from transition.models import (
    Engagement,
    Meeting,
    MeetingAction,
    MeetingAttendee,
    Person,
    Phase,
    Task,
)
from transition.playbook_cadence import CadenceSpec
from transition.services import audit
from transition.services.common import EngagementRef, engagement_of, take_turn
from transition.services.views.meetings import MeetingSync, MeetingView
from transition.workdays import Calendar, Offset, show_local, zone, zone_name

ENTITY = "meeting"
#: The most occurrences one cadence lays out (ten years of a weekly meeting).
MAX_OCCURRENCES = 520
#: A meeting without minutes this long after its start is missed (a finding).
MISSED_AFTER = timedelta(days=1)
#: Statuses of meetings that are history: the plan never moves them.
SETTLED = ("held", "cancelled")


def occurrences(
    spec: CadenceSpec, start: date, until: date, calendar: Calendar, zone_: str | None
) -> list[tuple[date, datetime]]:
    """``(rule date, start as an aware UTC instant)`` of each occurrence of ``spec`` from
    ``start`` to ``until`` (both included): the rule's wall time in ``zone_``, moved to the
    next working day of ``calendar`` when its day is not worked (and left out when that
    lies after ``until``)."""
    from dateutil.rrule import MONTHLY, WEEKLY, rrule, weekday

    rule = spec.rule
    if rule.freq == "weekly":
        assert rule.weekday is not None
        # Every N weeks counts from the first such weekday on or after ``start``.
        start += timedelta(days=(rule.weekday - start.weekday()) % 7)
        kwargs: dict[str, object] = {"freq": WEEKLY, "byweekday": rule.weekday}
    elif rule.month_day is not None:
        kwargs = {"freq": MONTHLY, "bymonthday": rule.month_day}
    else:
        assert rule.weekday is not None
        kwargs = {"freq": MONTHLY, "byweekday": weekday(rule.weekday)(rule.nth)}
    at = time(rule.hour, rule.minute)
    here = zone(zone_)
    out: list[tuple[date, datetime]] = []
    seen: set[date] = set()
    if until < start:
        return out
    dates = rrule(  # type: ignore[call-overload]
        interval=rule.interval,
        dtstart=datetime.combine(start, at),
        until=datetime.combine(until, time(23, 59)),
        count=None,
        **kwargs,
    )
    for when in dates:
        if len(out) >= MAX_OCCURRENCES:
            break
        day = when.date()
        try:
            moved = calendar.roll_forward(day)
        except (BadInput, OverflowError):
            moved = day
        if moved > until or moved in seen:
            continue
        seen.add(moved)
        out.append((day, datetime.combine(moved, at, tzinfo=here).astimezone(UTC)))
    return out


def anchor(
    engagement: Engagement, phases: list[Phase], expression: str, calendar: Calendar
) -> date:
    """A cadence's ``from``/``until``: a milestone of the plan (``ramp-up.start``,
    ``cutover+30d``), or ``exit`` (the engagement's exit date, else the end of its last
    phase) with an optional offset; ``cutover`` without a cutover phase is the plan's end."""
    import re

    from transition.services.engagements import milestone

    match = re.fullmatch(r"(exit|cutover)(?:([+-])(\d{1,4})(bd|d|w))?", expression.strip())
    if match and (match.group(1) == "exit" or not any(p.key == "cutover" for p in phases)):
        name, sign, number, unit = match.groups()
        base = (engagement.exit_date if name == "exit" else None) or phases[-1].planned_end
        if not number:
            return base
        days = int(number) * (7 if unit == "w" else 1)
        return calendar.shift(base, Offset(days if sign == "+" else -days, unit == "bd"))
    return milestone(phases, expression, calendar)


def _cadence(engagement: Engagement) -> tuple[CadenceSpec, ...]:
    from transition.playbooks import from_json

    return from_json(engagement.playbook_json).cadence


def planned(
    session: Session, engagement: Engagement, options: dict | None = None
) -> dict[tuple[str, date], tuple]:
    """The occurrences the plan gives now: ``{(cadence key, rule date): (spec, start)}``
    (``options``: of the phases' query)."""
    specs = _cadence(engagement)
    if not specs:
        return {}
    phases = list(
        session.execute(
            select(Phase)
            .where(Phase.engagement_id == engagement.id)
            .order_by(Phase.position)
            .execution_options(**(options or {}))
        ).scalars()
    )
    if not phases:
        return {}
    calendar = Calendar.of(engagement)
    out: dict[tuple[str, date], tuple] = {}
    for spec in specs:
        start = anchor(engagement, phases, spec.start, calendar)
        until = anchor(engagement, phases, spec.until, calendar)
        for day, at in occurrences(spec, start, until, calendar, engagement.timezone):
            out[(spec.key, day)] = (spec, at)
    return out


def sync(session: Session, engagement: EngagementRef) -> MeetingSync:
    """Lay the cadence out again after the plan changed, in the caller's transaction:
    new occurrences are added, planned meetings follow the plan (a moved one's calendar
    entry is updated), planned ones no longer in it are dropped, dropped ones that are in
    it again come back. Held and cancelled meetings stay as they were."""
    engagement = engagement_of(session, engagement)
    # Numbers are handed out per engagement: another re-lay at the same time waits here
    # until it committed, then this one lays out from what both changed (the engagement,
    # its phases and meetings read again) and numbers after the other's meetings.
    take_turn(session)
    fresh = {"populate_existing": True}
    session.execute(
        select(Engagement).where(Engagement.id == engagement.id).execution_options(**fresh)
    ).scalar_one()
    wanted = planned(session, engagement, fresh)
    rows = list(
        session.execute(
            select(Meeting).where(Meeting.engagement_id == engagement.id).execution_options(**fresh)
        ).scalars()
    )
    changes: list[audit.Change] = []
    counts = {"added": 0, "moved": 0, "dropped": 0, "restored": 0}
    for row in rows:
        want = wanted.pop((row.cadence, row.occurs_on), None)
        if row.status in SETTLED:
            continue
        if want is None:
            if row.status == "planned":
                row.status = "dropped"
                changes.append(audit.Change(ENTITY, row.id, "drop", "status", "planned", "dropped"))
                counts["dropped"] += 1
            continue
        spec, at = want
        if row.status == "dropped":
            row.status = "planned"
            changes.append(audit.Change(ENTITY, row.id, "restore", "status", "dropped", "planned"))
            counts["restored"] += 1
        if utc(row.starts_at) != at:
            changes.append(audit.Change(ENTITY, row.id, "move", "starts_at", row.starts_at, at))
            row.starts_at = at
            counts["moved"] += 1
        if row.minutes != spec.minutes or row.title != spec.title:
            row.minutes, row.title = spec.minutes, spec.title
    if rows:
        session.flush()
    if wanted:
        first = 1 + max((row.number for row in rows), default=0)
        new = [
            {
                "engagement_id": engagement.id,
                "uid": uuid.uuid4().hex,
                "cadence": spec.key,
                "occurs_on": day,
                "title": spec.title,
                "starts_at": at,
                "minutes": spec.minutes,
                "roles": ",".join(spec.attendees),
                "agenda": "\n".join(spec.agenda),
                "status": "planned",
                "notes": "",
                "version": 1,
                "number": first + n,
            }
            for n, ((_, day), (spec, at)) in enumerate(
                sorted(wanted.items(), key=lambda item: (item[1][1], item[0]))
            )
        ]
        session.execute(insert(Meeting), new)
        ids = dict(
            session.execute(
                select(Meeting.uid, Meeting.id).where(Meeting.uid.in_([n["uid"] for n in new]))
            ).all()
        )
        changes += [
            audit.Change(ENTITY, ids[n["uid"]], "schedule", "starts_at", None, n["starts_at"])
            for n in new
        ]
        counts["added"] = len(new)
    if changes:
        audit.record_many(session, engagement.id, changes)
    return MeetingSync(**counts)


def list_meetings(
    session: Session,
    engagement: EngagementRef,
    *,
    upcoming: bool = False,
    number: int | None = None,
) -> list[MeetingView]:
    """Meetings in time order (``upcoming``: those not yet past, planned), with their
    attendees and actions: four queries whatever their number. Dropped occurrences are
    not listed; ``number`` picks one meeting."""
    engagement = engagement_of(session, engagement)
    now = moment()
    query = select(Meeting).where(
        Meeting.engagement_id == engagement.id, Meeting.status != "dropped"
    )
    if upcoming:
        query = query.where(Meeting.status == "planned", Meeting.starts_at >= now)
    if number is not None:
        query = query.where(Meeting.number == number)
    rows = list(session.execute(query.order_by(Meeting.starts_at, Meeting.number)).scalars())
    if not rows:
        return []
    ids = [r.id for r in rows]
    attendees: dict[int, list[str]] = defaultdict(list)
    for mid, name in session.execute(
        select(MeetingAttendee.meeting_id, Person.name)
        .join(Person, Person.id == MeetingAttendee.person_id)
        .where(MeetingAttendee.meeting_id.in_(ids))
        .order_by(Person.name)
    ):
        attendees[mid].append(name)
    actions: dict[int, list[str]] = defaultdict(list)
    for mid, key in session.execute(
        select(MeetingAction.meeting_id, Task.key)
        .join(Task, Task.id == MeetingAction.task_id)
        .where(MeetingAction.meeting_id.in_(ids))
        .order_by(Task.id)
    ):
        actions[mid].append(key)
    return [view(row, engagement, attendees[row.id], actions[row.id], now) for row in rows]


def view(
    row: Meeting,
    engagement: Engagement,
    attendees: list[str],
    actions: list[str],
    now: datetime,
) -> MeetingView:
    return MeetingView(
        number=row.number,
        uid=row.uid,
        cadence=row.cadence,
        title=row.title,
        occurs_on=row.occurs_on,
        starts_at=utc(row.starts_at),
        starts_local=show_local(row.starts_at, engagement.timezone),
        timezone=zone_name(engagement.timezone),
        minutes=row.minutes,
        status=row.status,
        roles=[r for r in row.roles.split(",") if r],
        agenda=[a for a in row.agenda.split("\n") if a],
        attendees=attendees,
        notes=row.notes,
        cancel_reason=row.cancel_reason,
        held_at=utc(row.held_at) if row.held_at else None,
        actions=actions,
        missed=is_missed(row.status, row.notes, row.starts_at, now),
        version=row.version,
    )


def is_missed(status: str, notes: str, starts_at: datetime, now: datetime) -> bool:
    """Whether a meeting is past by more than a day and has no minutes."""
    return status in ("planned", "held") and not notes and utc(starts_at) + MISSED_AFTER < now
