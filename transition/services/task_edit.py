"""Tasks changed by hand: ad-hoc tasks added, fields edited, tasks removed (soft, with a
reason), the notes thread, and one task shown with its notes and history."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from transition.dates import check_range, parse_date, utcnow
from transition.errors import BadInput, Refused, about
from transition.guard import no_secrets
from transition.models import AuditEvent, Engagement, Phase, Task, TaskDependency, TaskNote
from transition.playbooks import SLUG
from transition.services import audit
from transition.services.common import (
    EngagementRef,
    add_unique,
    apply_changes,
    check_version,
    engagement_of,
    get_task,
    next_position,
)
from transition.services.tasks import OPEN, OTHER, _select, _views, live_task, set_status
from transition.services.views.audit import AuditEventView
from transition.services.views.tasks import TaskDetail, TaskNoteView, TaskView
from transition.text import clean_line, clean_text, field_limit

_KEY = re.compile(SLUG)
_DATE = re.compile(r"^\s*\d{4}-")
#: Written for ``--due none``: the task has no due date.
NO_DUE = ("", "none")


def _key(value: str) -> str:
    with about("key"):
        key = clean_line(value, "task key", field_limit(Task, "key"), required=True).lower()
    if not _KEY.match(key):
        raise BadInput(
            f"invalid task key {value!r}: lower-case letters, digits and hyphens, starting "
            "with a letter or digit (e.g. extra-backup-check)",
            field="key",
        )
    return key


def _title(value: str) -> str:
    with about("title"):
        title = clean_line(value, "task title", field_limit(Task, "title"), required=True)
        return no_secrets(title, "the task title") or title


def _owner(value: str) -> str:
    with about("owner"):
        return clean_line(value, "owner role", field_limit(Task, "owner_role"))


def _description(value: str) -> str:
    with about("description"):
        return no_secrets(clean_text(value, "the description"), "the description") or ""


def _phase(session: Session, engagement: Engagement, key: str) -> Phase:
    phases = list(
        session.execute(
            select(Phase).where(Phase.engagement_id == engagement.id).order_by(Phase.position)
        ).scalars()
    )
    wanted = str(key).strip().lower()
    for phase in phases:
        if phase.key == wanted:
            return phase
    raise BadInput(
        f"unknown phase {key!r}: phases are {', '.join(p.key for p in phases)}", field="phase"
    )


def _due(
    engagement: Engagement, phase: Phase, value: str | date | None
) -> tuple[date | None, str | None]:
    """The due date and the rule it came from: an ISO date (no rule), or an offset from the
    phase's planned start on the engagement's calendar (``+5d``, ``+3bd``)."""
    from transition.workdays import Calendar, parse_offset

    if value is None:
        return None, None
    if isinstance(value, date):
        with about("due"):
            check_range(value, "due date")
        return value, None
    text = str(value).strip()
    if text.lower() in NO_DUE:
        return None, None
    with about("due"):
        if _DATE.match(text):
            return parse_date(text, "due date"), None
        try:
            offset = parse_offset(text, "due date")
        except BadInput:
            raise BadInput(
                f"invalid due date {value!r}: expected an ISO date such as 2026-12-01, or an "
                "offset from the phase's start such as +5d, 2w or +3bd (working days)"
            ) from None
        day = Calendar.of(engagement).shift(phase.planned_start, offset)
        check_range(day, "due date", text)
        return day, str(offset)


def add(
    session: Session,
    engagement: EngagementRef,
    *,
    phase: str,
    key: str,
    title: str,
    due: str | date | None = None,
    owner: str = "",
    depends_on: Sequence[str] = (),
    description: str = "",
) -> TaskView:
    """Add an ad-hoc task (not from the playbook) at the end of ``phase``. ``due``: a date,
    or an offset from the phase's planned start (``+5d``, ``+3bd`` on the engagement's
    calendar, kept as the task's due rule so the date follows its phase)."""
    engagement = engagement_of(session, engagement)
    key = _key(key)
    title = _title(title)
    owner = _owner(owner)
    description = _description(description)
    with about("phase"):
        row = _phase(session, engagement, phase)
    due_date, due_rule = _due(engagement, row, due)
    existing = session.execute(
        select(Task.key, Task.title, Phase.key)
        .join(Phase, Phase.id == Task.phase_id)
        .where(Task.engagement_id == engagement.id, Task.key == key)
    ).first()
    if existing is not None:
        raise Refused(
            f"task {key!r} already exists in {engagement.slug} (phase {existing[2]}: "
            f"{existing[1]!r}); choose another key",
            field="key",
        )
    needs = _dependencies(session, engagement, key, depends_on)
    position = next_position(session, Task.position, Task.phase_id == row.id)
    task = Task(
        engagement_id=engagement.id,
        phase_id=row.id,
        position=position,
        key=key,
        title=title,
        description=description,
        owner_role=owner,
        due_date=due_date,
        due_rule=due_rule,
        origin="adhoc",
    )
    slug = engagement.slug
    if not add_unique(session, task):  # another writer added the same key since the check
        raise Refused(
            f"task {key!r} already exists in {slug} (another change saved it a moment ago); "
            "nothing was saved",
            field="key",
        )
    session.add_all(TaskDependency(task_id=task.id, depends_on_id=d.id) for d in needs)
    initial: dict[str, Any] = {
        "key": key,
        "phase": row.key,
        "position": position,
        "origin": "adhoc",
        "title": title,
        "status": "todo",
        "due_date": due_date,
        "due_rule": due_rule,
        "owner_role": owner or None,
        "description": description or None,
        "depends_on": ", ".join(d.key for d in needs) or None,
    }
    audit.record_many(
        session,
        engagement.id,
        [
            audit.Change("task", task.id, "create", field, None, value)
            for field, value in initial.items()
            if value is not None
        ],
    )
    return _views(session, engagement, _select(engagement).where(Task.id == task.id), paged=True)[0]


