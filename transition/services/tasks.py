"""Tasks: list with filters, status changes with dependency checks, assignment."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from transition.dates import today, utcnow
from transition.errors import BadInput, Refused
from transition.guard import no_secrets
from transition.models import Engagement, Person, Phase, Task, TaskDependency
from transition.services.common import apply_changes, check_version, get_person, get_task
from transition.services.views import TaskView
from transition.text import clean_text

STATUSES = ("todo", "in_progress", "blocked", "done", "skipped")
OPEN = ("todo", "in_progress", "blocked")
CLOSED = ("done", "skipped")


def _status(value: str) -> str:
    status = value.strip().lower().replace("-", "_")
    if status not in STATUSES:
        raise BadInput(f"invalid task status {value!r}: choose one of {', '.join(STATUSES)}")
    return status


def list_tasks(
    session: Session,
    engagement: Engagement,
    *,
    phase: str | None = None,
    status: str | None = None,
    overdue: bool = False,
    assignee: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[TaskView]:
    """Tasks as read models, in phase order, in two queries whatever their number."""
    now = today()
    stmt = (
        select(
            Task.id,
            Task.key,
            Task.title,
            Task.status,
            Task.owner_role,
            Task.due_date,
            Task.note,
            Task.completed_by,
            Task.completed_at,
            Task.version,
            Phase.key.label("phase"),
            Person.name.label("assignee"),
        )
        .join(Phase, Phase.id == Task.phase_id)
        .outerjoin(Person, Person.id == Task.assignee_id)
        .where(Task.engagement_id == engagement.id)
        .order_by(Phase.position, Task.position, Task.id)
    )
    if phase:
        phase = phase.strip().lower()
        keys = (
            session.execute(
                select(Phase.key)
                .where(Phase.engagement_id == engagement.id)
                .order_by(Phase.position)
            )
            .scalars()
            .all()
        )
        if phase not in keys:
            raise BadInput(f"unknown phase {phase!r}: phases are {', '.join(keys)}")
        stmt = stmt.where(Phase.key == phase)
    if status:
        stmt = stmt.where(Task.status == _status(status))
    if overdue:
        stmt = stmt.where(Task.status.in_(OPEN), Task.due_date < now)
    if assignee:
        person = get_person(session, engagement, assignee)
        stmt = stmt.where(Task.assignee_id == person.id)
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    rows = session.execute(stmt).all()
    deps = _open_dependencies(session, engagement, [r.id for r in rows] if limit else None)
    return [
        TaskView(
            **r._mapping,
            depends_on=deps["all"].get(r.id, []),
            waiting_on=deps["open"].get(r.id, []),
            overdue=r.status in OPEN and r.due_date is not None and r.due_date < now,
        )
        for r in rows
    ]


def _open_dependencies(
    session: Session, engagement: Engagement, task_ids: list[int] | None
) -> dict[str, dict[int, list[str]]]:
    dep = aliased(Task)
    stmt = (
        select(TaskDependency.task_id, dep.key, dep.status)
        .join(dep, dep.id == TaskDependency.depends_on_id)
        .where(dep.engagement_id == engagement.id)
        .order_by(TaskDependency.task_id, dep.position)
    )
    if task_ids is not None:
        stmt = stmt.where(TaskDependency.task_id.in_(task_ids or [-1]))
    out: dict[str, dict[int, list[str]]] = {"all": defaultdict(list), "open": defaultdict(list)}
    for task_id, key, status in session.execute(stmt):
        out["all"][task_id].append(key)
        if status not in CLOSED:
            out["open"][task_id].append(key)
    return out


def set_status(
    session: Session,
    engagement: Engagement,
    key: str,
    status: str,
    *,
    note: str | None = None,
    expected_version: int | None = None,
) -> Task:
    """Change a task's status. Done needs every dependency done or skipped; reopening a
    done or skipped task (to todo, in progress or blocked) needs every task that depends on
    it not done, so a done task never rests on an open one."""
    status = _status(status)
    task = get_task(session, engagement, key)
    check_version(session, task, expected_version, "task", task.key)
    if status == "done":
        dep = aliased(Task)
        waiting = session.execute(
            select(dep.key, dep.status)
            .join(TaskDependency, TaskDependency.depends_on_id == dep.id)
            .where(TaskDependency.task_id == task.id, dep.status.not_in(CLOSED))
            .order_by(dep.position)
        ).all()
        if waiting:
            names = ", ".join(f"{k} ({s.replace('_', ' ')})" for k, s in waiting)
            raise Refused(
                f"task {task.key!r} cannot be done while it depends on open task(s): {names}"
            )
    elif status in OPEN and task.status in CLOSED:
        # Reopening: a task that depends on this one cannot stay done on an open footing.
        dependent = aliased(Task)
        done_after = (
            session.execute(
                select(dependent.key)
                .join(TaskDependency, TaskDependency.task_id == dependent.id)
                .where(TaskDependency.depends_on_id == task.id, dependent.status == "done")
                .order_by(dependent.position, dependent.id)
            )
            .scalars()
            .all()
        )
        if done_after:
            raise Refused(
                f"task {task.key!r} cannot be reopened while task(s) that depend on it are "
                f"done: {', '.join(done_after)}; reopen those first"
            )
    values: dict[str, Any] = {"status": status}
    if note is not None:
        values["note"] = no_secrets(clean_text(note, "the note"), "the note") or None
    if status in CLOSED and task.status not in CLOSED:
        from transition.services import audit

        values["completed_by"] = audit.actor(session)
        values["completed_at"] = utcnow()
    elif status not in CLOSED:
        values["completed_by"] = None
        values["completed_at"] = None
    apply_changes(session, task, engagement.id, "task", values)
    return task


def assign(
    session: Session,
    engagement: Engagement,
    key: str,
    person_name: str | None,
    *,
    expected_version: int | None = None,
) -> Task:
    task = get_task(session, engagement, key)
    check_version(session, task, expected_version, "task", task.key)
    person = get_person(session, engagement, person_name) if person_name else None
    before = session.get(Person, task.assignee_id).name if task.assignee_id else None
    if (person.id if person else None) != task.assignee_id:
        task.assignee_id = person.id if person else None
        session.add(task)
        session.flush()
        from transition.services import audit

        audit.record(
            session,
            engagement.id,
            "task",
            task.id,
            "assign",
            "assignee",
            before,
            person.name if person else None,
        )
    return task


def counts_by_phase(session: Session, engagement: Engagement) -> dict[str, dict[str, int]]:
    """{phase key: {status: count}} in one query."""
    from sqlalchemy import func

    out: dict[str, dict[str, int]] = defaultdict(dict)
    for phase_key, status, n in session.execute(
        select(Phase.key, Task.status, func.count())
        .join(Phase, Phase.id == Task.phase_id)
        .where(Task.engagement_id == engagement.id)
        .group_by(Phase.key, Task.status)
    ):
        out[phase_key][status] = n
    return dict(out)
