"""``transition task show``: one task for people to read: its fields, its notes thread and
its history."""

from __future__ import annotations

from transition.cli.output import cell, say
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
        lines = n.text.splitlines() or [""]
        say(f"  {cell(n.at)} {n.author}: {lines[0]}")
        for line in lines[1:]:
            say(f"    {line}")
    say("")
    say(f"history ({len(task.history)})")
    for e in task.history:
        what = e.field or ""
        if e.field:
            what += f": {cell(e.before)} → {cell(e.after)}"
        say(f"  {cell(e.at)} {e.actor} {e.action} {what}".rstrip())


def _waiting(task: TaskDetail) -> str:
    return f" (waiting on {cell(task.waiting_on)})" if task.waiting_on else ""
