"""One calendar of everything with a date in an engagement, as an iCalendar file.

Kinds (``--include``): ``kt`` (KT sessions), ``meetings`` (the governance cadence),
``milestones`` (phases, notice and exit dates), ``tasks`` (due dates), ``expiries``
(access grants expiring) and ``releases`` (people released). Timed events carry the
engagement's time zone (TZID, with its VTIMEZONE over the years they span); dates are
all-day events. Every event has a UID fixed for its item, so importing the file again
updates entries instead of duplicating them, and a SEQUENCE that follows the item's row
version (bumped by every change), so calendars take the update; an item cancelled,
dropped, revoked or removed stays in the file with STATUS:CANCELLED. One query per kind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import Session

from transition.dates import utc, utcnow
from transition.errors import BadInput
from transition.models import Engagement, Meeting
from transition.services.common import EngagementRef, engagement_of

if TYPE_CHECKING:
    from icalendar import Event

KINDS = ("kt", "meetings", "milestones", "tasks", "expiries", "releases")
#: Builds the events of one kind: (session, engagement, DTSTAMP) → events.
Builder = Callable[[Session, Engagement, datetime], list["Event"]]


def parse_include(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """``kt,meetings`` (or a list of such texts) → the kinds in their fixed order; none:
    every kind. Unknown kinds are refused, naming the known ones."""
    if value is None:
        return KINDS
    texts = [value] if isinstance(value, str) else list(value)
    words = {w.strip().lower() for t in texts for w in str(t).split(",") if w.strip()}
    unknown = sorted(words - set(KINDS))
    if unknown:
        raise BadInput(
            f"unknown calendar kind(s) {', '.join(map(repr, unknown))}: choose from "
            f"{','.join(KINDS)}",
            field="include",
        )
    if not words:
        raise BadInput(f"--include names no kind: choose from {','.join(KINDS)}", field="include")
    return tuple(k for k in KINDS if k in words)


def engagement_uid(engagement: Engagement) -> str:
    """A name for the engagement that survives renames and export/import (its creation)."""
    import hashlib

    seed = f"{utc(engagement.created_at).isoformat()}|{engagement.created_by}"
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:16]


def _meetings(session: Session, engagement: Engagement, stamp: datetime) -> list[Event]:
    from icalendar import Event

    from transition.services.kt_times import local

    out = []
    for row in session.execute(
        select(Meeting)
        .where(Meeting.engagement_id == engagement.id)
        .order_by(Meeting.starts_at, Meeting.id)
    ).scalars():
        event = Event()
        event.add("uid", f"meeting-{row.uid}@transition")
        event.add("dtstamp", stamp)
        event.add("dtstart", local(row.starts_at, engagement.timezone))
        event.add("duration", timedelta(minutes=row.minutes))
        event.add("sequence", row.version)
        event.add("summary", row.title)
        lines = [f"Engagement: {engagement.name}", f"Status: {row.status}"]
        roles = [r for r in row.roles.split(",") if r]
        if roles:
            lines.append(f"Invited: {', '.join(roles)}")
        agenda = [a for a in row.agenda.split("\n") if a]
        if agenda:
            lines += ["Agenda:", *(f"- {a}" for a in agenda)]
        if row.cancel_reason:
            lines.append(f"Cancelled: {row.cancel_reason}")
        elif row.status == "dropped":
            lines.append("Cancelled: no longer in the plan")
        event.add("description", "\n".join(lines))
        event.add("categories", ["Meeting"])
        cancelled = row.status in ("cancelled", "dropped")
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        out.append(event)
    return out


def _builders() -> dict[str, Builder]:
    from transition.services import calendar_dates, kt_calendar

    return {
        "kt": kt_calendar.events,
        "meetings": _meetings,
        "milestones": calendar_dates.milestones,
        "tasks": calendar_dates.tasks,
        "expiries": calendar_dates.expiries,
        "releases": calendar_dates.releases,
    }


def ics(
    session: Session,
    engagement: EngagementRef,
    include: str | Sequence[str] | None = None,
    *,
    title: str | None = None,
) -> bytes:
    """The iCalendar file of the ``include``\\ d kinds (``parse_include``; none: all)."""
    from icalendar import Calendar

    kinds = parse_include(include)
    engagement = engagement_of(session, engagement)
    cal = Calendar()
    what = "KT sessions" if kinds == ("kt",) else "Calendar"
    cal.add("prodid", f"-//transition//{what}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", title or f"{what}: {engagement.name}")
    stamp = utcnow().replace(microsecond=0)
    builders = _builders()
    years: list[int] = []
    for kind in kinds:
        for event in builders[kind](session, engagement, stamp):
            start = event.decoded("dtstart")
            if isinstance(start, datetime):
                years.append(start.year)
            cal.add_component(event)
    if engagement.timezone and years:
        # The zone's rules over the years the events fall in (not the default 1970-2038).
        first = date(max(min(years) - 1, 1), 1, 1)
        last = date(min(max(years) + 1, 9999), 12, 31)
        cal.add_missing_timezones(first_date=first, last_date=last)
    return cal.to_ical()
