"""KT sessions as an iCalendar file: one event per session, updated on re-import.

Times are UTC instants, or local times with a TZID (and its VTIMEZONE) when the engagement
has a time zone. SEQUENCE is the row's version, so every change (a new time, a new topic,
an attendee more or less, a cancellation) reaches calendars that imported the file; a
cancelled session stays in the file with STATUS:CANCELLED."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from transition.dates import utcnow
from transition.services import kt
from transition.services.common import EngagementRef, engagement_of


def ics(session: Session, engagement: EngagementRef) -> bytes:
    """An iCalendar file with one VEVENT per session. UIDs are fixed per session and
    SEQUENCE follows the row version, so importing again updates calendar entries."""
    from icalendar import Calendar, Event, vCalAddress, vText

    from transition.services.kt_times import local

    engagement = engagement_of(session, engagement)
    cal = Calendar()
    cal.add("prodid", "-//transition//KT sessions//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"KT sessions: {engagement.name}")
    stamp = utcnow().replace(microsecond=0)
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
        cal.add_component(event)
    if zone and views:
        # The zone's rules over the years the sessions fall in (not the default 1970-2038).
        years = [v.starts_at.year for v in views]
        first, last = date(max(min(years) - 1, 1), 1, 1), date(min(max(years) + 1, 9999), 12, 31)
        cal.add_missing_timezones(first_date=first, last_date=last)
    return cal.to_ical()
