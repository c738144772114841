"""One task in full: its fields, its notes thread and its history, shown literally."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from transition.tui.widgets.pane import day

if TYPE_CHECKING:
    from transition.services.views.tasks import TaskDetail


def _lines(task: TaskDetail) -> list[str]:
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
    out.append(f"Depends on {', '.join(task.depends_on) or '–'}")
    if task.waiting_on:
        out.append(f"Waiting on {', '.join(task.waiting_on)}")
    if task.dependents:
        out.append(f"Needed by {', '.join(task.dependents)}")
    if task.completed_at is not None:
        out.append(f"Closed by {task.completed_by} at {day(task.completed_at)}")
    if task.note:
        out.append(f"Note: {task.note}")
    if task.description:
        out += ["", task.description]
    return out


class TaskDetailScreen(ModalScreen[None]):
    """``task show`` in the TUI: fields, the notes thread and the history."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape,i,enter", "close", "Close", id="task_detail.close")
    ]

    def __init__(self, task: TaskDetail) -> None:
        super().__init__(id="task-detail")
        self.task_detail = task

    def compose(self) -> ComposeResult:
        t = self.task_detail
        with Vertical(classes="dialog"):
            yield Label(f"{t.key} — {t.title}", classes="dialog-title", markup=False)
            with VerticalScroll(classes="fields"):
                yield Static("\n".join(_lines(t)), id="task-fields", markup=False)
                notes = [f"Notes ({len(t.notes)})"] + [
                    f"  {day(n.at)} {n.author}: {n.text}" for n in t.notes
                ]
                yield Static("\n".join(notes), id="task-notes", markup=False)
                history = [f"History ({len(t.history)})"] + [
                    f"  {day(e.at)} {e.actor} {e.action}"
                    + (f" {e.field}: {e.before or '–'} → {e.after or '–'}" if e.field else "")
                    for e in t.history
                ]
                yield Static("\n".join(history), id="task-history", markup=False)
            yield Label("esc to close", classes="hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