def _dependencies(
    session: Session, engagement: Engagement, key: str, keys: Sequence[str]
) -> list[Task]:
    """The tasks ``keys`` name, each once; unknown or removed ones and the task itself
    (a cycle) are refused."""
    out: dict[str, Task] = {}
    for given in keys:
        wanted = str(given).strip().lower()
        if not wanted:
            continue
        if wanted == key:
            raise Refused(
                f"task {key!r} cannot depend on itself (a dependency cycle)", field="depends_on"
            )
        task = session.execute(
            select(Task).where(Task.engagement_id == engagement.id, Task.key == wanted)
        ).scalar_one_or_none()
        if task is None or task.removed_at is not None:
            raise BadInput(
                f"unknown task key {given!r} in --depends-on"
                + (" (it was removed)" if task is not None else ""),
                field="depends_on",
            )
        out[task.key] = task
    return list(out.values())


def update(
    session: Session,
    engagement: EngagementRef,
    key: str,
    *,
    status: str | None = None,
    title: str | None = None,
    due: str | date | None = None,
    description: str | None = None,
    owner: str | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> TaskView:
    """Change a task's status (the rules of ``tasks.set_status``) and its fields; None
    leaves a field as it is. ``due``: a date, an offset from the phase's planned start
    (kept as the due rule), or ``none``."""
    engagement = engagement_of(session, engagement)
    task = live_task(session, engagement, key)
    check_version(session, task, expected_version, "task", task.key)
    values: dict[str, Any] = {}
    if title is not None:
        values["title"] = _title(title)
    if owner is not None:
        values["owner_role"] = _owner(owner)
    if description is not None:
        values["description"] = _description(description)
    if due is not None:
        phase = session.get(Phase, task.phase_id)
        values["due_date"], values["due_rule"] = _due(engagement, phase, due)
    if status is None and note is not None:
        with about("note"):
            values["note"] = no_secrets(clean_text(note, "the note"), "the note") or None
    if status is None and not values:
        raise BadInput(
            "nothing to change: give --status, --title, --due, --description, --owner or --note"
        )
    if status is not None:
        set_status(session, engagement, task.key, status, note=note)
    apply_changes(session, task, engagement.id, "task", values)
    return _views(session, engagement, _select(engagement).where(Task.id == task.id), paged=True)[0]


def _started(session: Session, task: Task) -> bool:
    """Whether the task's status ever changed (or is not todo now)."""
    if task.status != "todo":
        return True
    return (
        session.execute(
            select(AuditEvent.id)
            .where(
                AuditEvent.entity == "task",
                AuditEvent.entity_id == task.id,
                AuditEvent.field == "status",
                AuditEvent.action != "create",
            )
            .limit(1)
        ).first()
        is not None
    )


def remove(
    session: Session,
    engagement: EngagementRef,
    key: str,
    *,
    reason: str | None = None,
    expected_version: int | None = None,
) -> TaskDetail:
    """Remove a task, with a reason: an ad-hoc task, or a playbook task never started.
    The row stays (``task show`` says removed); lists, gates and figures leave it out.
    Refused while an open task depends on it."""
    engagement = engagement_of(session, engagement)
    with about("reason"):
        text = clean_text(reason or "", "the reason")
        if not text:
            raise BadInput("a reason is required to remove a task (--reason TEXT)")
        text = no_secrets(text, "the reason") or text
    task = live_task(session, engagement, key)
    check_version(session, task, expected_version, "task", task.key)
    if task.origin != "adhoc" and _started(session, task):
        state = "was started" if task.status == "todo" else f"is {task.status.replace('_', ' ')}"
        raise Refused(
            f"task {task.key!r} comes from the playbook and {state}; only ad-hoc tasks and "
            "playbook tasks never started can be removed (set it to skipped instead)"
        )
    dependent = OTHER
    waiting = (
        session.execute(
            select(dependent.key)
            .join(TaskDependency, TaskDependency.task_id == dependent.id)
            .where(
                TaskDependency.depends_on_id == task.id,
                dependent.status.in_(OPEN),
                dependent.removed_at.is_(None),
            )
            .order_by(dependent.position, dependent.id)
        )
        .scalars()
        .all()
    )
    if waiting:
        raise Refused(
            f"task {task.key!r} cannot be removed while open task(s) depend on it: "
            f"{', '.join(waiting)}"
        )
    apply_changes(
        session,
        task,
        engagement.id,
        "task",
        {"removed_at": utcnow(), "removed_reason": text},
        action="remove",
    )
    return show(session, engagement, task.key)


def note(session: Session, engagement: EngagementRef, key: str, text: str) -> TaskNoteView:
    """Append ``text`` to the task's notes thread, by the acting user, now."""
    engagement = engagement_of(session, engagement)
    with about("text"):
        body = clean_text(text, "the note")
        if not body:
            raise BadInput("the note must not be empty")
        body = no_secrets(body, "the note") or body
    task = live_task(session, engagement, key)
    row = TaskNote(
        engagement_id=engagement.id,
        task_id=task.id,
        at=utcnow(),
        author=audit.actor(session)[: field_limit(TaskNote, "author")],
        text=body,
    )
    session.add(row)
    session.flush()
    audit.record_many(
        session,
        engagement.id,
        [
            audit.Change("task_note", row.id, "create", "task", None, task.key),
            audit.Change("task_note", row.id, "create", "text", None, body),
        ],
    )
    return TaskNoteView.model_validate(row)


def show(session: Session, engagement: EngagementRef, key: str) -> TaskDetail:
    """One task with every field, its dependencies and dependents, its notes thread and
    its history (the task's audit events, oldest first); a removed task too."""
    engagement = engagement_of(session, engagement)
    task = get_task(session, engagement, key)
    view = _views(
        session,
        engagement,
        _select(engagement, TaskDetail, removed=True).where(Task.id == task.id),
        paged=True,
        view=TaskDetail,
    )[0]
    dependent = OTHER
    dependents = (
        session.execute(
            select(dependent.key)
            .join(TaskDependency, TaskDependency.task_id == dependent.id)
            .where(TaskDependency.depends_on_id == task.id, dependent.removed_at.is_(None))
            .order_by(dependent.position, dependent.id)
        )
        .scalars()
        .all()
    )
    notes = [
        TaskNoteView.model_validate(n)
        for n in session.execute(
            select(TaskNote).where(TaskNote.task_id == task.id).order_by(TaskNote.id)
        ).scalars()
    ]
    history = [
        AuditEventView.model_validate(dict(row._mapping))
        for row in session.execute(
            select(AuditEvent.id, AuditEvent.at, *audit.CHANGE_COLUMNS)
            .where(
                AuditEvent.engagement_id == engagement.id,
                AuditEvent.entity == "task",
                AuditEvent.entity_id == task.id,
            )
            .order_by(AuditEvent.id)
        )
    ]
    return view.model_copy(update={"dependents": dependents, "notes": notes, "history": history})
