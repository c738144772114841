"""Tasks: list with filters, status changes with dependency checks, assignment."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from transition.dates import today, utcnow
from transition.errors import BadInput, Refused, about
from transition.guard import no_secrets
from transition.models import Engagement, Person, Phase, Task, TaskDependency
from transition.services import textmatch
from transition.services.common import (
    EngagementRef,
    apply_changes,
    check_version,
    engagement_of,
    get_person,
    get_task,
    view_columns,
)
from transition.services.views.tasks import (
    PhaseHeader,
    TaskCursor,
    TaskFilter,
    TaskPage,
    TaskView,
)
from transition.text import clean_text
from transition.workdays import Calendar

STATUSES = ("todo", "in_progress", "blocked", "done", "skipped")
OPEN = ("todo", "in_progress", "blocked")
CLOSED = ("done", "skipped")


def _status(value: str) -> str:
    status = value.strip().lower().replace("-", "_")
    if status not in STATUSES:
        raise BadInput(f"invalid task status {value!r}: choose one of {', '.join(STATUSES)}")
    return status


#: Tasks fetched per page of a paged listing (``page``).
PAGE = 200


def list_tasks(
    session: Session,
    engagement: EngagementRef,
    *,
    phase: str | None = None,
    status: str | None = None,
    overdue: bool = False,
    assignee: str | None = None,
    mine: bool = False,
    open_only: bool = False,
    keep: Sequence[str] = (),
    text: str | None = None,
    sort: str | None = None,
    descending: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[TaskView]:
    """Tasks as read models, in phase order, in a few queries whatever their number.
    ``mine``: the acting user's (a person of the engagement by name or email): assigned to
    them, or owned by a role they hold with nobody assigned. ``open_only``: to do, in
    progress or blocked, and the tasks keyed in ``keep`` whatever their status. ``text``:
    every word of it in the key, title, status, due date, assignee or owner role (any
    case, any script). ``sort``: a key of ``SORTS`` ordering each phase's tasks."""
    engagement = engagement_of(session, engagement)
    stmt = _filtered(
        session,
        engagement,
        phase=phase,
        status=status,
        overdue=overdue,
        assignee=assignee,
        open_only=open_only,
        keep=keep,
        text=text,
    )
    if sort is not None:
        stmt = stmt.order_by(None).order_by(Phase.position, *_sort_order(sort, descending))
    if mine:
        from transition.services import roles

        me = roles.me_in(session, engagement)
        stmt = stmt.where(
            (Task.assignee_id == me.id) | (Task.assignee_id.is_(None) & (Task.owner_role != ""))
        )
        if limit is not None:
            stmt = stmt.limit(limit).offset(offset)
        rows = _views(session, engagement, stmt, paged=limit is not None)
        return [t for t in rows if t.assignee == me.name or me.name in t.owners]
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return _views(session, engagement, stmt, paged=limit is not None)


def task_records(
    session: Session,
    engagement: EngagementRef,
    *,
    phase: str | None = None,
    status: str | None = None,
    overdue: bool = False,
    assignee: str | None = None,
) -> Iterator[dict[str, object]]:
    """``list_tasks`` (without ``mine``) as plain rows in ``TaskView`` field order, read as
    they are printed (``task list --json``): the same queries, no model per row. The
    queries run now (an unknown phase or person is refused before anything is printed)."""
    engagement = engagement_of(session, engagement)
    stmt = _filtered(
        session, engagement, phase=phase, status=status, overdue=overdue, assignee=assignee
    )
    from transition.services.task_records import plain_rows

    return plain_rows(session, engagement, stmt)


def _in_phase(session: Session, engagement: Engagement, stmt, phase: str | None):
    """``stmt`` kept to the tasks of ``phase`` (a key of the engagement's phases)."""
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
    return stmt


