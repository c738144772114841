"""``task list --json``: the tasks as plain rows in ``TaskView`` field order, JSON types
already (dates as ISO text), built straight from the selected columns as they are read:
no model and no intermediate mapping per row, each due date's text and working-day
check worked out once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import String, type_coerce
from sqlmodel import Session

from transition.dates import today
from transition.models import Engagement
from transition.services.views.base import records
from transition.services.views.tasks import TaskView
from transition.workdays import Calendar

#: The columns ``tasks._select`` reads, in its order, and the fields built from them.
_SELECTED = (
    "id",
    "key",
    "title",
    "status",
    "owner_role",
    "due_date",
    "note",
    "completed_by",
    "completed_at",
    "version",
    "origin",
    "due_rule",
    "phase",
    "assignee",
)
_FIELDS = (
    *_SELECTED[:10],
    "phase",
    "assignee",
    "owners",
    "origin",
    "due_rule",
    "depends_on",
    "waiting_on",
    "overdue",
    "due_non_working",
)


def plain_rows(session: Session, engagement: Engagement, stmt: Any) -> Iterator[dict[str, object]]:
    """The tasks ``stmt`` (``tasks._filtered``) selects as ``task_records`` gives them;
    the queries run now, the rows are read as they are used. A statement or read model
    of another shape goes the general way (``records`` over ``tasks._rows``)."""
    from transition.services import tasks
    from transition.services.roles import holders

    keys = tuple(stmt.selected_columns.keys())
    if keys != _SELECTED or tuple(TaskView.model_fields) != _FIELDS:
        return records(TaskView, tasks._rows(session, engagement, stmt, paged=False))
    deps = tasks._open_dependencies(session, engagement, None)
    held = holders(session, [engagement.id])
    # The due date as stored (ISO text on SQLite; a date elsewhere): read as it is printed,
    # parsed once per date for the checks that need it.
    columns = [
        type_coerce(c, String).label(c.key) if c.key == "due_date" else c
        for c in stmt.selected_columns
    ]
    result = session.connection().execute(stmt.with_only_columns(*columns))
    return _build(engagement, result, deps, held, tasks.OPEN)


def _build(
    engagement: Engagement,
    result: Any,
    deps: dict[str, dict[int, list[str]]],
    held: dict[tuple[int, str], list[str]],
    open_statuses: tuple[str, ...],
) -> Iterator[dict[str, object]]:
    """The rows of ``result`` (columns ``_SELECTED``) with owners, dependencies and due-date
    flags, as ``records(TaskView, tasks._rows(...))`` gives them."""
    from transition.services.roles import owners_of

    now = today()
    calendar = Calendar.of(engagement)
    dues: dict[date | str, tuple[str, str | None, bool]] = {}
    owners: dict[str | None, list[str]] = {}
    dep_all, dep_open = deps["all"], deps["open"]
    none: list[str] = []
    for (
        ident,
        key,
        title,
        status,
        role,
        due,
        note,
        completed_by,
        completed_at,
        version,
        origin,
        due_rule,
        phase,
        assignee,
    ) in _fetched(result):
        if due is None:
            due_text = why = None
            overdue = False
        else:
            seen = dues.get(due)
            if seen is None:
                day = due if isinstance(due, date) else date.fromisoformat(due)
                seen = dues[due] = (day.isoformat(), calendar.why_not_working(day), day < now)
            due_text, why, past = seen
            overdue = past and status in open_statuses
        if assignee:
            carried = none
        else:
            carried = owners.get(role)  # type: ignore[assignment]
            if carried is None:
                carried = owners[role] = owners_of(held, engagement.id, role)
        yield {
            "id": ident,
            "key": key,
            "title": title,
            "status": status,
            "owner_role": role,
            "due_date": due_text,
            "note": note,
            "completed_by": completed_by,
            "completed_at": None if completed_at is None else completed_at.isoformat(),
            "version": version,
            "phase": phase,
            "assignee": assignee,
            "owners": carried,
            "origin": origin,
            "due_rule": due_rule,
            "depends_on": dep_all.get(ident, none),
            "waiting_on": dep_open.get(ident, none),
            "overdue": overdue,
            "due_non_working": why,
        }


def _fetched(result: Any) -> Iterator[Any]:
    """The rows of ``result``, fetched a thousand at a time (not one by one)."""
    for chunk in result.partitions(1000):
        yield from chunk
