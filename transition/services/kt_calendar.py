"""KT sessions as an iCalendar file: one event per session, updated on re-import.

Times are UTC instants, or local times with a TZID (and its VTIMEZONE) when the engagement
has a time zone. SEQUENCE is the row's version, so every change (a new time, a new topic,
an attendee more or less, a cancellation) reaches calendars that imported the file; a
cancelled session stays in the file with STATUS:CANCELLED."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session

from transition.models import Engagement
from transition.services import kt
from transition.services.common import EngagementRef

if TYPE_CHECKING:
    from icalendar import Event


def ics(session: Session, engagement: EngagementRef) -> bytes:
    """An iCalendar file with one VEVENT per session (``calendar ENG --include kt``). UIDs
    are fixed per session and SEQUENCE follows the row version, so importing again updates
    calendar entries."""
    from transition.services import calendar

    return calendar.ics(session, engagement, ("kt",))


def events(session: Session, engagement: Engagement, stamp: datetime) -> list[Event]:
    """One VEVENT per KT session of the engagement, in time order."""
    from icalendar import Event, vCalAddress, vText

    from transition.services.kt_times import local

    out: list[Event] = []
    views, contacts = kt.sessions_with_people(session, engagement)
    zone = engagement.timezone
    for row in views:
        event = Event()
        event.add("uid", f"{row.uid}@transition")
        event.add("dtstamp", stamp)
        event.add("dtstart", local(row.starts_at, zone))
        if row.ends_at is not None:
            event.add("dtend", local(row.ends_at, zone))
        else:
            event.add("duration", timedelta(minutes=row.minutes))
        event.add("sequence", row.version)
        event.add("summary", f"KT {row.kind}: {row.system}: {row.topic}")
        lines = [
            f"Engagement: {engagement.name}",
            f"System: {row.system}",
            f"Kind: {row.kind}",
            f"Status: {row.status.replace('_', ' ')}",
            f"Presenters: {', '.join(row.presenters) or '-'}",
            f"Attendees: {', '.join(row.attendees) or '-'}",
        ]
        if row.cancel_reason:
            lines.append(f"Cancelled: {row.cancel_reason}")
        if row.follow_ups:
            lines.append(f"Follow-ups: {row.follow_ups}")
        event.add("description", "\n".join(lines))
        event.add("categories", [f"KT {row.kind}"])
        event.add("status", "CANCELLED" if row.status == "cancelled" else "CONFIRMED")
        people = contacts.get(row.id, {})
        organizer = next((p for p in people.get("presenter", []) if p[1]), None)
        if organizer:
            addr = vCalAddress(f"mailto:{organizer[1]}")
            addr.params["cn"] = vText(organizer[0])
            event["organizer"] = addr
        for role, entries in people.items():
            for name, email in entries:
                if not email:
                    continue
                addr = vCalAddress(f"mailto:{email}")
                addr.params["cn"] = vText(name)
                addr.params["role"] = vText("CHAIR" if role == "presenter" else "REQ-PARTICIPANT")
                event.add("attendee", addr, encode=0)
        out.append(event)
    return out