def _filtered(
    session: Session,
    engagement: Engagement,
    *,
    phase: str | None = None,
    status: str | None = None,
    overdue: bool = False,
    assignee: str | None = None,
    open_only: bool = False,
    keep: Sequence[str] = (),
    text: str | None = None,
):
    """The engagement's tasks narrowed as ``list_tasks`` and ``page`` say, in phase
    order (an unknown phase refused first)."""
    stmt = _in_phase(session, engagement, _select(engagement), phase)
    if status:
        stmt = stmt.where(Task.status == _status(status))
    if overdue:
        stmt = stmt.where(Task.status.in_(OPEN), Task.due_date < today())
    if assignee:
        person = get_person(session, engagement, assignee)
        stmt = stmt.where(Task.assignee_id == person.id)
    if open_only:
        still = Task.status.in_(OPEN)
        stmt = stmt.where(still | Task.key.in_(list(keep)) if keep else still)
    if text:
        stmt = stmt.where(
            textmatch.matches(
                text,
                Task.key,
                Task.title,
                func.replace(Task.status, "_", " "),
                Task.due_date,
                Person.name,
                Task.owner_role,
            )
        )
    return stmt


#: What a task list can be sorted by (within each phase), and the column it sorts on.
SORTS = ("key", "due", "assignee", "title", "status")


def _sort_order(sort: str, descending: bool) -> list[Any]:
    """The ORDER BY of a task list sorted by ``sort`` (one of ``SORTS``): empty values
    last either way, ties in the playbook's order."""
    columns = {
        "key": Task.key,
        "due": Task.due_date,
        "assignee": textmatch.folded(Person.name),
        "title": textmatch.folded(Task.title),
        "status": case({s: i for i, s in enumerate(STATUSES)}, value=Task.status, else_=99),
    }
    return [*textmatch.ordering(sort, descending, columns, "tasks"), Task.position, Task.id]


#: The task on the other side of a dependency. One alias for good: an alias made per call
#: sets up the SQL of each of its columns again when first used, which was most of the
#: time of reading a page of tasks or a task's inspector.
OTHER = aliased(Task, name="other_task")


def _select(engagement: Engagement, view: type[TaskView] = TaskView, *, removed: bool = False):
    """The columns of ``view`` for the engagement's tasks; removed tasks only if ``removed``."""
    stmt = (
        select(
            *view_columns(view, Task),
            Phase.key.label("phase"),
            Person.name.label("assignee"),
        )
        .join(Phase, Phase.id == Task.phase_id)
        .outerjoin(Person, Person.id == Task.assignee_id)
        .where(Task.engagement_id == engagement.id)
        .order_by(Phase.position, Task.position, Task.id)
    )
    return stmt if removed else stmt.where(Task.removed_at.is_(None))


def _views(
    session: Session,
    engagement: Engagement,
    stmt,
    *,
    paged: bool,
    view: type[TaskView] = TaskView,
) -> list[Any]:
    """The tasks ``stmt`` selects with their dependencies: those of these rows only when
    ``paged``, else every dependency of the engagement in one query."""
    return [view(**row) for row in _rows(session, engagement, stmt, paged=paged)]


