"""A task's fields as its inspector lists them (``screens.inspector.TaskInspector``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from transition.tui.widgets.pane import day

if TYPE_CHECKING:
    from transition.services.views.tasks import TaskDetail


def task_lines(task: TaskDetail) -> list[str]:
    origin = "ad hoc" if task.origin == "adhoc" else "from the playbook"
    state = "removed" if task.removed_at is not None else task.status.replace("_", " ")
    out = [f"Phase {task.phase} · {origin} · {state}"]
    if task.removed_at is not None:
        out.append(f"Removed {day(task.removed_at)}: {task.removed_reason}")
    due = day(task.due_date) + (
        f" ({task.due_rule} from the phase's start)" if task.due_rule else ""
    )
    out.append(f"Due {due}" + (" — overdue" if task.overdue else ""))
    out.append(f"Owner {task.owner_role or '–'} · assignee {task.assignee or '–'}")
    if task.waiting_on:
        out.append(f"Waiting on {', '.join(task.waiting_on)}")
    if task.completed_at is not None:
        out.append(f"Closed by {task.completed_by} at {day(task.completed_at)}")
    if task.note:
        out.append(f"Note: {task.note}")
    if task.description:
        out += ["", task.description]
    return out
