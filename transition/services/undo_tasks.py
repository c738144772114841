"""The task rules an undo keeps, as ``task set`` does: a done task never rests on an open
one. Putting a status back (or a removed task back in the plan) is checked against the
tasks around it as they are now, with the undo's own other steps applied."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session

from transition.errors import Conflict
from transition.models import Task, TaskDependency
from transition.services.tasks import CLOSED, OPEN


def check_tasks(session: Session, plan: Any, when: str) -> None:
    """Refuse (nothing undone) when the plan would leave a done task depending on an open
    one: a task put back to done while a task it depends on is open, or a task put back
    open (or back in the plan) while a task depending on it is done."""
    final: dict[int, dict[str, Any]] = {}
    rows: dict[int, Task] = {}
    for step in plan.fields:  # a row's steps run newest first: the last one is what stays
        if step.key.entity == "task" and step.column in ("status", "removed_at"):
            final.setdefault(step.row.id, {})[step.column] = step.value
            rows[step.row.id] = step.row
    gone = {key.row_id for key, _, _ in plan.remove if key.entity == "task"}
    changed = {}
    for task_id, values in final.items():
        row = rows[task_id]
        status = values.get("status", row.status)
        live = values.get("removed_at", row.removed_at) is None
        if live and (status != row.status or row.removed_at is not None):
            changed[task_id] = status
    if not changed:
        return
    dep, other = TaskDependency, Task
    links = session.execute(
        select(dep.task_id, dep.depends_on_id, other.id, other.key, other.status, other.removed_at)
        .join(
            other,
            or_(
                (other.id == dep.depends_on_id) & dep.task_id.in_(sorted(changed)),
                (other.id == dep.task_id) & dep.depends_on_id.in_(sorted(changed)),
            ),
        )
        .order_by(other.position, other.id)
    ).all()

    def now(task_id: int, status: str, removed: Any) -> str | None:
        """The other task's status once undone; None when it is out of the plan."""
        if task_id in gone:
            return None
        values = final.get(task_id, {})
        if values.get("removed_at", removed) is not None:
            return None
        return values.get("status", status)

    for task_id, status in changed.items():
        key = rows[task_id].key
        if status == "done":
            waiting = [
                f"{k} ({s.replace('_', ' ')})"
                for t, d, oid, k, s0, r in links
                if t == task_id
                and d == oid
                and (s := now(oid, s0, r)) is not None
                and s not in CLOSED
            ]
            if waiting:
                raise Conflict(
                    f"{when} cannot be undone: task {key!r} would be done again while it "
                    f"depends on open task(s): {', '.join(waiting)}; nothing undone"
                )
        elif status in OPEN:
            done = [
                k
                for t, d, oid, k, s0, r in links
                if d == task_id and t == oid and now(oid, s0, r) == "done"
            ]
            if done:
                raise Conflict(
                    f"{when} cannot be undone: task {key!r} would be open again while "
                    f"task(s) that depend on it are done: {', '.join(done)}; reopen those "
                    "first (nothing undone)"
                )