def _rows(
    session: Session, engagement: Engagement, stmt, *, paged: bool
) -> Iterator[dict[str, Any]]:
    """The values of each task ``stmt`` selects, with owners, dependencies and due-date
    flags (the queries run now; the rows are read as they are used)."""
    now = today()
    from transition.services.roles import holders, owners_of

    if paged:
        rows: Any = session.execute(stmt).all()
        if not rows:
            return iter(())
        deps = _open_dependencies(session, engagement, [r.id for r in rows])
    else:
        deps = _open_dependencies(session, engagement, None)
    held = holders(session, [engagement.id])
    if not paged:
        rows = session.connection().execute(stmt)
    keys = tuple(rows.keys()) if not paged else None
    calendar = Calendar.of(engagement)
    why: dict[Any, str | None] = {}
    owners: dict[str | None, list[str]] = {}
    dep_all, dep_open = deps["all"], deps["open"]

    def build() -> Iterator[dict[str, Any]]:
        for r in rows:
            row = dict(r._mapping) if keys is None else dict(zip(keys, r, strict=True))
            due = row["due_date"]
            if due is not None and due not in why:
                why[due] = calendar.why_not_working(due)
            task_id = row["id"]
            if row["assignee"]:
                row["owners"] = []
            else:
                role = row["owner_role"]
                if role not in owners:
                    owners[role] = owners_of(held, engagement.id, role)
                row["owners"] = list(owners[role])
            row["depends_on"] = dep_all.get(task_id, [])
            row["waiting_on"] = dep_open.get(task_id, [])
            row["overdue"] = row["status"] in OPEN and due is not None and due < now
            row["due_non_working"] = why[due] if due is not None else None
            yield row

    return build()


def _open_dependencies(
    session: Session, engagement: Engagement, task_ids: list[int] | None
) -> dict[str, dict[int, list[str]]]:
    dep = OTHER
    stmt = (
        select(TaskDependency.task_id, dep.key, dep.status)
        .join(dep, dep.id == TaskDependency.depends_on_id)
        .where(dep.removed_at.is_(None))
        .order_by(TaskDependency.task_id, dep.position)
    )
    if task_ids is not None:
        # The tasks given are the engagement's (and so are their dependencies): looked up
        # by id, not by walking every task of a large engagement against the id list.
        stmt = stmt.where(TaskDependency.task_id.in_(task_ids or [-1]))
    else:
        stmt = stmt.where(dep.engagement_id == engagement.id)
    every: dict[int, list[str]] = defaultdict(list)
    still: dict[int, list[str]] = defaultdict(list)
    for task_id, key, status in session.execute(stmt):
        every[task_id].append(key)
        if status not in CLOSED:
            still[task_id].append(key)
    return {"all": every, "open": still}


def live_task(session: Session, engagement: Engagement, key: str) -> Task:
    """The task ``key`` of the engagement, refused once it is removed."""
    task = get_task(session, engagement, key)
    if task.removed_at is not None:
        raise Refused(
            f"task {task.key!r} was removed ({task.removed_reason}); nothing to change",
            field="key",
        )
    return task


def _view(session: Session, engagement: Engagement, task: Task) -> TaskView:
    """One task as a read model, as it is now (two queries)."""
    return _views(session, engagement, _select(engagement).where(Task.id == task.id), paged=True)[0]


