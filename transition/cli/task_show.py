"""``transition task show``: one task for people to read: its fields, its notes thread and
its history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from transition.cli.output import cell, say

if TYPE_CHECKING:
    from transition.services.views.tasks import TaskDetail


def show_task(task: TaskDetail) -> None:
    origin = "ad hoc" if task.origin == "adhoc" else "from the playbook"
    state = "REMOVED" if task.removed_at is not None else task.status.replace("_", " ")
    say(f"task {task.key} — {task.title}")
    say(f"  phase {task.phase} · {origin} · {state}")
    if task.removed_at is not None:
        say(f"  removed {cell(task.removed_at)}: {task.removed_reason}")
    due = cell(task.due_date) + (
        f" ({task.due_rule} from the phase's start)" if task.due_rule else ""
    )
    if task.overdue:
        due += " (overdue)"
    say(f"  due {due}")
    say(f"  owner {task.owner_role or '-'} · assignee {task.assignee or '-'}")
    say(f"  depends on {cell(task.depends_on)}" + _waiting(task))
    if task.dependents:
        say(f"  needed by {cell(task.dependents)}")
    if task.completed_at is not None:
        say(f"  closed by {task.completed_by} at {cell(task.completed_at)}")
    if task.note:
        say(f"  note: {cell(task.note)}")
    if task.description:
        say("")
        for line in task.description.splitlines():
            say(f"  {line}")
    say("")
    say(f"notes ({len(task.notes)})")
    for n in task.notes:
        say(f"  {n.author}, {cell(n.at)}")
        for line in n.text.splitlines():
            say(f"    {line}")
    changes = _changes(task)
    say("")
    say(f"history ({len(changes)} change{'s' if len(changes) != 1 else ''})")
    for line in changes:
        say(f"  {line}")


def _changes(task: TaskDetail) -> list[str]:
    """One line per change (the events one command wrote about the task): the action, each
    field as it changed, then who and when."""
    groups: list[tuple[tuple, list]] = []
    for e in task.history:
        head = (e.at, e.actor, e.action)
        if not groups or groups[-1][0] != head:
            groups.append((head, []))
        groups[-1][1].append(e)
    out = []
    for (at, actor, action), events in groups:
        fields = "; ".join(_field(e) for e in events if e.field)
        out.append(f"{action}{': ' + fields if fields else ''} — {actor}, {cell(at)}")
    return out


def _field(event) -> str:
    after = _short(event.after)
    if event.action == "create" and event.before is None:
        return f"{event.field} {after}"
    return f"{event.field} {_short(event.before)} → {after}"


def _short(value: str | None, width: int = 60) -> str:
    if value is None or value == "":
        return "-"
    text = " ".join(value.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _waiting(task: TaskDetail) -> str:
    return f" (waiting on {cell(task.waiting_on)})" if task.waiting_on else ""
