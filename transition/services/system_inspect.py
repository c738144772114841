"""One system inspected: its people and its knowledge by topic (the TUI's system
inspector), in a fixed number of queries whatever the number of people or topics."""

from __future__ import annotations

from sqlmodel import Session

from transition.errors import about
from transition.services.common import EngagementRef, engagement_of, get_system
from transition.services.views.owners import SystemInspection


def inspect(session: Session, engagement: EngagementRef, system: str) -> SystemInspection:
    """The system's owners, SMEs and backups (by role, side, name) and its topics, each
    with its KT per kind, holders, receivers and the leaving sole holder flagged."""
    from transition.services.kt_topics import matrix_of, matrix_views
    from transition.services.system_people import holders

    eng = engagement_of(session, engagement)
    with about("system"):
        target = get_system(session, eng, system)
    return SystemInspection(
        system=target.name,
        slug=target.slug,
        tier=target.tier,
        people=holders(session, eng, [target.id]),
        topics=matrix_views(row for sid, row in matrix_of(session, eng) if sid == target.id),
    )
