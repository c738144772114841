"""Exit readiness: of the checklist items due by today, how many are done.

Due dates come from the notice and exit dates (``transition.exit_timeline``); the figure
is read from ``handover.show`` (four queries whatever the number of items).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session

from transition.dates import today
from transition.exit_timeline import DONE
from transition.services.common import EngagementRef, engagement_of
from transition.services.views.handover import ExitReadiness, HandoverItemView

__all__ = ["checklist", "figure", "readiness"]


def figure(
    items: Sequence[HandoverItemView], notice: date | None = None, exit_on: date | None = None
) -> ExitReadiness:
    """The readiness of ``items`` (as ``handover.show`` returns them) on today's date."""
    now = today()
    counted = [i for i in items if i.status != "retired"]
    due = [i for i in counted if i.due_date is not None and i.due_date <= now]
    due_done = sum(1 for i in due if i.status in DONE)
    return ExitReadiness(
        notice_date=notice,
        exit_date=exit_on,
        today=now,
        total=len(counted),
        done=sum(1 for i in counted if i.status in DONE),
        dated=sum(1 for i in counted if i.due_date is not None),
        due=len(due),
        due_done=due_done,
        overdue=sum(1 for i in counted if i.overdue),
        percent=round(100 * due_done / len(due)) if due else None,
    )


def checklist(
    session: Session, engagement: EngagementRef
) -> tuple[list[HandoverItemView], ExitReadiness]:
    """The checklist as ``handover.show`` gives it, with its readiness figure."""
    from transition.services import handover

    eng = engagement_of(session, engagement)
    items = handover.show(session, eng)
    return items, figure(items, eng.notice_date, eng.exit_date)


def readiness(session: Session, engagement: EngagementRef) -> ExitReadiness:
    """The report's figure (and ``handover show``'s closing line)."""
    return checklist(session, engagement)[1]