def set_status(
    session: Session,
    engagement: EngagementRef,
    key: str,
    status: str,
    *,
    note: str | None = None,
    expected_version: int | None = None,
) -> TaskView:
    """Change a task's status. Done needs every dependency done or skipped; reopening a
    done or skipped task (to todo, in progress or blocked) needs every task that depends on
    it not done, so a done task never rests on an open one. Returns the task as changed."""
    engagement = engagement_of(session, engagement)
    with about("status"):
        status = _status(status)
    task = live_task(session, engagement, key)
    check_version(session, task, expected_version, "task", task.key)
    if status == "done":
        dep = OTHER
        waiting = session.execute(
            select(dep.key, dep.status)
            .join(TaskDependency, TaskDependency.depends_on_id == dep.id)
            .where(
                TaskDependency.task_id == task.id,
                dep.status.not_in(CLOSED),
                dep.removed_at.is_(None),
            )
            .order_by(dep.position)
        ).all()
        if waiting:
            names = ", ".join(f"{k} ({s.replace('_', ' ')})" for k, s in waiting)
            raise Refused(
                f"task {task.key!r} cannot be done while it depends on open task(s): {names}"
            )
    elif status in OPEN and task.status in CLOSED:
        # Reopening: a task that depends on this one cannot stay done on an open footing.
        dependent = OTHER
        done_after = (
            session.execute(
                select(dependent.key)
                .join(TaskDependency, TaskDependency.task_id == dependent.id)
                .where(
                    TaskDependency.depends_on_id == task.id,
                    dependent.status == "done",
                    dependent.removed_at.is_(None),
                )
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
        with about("note"):
            values["note"] = no_secrets(clean_text(note, "the note"), "the note") or None
    if status in CLOSED and task.status not in CLOSED:
        from transition.services import audit

        values["completed_by"] = audit.actor(session)
        values["completed_at"] = utcnow()
    elif status not in CLOSED:
        values["completed_by"] = None
        values["completed_at"] = None
    apply_changes(session, task, engagement.id, "task", values)
    return _view(session, engagement, task)


def toggle(
    session: Session, engagement: EngagementRef, key: str, *, expected_version: int | None = None
) -> TaskView:
    """Done ↔ todo: a done or skipped task is reopened (todo), any other is done."""
    engagement = engagement_of(session, engagement)
    current = get_task(session, engagement, key).status
    new = "todo" if current in CLOSED else "done"
    return set_status(session, engagement, key, new, expected_version=expected_version)


def assign(
    session: Session,
    engagement: EngagementRef,
    key: str,
    person_name: str | None,
    *,
    expected_version: int | None = None,
) -> TaskView:
    """Give a task to a person of the engagement, never a released one (None: nobody)."""
    from transition.services import access_rules, audit

    engagement = engagement_of(session, engagement)
    task = live_task(session, engagement, key)
    check_version(session, task, expected_version, "task", task.key)
    with about("person"):
        person = get_person(session, engagement, person_name) if person_name else None
    if person is not None:
        access_rules.check_not_released(person, f"take task {task.key}")
    before = session.get(Person, task.assignee_id).name if task.assignee_id else None
    if (person.id if person else None) != task.assignee_id:
        task.assignee_id = person.id if person else None
        session.add(task)
        session.flush()
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
    return _view(session, engagement, task)


def page(
    session: Session,
    engagement: EngagementRef,
    order: list[str],
    filters: TaskFilter,
    cursor: TaskCursor,
    limit: int = PAGE,
) -> TaskPage:
    """The next ``limit`` tasks matching ``filters``, phase by phase in ``order`` (phase
    keys), from ``cursor``, with a heading row opening each phase that has any. One query
    for the rows whatever the number of phases (a filter that matches few of many tasks
    reads them once, not once per phase)."""
    engagement = engagement_of(session, engagement)
    index, offset = cursor.phase_index, cursor.offset
    if cursor.done or index >= len(order):
        return TaskPage(rows=[], cursor=TaskCursor(phase_index=len(order), done=True), loaded=0)
    rank = {key: i for i, key in enumerate(order)}
    stmt = _filtered(
        session,
        engagement,
        status=filters.status,
        overdue=filters.overdue,
        assignee=filters.assignee,
        open_only=filters.open_only,
        keep=filters.keep,
        text=filters.text,
    )
    within = (
        _sort_order(filters.sort, filters.descending)
        if filters.sort is not None
        else [Task.position, Task.id]
    )
    stmt = (
        stmt.where(Phase.key.in_(order[index:]))
        .order_by(None)
        .order_by(case(rank, value=Phase.key), *within)
        .limit(limit)
        .offset(offset)
    )
    batch = _views(session, engagement, stmt, paged=True)
    rows: list[PhaseHeader | TaskView] = []
    for task in batch:
        at = rank[task.phase]
        if at != index:
            index, offset = at, 0
        if offset == 0:
            rows.append(PhaseHeader(phase=task.phase))
        rows.append(task)
        offset += 1
    loaded = len(batch)
    done = loaded < limit
    if done:
        index, offset = len(order), 0
    return TaskPage(
        rows=rows, cursor=TaskCursor(phase_index=index, offset=offset, done=done), loaded=loaded
    )
