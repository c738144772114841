"""Read models: tasks."""

from __future__ import annotations

from datetime import date

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
    depends_on: list[str] = []
    waiting_on: list[str] = []
    overdue: bool = False
