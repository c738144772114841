"""The demo's governance and evidence: what each area adds to the Northwind engagement."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlmodel import Session

from transition.models import Engagement


def areas(session: Session, northwind: Engagement, today: date) -> None:
    from transition import demo_meetings, demo_raid, demo_scorecard

    demo_raid.raid_log(session, northwind)  # the RAID log and the dependency map
    demo_scorecard.scores(session, northwind, today)  # six weeks of the parallel run
    demo_meetings.governance(session, northwind, today)  # the cadence, some meetings held


def finish(
    session: Session, northwind: Engagement, today: date, *, then: Callable[[], str]
) -> list[str]:
    """Northwind's areas, then the go-live engagement and the others (``then``); their
    slugs."""
    from transition.demo_golive import go_live

    areas(session, northwind, today)
    return go_live(session, northwind, today, then=then)
