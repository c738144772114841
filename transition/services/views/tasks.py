"""Read models: tasks."""

from __future__ import annotations

from datetime import date

from pydantic import ConfigDict

from transition.services.views.audit import AuditEventView
from transition.services.views.base import Timestamp, View


class TaskView(View):
    id: int
    key: str
    title: str
    status: str
    owner_role: str | None
    due_date: date | None
    note: str | None
    completed_by: str | None
    completed_at: Timestamp | None
    version: int
    phase: str
    assignee: str | None
    #: With nobody assigned: the people holding the task's owner role (``role assign``).
    owners: list[str] = []
    origin: str = "playbook"
    due_rule: str | None = None
    depends_on: list[str] = []
    waiting_on: list[str] = []
    overdue: bool = False
    #: Why the due date is not a working day on the engagement's calendar (``Saturday``,
    #: ``Boxing Day``), or None.
    due_non_working: str | None = None


class TaskFilter(View):
    """What the task list is narrowed to (None / False / empty: no narrowing), and how each
    phase's tasks are ordered."""

    model_config = ConfigDict(frozen=True)

    status: str | None = None
    assignee: str | None = None
    overdue: bool = False
    #: Open tasks only (to do, in progress, blocked), but ``keep`` (task keys) whatever
    #: their status: a task just closed stays in sight, so it can be opened again.
    open_only: bool = False
    keep: tuple[str, ...] = ()
    #: Every word in the key, title, status, due date, assignee or owner role.
    text: str = ""
    #: Within each phase: ``key``, ``due``, ``assignee``, ``title`` or ``status``;
    #: None: the playbook's order.
    sort: str | None = None
    descending: bool = False


class TaskCursor(View):
    """Where the next page of tasks starts: which phase (in display order), which row;
    ``done`` once every phase is read."""

    phase_index: int = 0
    offset: int = 0
    done: bool = False


class PhaseHeader(View):
    """The row opening a phase's tasks in a paged task list."""

    phase: str

    @property
    def key(self) -> str:
        return f"phase:{self.phase}"


class TaskPage(View):
    """A page of the task list: phase headings and tasks, and where the next page starts."""

    rows: list[PhaseHeader | TaskView]
    cursor: TaskCursor
    loaded: int = 0


class TaskNoteView(View):
    """One entry of a task's notes thread: who wrote what, when."""

    id: int
    at: Timestamp
    author: str
    text: str


class TaskDetail(TaskView):
    """``task show``: every field of a task, its notes thread and its history (the audit
    events of the task, oldest first). A removed task says when and why."""

    description: str
    removed_at: Timestamp | None
    removed_reason: str | None
    dependents: list[str] = []
    notes: list[TaskNoteView] = []
    history: list[AuditEventView] = []
