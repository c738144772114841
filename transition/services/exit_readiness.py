"""Exit readiness: of the checklist items due by today, how many are done.

Due dates come from the notice and exit dates (``transition.exit_timeline``); the figure
is read from ``outline`` (one query over the items whatever their number).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from sqlalchemy import select
from sqlmodel import Session

from transition.dates import today
from transition.exit_timeline import DONE
from transition.models import HandoverItem
from transition.services.common import EngagementRef, engagement_of
from transition.services.views.handover import ExitReadiness, HandoverItemView

__all__ = ["ChecklistLine", "checklist", "figure", "outline", "readiness"]


class ChecklistLine(NamedTuple):
    """One item of ``outline``: what ``handover show`` prints of it."""

    id: int
    section: str
    section_title: str | None
    title: str
    owner: str | None
    status: str
    due_date: date | None
    overdue: bool


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
    return outline(session, engagement)[1]


def outline(
    session: Session, engagement: EngagementRef
) -> tuple[list[ChecklistLine], ExitReadiness]:
    """The checklist in ``handover.show``'s order with only what ``handover show`` prints
    of each item, and its readiness figure: one query over the items (a plain row each,
    no read model and no source lookup), due dates worked out once per rule."""
    from transition.exit_timeline import due_on, rule_of
    from transition.workdays import Calendar

    eng = engagement_of(session, engagement)
    days, now = Calendar.of(eng), today()
    h = HandoverItem
    rows = (
        session.connection()
        .execute(
            select(
                h.id,
                h.section,
                h.section_title,
                h.title,
                h.owner,
                h.status,
                h.position,
                h.source_id,
                h.source_kind,
                h.due_rule,
            ).where(h.engagement_id == eng.id)
        )
        .all()
    )
    first_seen: dict[str, int] = {}
    for row in rows:
        seen = first_seen.get(row[1])
        if seen is None or row[6] < seen:
            first_seen[row[1]] = row[6]
    rows.sort(key=lambda r: (first_seen[r[1]], r[1], r[6], r[7] or 0, r[0]))
    dues: dict[str | None, date | None] = {}  # a few rules for thousands of items
    closed = (*DONE, "retired")
    lines = []
    total = done = dated = due_count = due_done = overdue_count = 0
    for ident, section, section_title, title, owner, status, _, _, kind, rule in rows:
        rule = rule_of(rule, kind)
        if rule not in dues:
            dues[rule] = due_on(rule, eng.notice_date, eng.exit_date, days)
        due = dues[rule]
        overdue = due is not None and due < now and status not in closed
        lines.append(
            ChecklistLine(ident, section, section_title, title, owner, status, due, overdue)
        )
        if status == "retired":
            continue
        total += 1
        is_done = status in DONE
        done += is_done
        if due is not None:
            dated += 1
            if due <= now:
                due_count += 1
                due_done += is_done
        overdue_count += overdue
    ready = ExitReadiness(
        notice_date=eng.notice_date,
        exit_date=eng.exit_date,
        today=now,
        total=total,
        done=done,
        dated=dated,
        due=due_count,
        due_done=due_done,
        overdue=overdue_count,
        percent=round(100 * due_done / due_count) if due_count else None,
    )
    return lines, ready
