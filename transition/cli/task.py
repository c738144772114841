"""``transition task list|done|set|assign``."""

from __future__ import annotations

from typing import Annotated

import typer

from transition.cli.options import AsJson, Engagement, Note
from transition.cli.output import emit_rows, say
from transition.cli.state import call, change
from transition.services import tasks

app = typer.Typer(help="The engagement's tasks.", no_args_is_help=True)

#: The task a command works on, by key.
TaskKey = Annotated[str, typer.Argument(metavar="TASK_KEY")]

COLUMNS = [
    ("key", "task"),
    "phase",
    (lambda t: f"{t.status} (late)" if t.overdue else t.status, "status"),
    (lambda t: f"{t.due_date} !" if t.due_non_working else t.due_date, "due"),
    "assignee",
    ("owner_role", "owner"),
    ("waiting_on", "waiting on"),
    "title",
]


@app.command("list")
def list_tasks(
    ctx: typer.Context,
    engagement: Engagement,
    phase: str | None = typer.Option(None, "--phase", metavar="KEY", help="Only this phase."),
    status: str | None = typer.Option(None, "--status", metavar="S", help="Only this status."),
    overdue: bool = typer.Option(False, "--overdue", help="Only open tasks past their due date."),
    assignee: str | None = typer.Option(
        None, "--assignee", metavar="PERSON", help="Only this person's."
    ),
    as_json: AsJson = False,
) -> None:
    """Tasks in phase order, with filters."""
    rows = call(
        ctx,
        tasks.list_tasks,
        engagement,
        phase=phase,
        status=status,
        overdue=overdue,
        assignee=assignee,
    )
    emit_rows(rows, as_json, COLUMNS, empty="no tasks match")
    if not as_json:
        _non_working_footnote(rows)


def _non_working_footnote(rows: list) -> None:
    """``!`` marks a due date that is not a working day: one line per such date, why."""
    flagged = {t.due_date: t.due_non_working for t in rows if t.due_non_working}
    for day, why in sorted(flagged.items()):
        say(f"! {day} is not a working day: {why}")


@app.command("done")
def done(
    ctx: typer.Context,
    engagement: Engagement,
    key: TaskKey,
    note: Note = None,
) -> None:
    """Mark a task done (refused while a task it depends on is open)."""
    _set(ctx, engagement, key, "done", note)


@app.command("set")
def set_status(
    ctx: typer.Context,
    engagement: Engagement,
    key: TaskKey,
    status: str = typer.Option(..., "--status", metavar="todo|in_progress|blocked|done|skipped"),
    note: Note = None,
) -> None:
    """Set a task's status."""
    _set(ctx, engagement, key, status, note)


def _set(ctx: typer.Context, engagement: str, key: str, status: str, note: str | None) -> None:
    task = change(ctx, tasks.set_status, engagement, key, status, note=note)
    say(f"task {task.key}: {task.status}")


@app.command("assign")
def assign(
    ctx: typer.Context,
    engagement: Engagement,
    key: TaskKey,
    person: str = typer.Argument(..., metavar="PERSON"),
) -> None:
    """Assign a task to a person of the engagement."""
    if not person.strip():
        from transition.errors import BadInput

        raise BadInput("empty PERSON: name a person of the engagement")
    task = change(ctx, tasks.assign, engagement, key, person)
    say(f"task {task.key} assigned to {task.assignee}")
