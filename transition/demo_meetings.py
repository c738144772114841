"""The demo's governance: Northwind's cadence with past meetings held (attendees and
minutes), an action raised at the first, the latest of several held without minutes yet
(a finding a day after it) and an upcoming one cancelled."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from transition.dates import moment
from transition.models import Engagement
from transition.services import meeting_edit, meetings

ATTENDEES = {
    "weekly-ops": ["Priya Sharma", "Raj Patel", "Lena Fischer"],
    "steering": ["Olivia Grant", "Priya Sharma", "Daniel Okafor", "Raj Patel"],
}
MINUTES = {
    "weekly-ops": "SLA met on P1 and P2; two P3 breaches on password resets. "
    "KT walkthroughs for SAP ERP slipped a week.",
    "steering": "Scope confirmed. Sponsor asked for a weekly readiness figure; "
    "the AD admin justification stays an accepted risk until the parallel run.",
}


def governance(session: Session, eng: Engagement, today: date) -> None:
    now = moment()
    rows = meetings.list_meetings(session, eng)
    past = [m for m in rows if m.starts_at < now]
    for n, meeting in enumerate(past):
        # The latest of several is held without minutes yet: a finding a day after it.
        latest = n == len(past) - 1 and n > 0
        meeting_edit.held(
            session,
            eng,
            meeting.number,
            attendees=ATTENDEES.get(meeting.cadence, ["Priya Sharma"]),
            minutes=None if latest else MINUTES.get(meeting.cadence, "Notes taken."),
        )
        if n == 0:
            meeting_edit.action(
                session,
                eng,
                meeting.number,
                title="Send the updated KT schedule to the service desk",
                owner="Priya Sharma",
                due=today + timedelta(days=7),
            )
    upcoming = [m for m in rows if m.starts_at >= now and m.cadence == "weekly-ops"]
    if len(upcoming) > 1:
        meeting_edit.cancel(
            session, eng, upcoming[1].number, reason="Replaced by the cutover rehearsal that week"
        )
