"""The tasks of an engagement summed up in the database for the status report: counts, the
due dates and completion times counted by day, and the first overdue and blocked tasks as
read models. The same figures as ``tasks.list_tasks`` gives over every task, in a fixed
number of queries whatever the number of tasks.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlmodel import Session

from transition.models import Engagement, Task
from transition.services.tasks import CLOSED, OPEN, _select, _views
from transition.services.views import TaskView


@dataclass
class TaskFacts:
    """``due``: open or closed, tasks by due date; ``completed``: the closed tasks by
    completion time (None: not recorded); ``overdue`` / ``blocked``: the first ``top``
    in the report's order (the list's own when it has no more), ``overdue_count`` / ``blocked_count``: all of them."""

    total: int
    closed: int
    due: Counter[date]
    completed: Counter[datetime | None]
    overdue: list[TaskView]
    overdue_count: int
    blocked: list[TaskView]
    blocked_count: int


def facts(session: Session, engagement: Engagement, now: date, top: int) -> TaskFacts:
    """The engagement's tasks (removed ones left out) as the report counts them."""
    live = (Task.engagement_id == engagement.id, Task.removed_at.is_(None))
    late = (Task.status.in_(OPEN), Task.due_date < now)
    total, closed, overdue, blocked = session.execute(
        select(
            func.count(),
            func.count().filter(Task.status.in_(CLOSED)),
            func.count().filter(*late),
            func.count().filter(Task.status == "blocked"),
        ).where(*live)
    ).one()
    due: Counter[date] = Counter()
    for day, n in session.execute(
        select(Task.due_date, func.count())
        .where(*live, Task.due_date.is_not(None))
        .group_by(Task.due_date)
    ):
        due[day] += n
    completed: Counter[datetime | None] = Counter()
    for at, n in session.execute(
        select(Task.completed_at, func.count())
        .where(*live, Task.status.in_(CLOSED))
        .group_by(Task.completed_at)
    ):
        completed[at] += n
    first_late = _select(engagement).where(*late)
    if overdue > top:  # the most overdue first; a list the report shows whole keeps its order
        first_late = first_late.order_by(None).order_by(Task.due_date, Task.key)
    return TaskFacts(
        total=total,
        closed=closed,
        due=due,
        completed=completed,
        overdue=_views(session, engagement, first_late.limit(top), paged=True),
        overdue_count=overdue,
        blocked=_views(
            session,
            engagement,
            _select(engagement).where(Task.status == "blocked").limit(top),
            paged=True,
        ),
        blocked_count=blocked,
    )


def of_rows(rows: list[TaskView]) -> TaskFacts:
    """The same figures from every task's read model (``tasks.list_tasks``)."""
    closed = [t for t in rows if t.status in CLOSED]
    overdue = [t for t in rows if t.overdue]
    blocked = [t for t in rows if t.status == "blocked"]
    return TaskFacts(
        total=len(rows),
        closed=len(closed),
        due=Counter(t.due_date for t in rows if t.due_date is not None),
        completed=Counter(t.completed_at for t in closed),
        overdue=overdue,
        overdue_count=len(overdue),
        blocked=blocked,
        blocked_count=len(blocked),
    )
