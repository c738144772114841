"""Exit readiness: of the checklist items due by today, how many are done.

Due dates come from the notice and exit dates (``transition.exit_timeline``); the figure
is read from ``outline`` (one query over the items whatever their number).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import bindparam, func, select
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


_OUTLINE = select(
    HandoverItem.id,
    HandoverItem.section,
    HandoverItem.section_title,
    HandoverItem.title,
    HandoverItem.owner,
    HandoverItem.status,
    HandoverItem.due_rule,
    HandoverItem.source_kind,
    HandoverItem.position,
).where(HandoverItem.engagement_id == bindparam("eid"))
# Within a section: by position, then source id (derived items share one position), then
# id. Sections follow by the first position in each (``handover.show``'s order).
_IN_SECTION = _OUTLINE.order_by(
    HandoverItem.section,
    HandoverItem.position,
    func.coalesce(HandoverItem.source_id, 0),
    HandoverItem.id,
)


def outline(
    session: Session, engagement: EngagementRef
) -> tuple[list[ChecklistLine], ExitReadiness]:
    """The checklist in ``handover.show``'s order with only what ``handover show`` prints
    of each item, and its readiness figure: one query over the items (a plain row each,
    no read model and no source lookup), sorted within sections by the database; due dates
    and the figure worked out once per (rule, kind, status), not per item."""
    from transition.exit_timeline import due_on, rule_of
    from transition.workdays import Calendar

    eng = engagement_of(session, engagement)
    days, now = Calendar.of(eng), today()
    rows = session.connection().execute(_IN_SECTION, {"eid": eng.id}).all()
    sections = [list(group) for _, group in groupby(rows, itemgetter(1))]
    sections.sort(key=lambda group: (group[0][8], group[0][1]))  # stable: ties keep order
    closed = (*DONE, "retired")
    # (rule, kind, status) -> (due date, overdue): a few for thousands of items.
    dues: dict[tuple[str | None, str | None], date | None] = {}
    marks: dict[tuple[str | None, str | None, str], tuple[date | None, bool]] = {}
    tally: Counter[tuple[str | None, str | None, str]] = Counter()
    lines = []
    append = lines.append
    for group in sections:
        for ident, section, section_title, title, owner, status, rule, kind, _ in group:
            key = (rule, kind, status)
            mark = marks.get(key)
            if mark is None:
                if (rule, kind) not in dues:
                    dues[rule, kind] = due_on(
                        rule_of(rule, kind), eng.notice_date, eng.exit_date, days
                    )
                due = dues[rule, kind]
                mark = marks[key] = (due, due is not None and due < now and status not in closed)
            tally[key] += 1
            append(ChecklistLine(ident, section, section_title, title, owner, status, *mark))
    return lines, _figure(eng.notice_date, eng.exit_date, now, marks, tally)


def _figure(
    notice: date | None,
    exit_on: date | None,
    now: date,
    marks: dict[tuple[str | None, str | None, str], tuple[date | None, bool]],
    tally: Counter[tuple[str | None, str | None, str]],
) -> ExitReadiness:
    """``figure`` from the items counted by (rule, kind, status), with their due date and
    whether they are overdue."""
    total = done = dated = due_count = due_done = overdue_count = 0
    for key, n in tally.items():
        status = key[2]
        if status == "retired":
            continue
        due, overdue = marks[key]
        is_done = status in DONE
        total += n
        done += n * is_done
        overdue_count += n * overdue
        if due is not None:
            dated += n
            if due <= now:
                due_count += n
                due_done += n * is_done
    return ExitReadiness(
        notice_date=notice,
        exit_date=exit_on,
        today=now,
        total=total,
        done=done,
        dated=dated,
        due=due_count,
        due_done=due_done,
        overdue=overdue_count,
        percent=round(100 * due_done / due_count) if due_count else None,
    )
