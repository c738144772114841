"""The governance finding of a meeting past by more than a day without minutes."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session

from transition.dates import moment
from transition.models import Engagement, Meeting
from transition.services.meetings import MISSED_AFTER
from transition.services.views.access import FindingView
from transition.services.views.meetings import MeetingReport


def missed(session: Session, engagement_ids: list[int]) -> dict[int, list[FindingView]]:
    """Findings (``meeting_missed``, medium) for meetings of the engagements that started
    more than a day ago, were not cancelled and have no minutes: one query."""
    cutoff = moment() - MISSED_AFTER
    out: dict[int, list[FindingView]] = defaultdict(list)
    for row in session.execute(
        select(
            Meeting.engagement_id, Meeting.number, Meeting.title, Meeting.occurs_on, Meeting.status
        )
        .where(
            Meeting.engagement_id.in_(engagement_ids),
            Meeting.status.in_(("planned", "held")),
            Meeting.notes == "",
            Meeting.starts_at < cutoff,
        )
        .order_by(Meeting.engagement_id, Meeting.starts_at, Meeting.number)
    ):
        state = "held without minutes" if row.status == "held" else "not recorded as held"
        out[row.engagement_id].append(
            FindingView(
                kind="meeting_missed",
                severity="medium",
                grant_id=None,
                person="-",
                system="-",
                role=None,
                message=f"meeting {row.number} ({row.title}, {row.occurs_on.isoformat()}) is "
                f"{state}: record it with `transition meeting held … --minutes`",
            )
        )
    return dict(out)


def report_section(session: Session, engagement: Engagement) -> MeetingReport:
    """Missed meetings and the meetings of the next 14 days, for the status report."""
    from transition.services.meetings import list_meetings

    horizon = moment() + timedelta(days=14)
    upcoming = [
        m for m in list_meetings(session, engagement, upcoming=True) if m.starts_at < horizon
    ]
    return MeetingReport(
        missed=missed(session, [engagement.id]).get(engagement.id, []), upcoming=upcoming
    )
