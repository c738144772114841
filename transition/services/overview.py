"""The engagement screen's header: one engagement at a glance, in a few queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from transition.models import System
from transition.services import engagements, gates, people, upcoming
from transition.services.common import EngagementRef, engagement_of
from transition.services.views.overview import EngagementOverview


def header(session: Session, engagement: EngagementRef) -> EngagementOverview:
    """Summary, phases with their task counts (no gate judged: ``gates.ahead`` does that
    when asked), the active systems' names, the people and the next 14 days, whatever the
    number of rows."""
    engagement = engagement_of(session, engagement)
    phases = gates.steps(session, engagement)
    systems = session.execute(
        select(System.name)
        .where(System.engagement_id == engagement.id, System.removed_at.is_(None))
        .order_by(System.tier, System.slug)
    ).scalars()
    return EngagementOverview(
        summary=engagements.summaries(session, engagement.id)[0],
        phases=phases,
        current_phase=next((p.key for p in phases if p.status == "active"), None),
        systems=list(systems),
        people=people.list_people(session, engagement),
        upcoming=upcoming.upcoming(session, engagement, phases=phases),
    )
