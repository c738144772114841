"""``transition task list|show|add|set|done|assign|note|remove``."""

from __future__ import annotations

from typing import Annotated

import typer

from transition.cli.lazy import lazy
from transition.cli.options import AsJson, Engagement, Note, Reason, given
from transition.cli.output import emit, emit_json_rows, emit_rows, say, table_values
from transition.cli.state import call, change, state

tasks = lazy("transition.services.tasks")

app = typer.Typer(help="The engagement's tasks.", no_args_is_help=True)

#: The task a command works on, by key.
TaskKey = Annotated[str, typer.Argument(metavar="TASK_KEY")]

#: ``--due DATE|+Nd|+Nbd``: a due date, or an offset from the phase's planned start.
Due = Annotated[
    str | None,
    typer.Option(
        "--due",
        metavar="DATE|+Nd|+Nbd",
        help="An ISO date, or days (+5d) or working days (+3bd) from the phase's start "
        "(none: no due date).",
    ),
]

COLUMNS = [
    ("key", "task"),
    "phase",
    (lambda t: f"{t.status} (late)" if t.overdue else t.status, "status"),
    (lambda t: f"{t.due_date} !" if t.due_non_working else t.due_date, "due"),
    (lambda t: t.assignee or (f"({', '.join(t.owners)})" if t.owners else None), "assignee"),
    ("owner_role", "owner"),
    ("waiting_on", "waiting on"),
    (lambda t: f"(ad hoc) {t.title}" if t.origin == "adhoc" else t.title, "title"),
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
    mine: bool = typer.Option(
        False,
        "--mine",
        help="Only the acting user's (--actor / TRANSITION_ACTOR matched to a person's name "
        "or email): assigned to them, or owned by a role they hold with nobody assigned.",
    ),
    as_json: AsJson = False,
) -> None:
    """Tasks in phase order, with filters; an unassigned task owned by a role shows the
    role's people in brackets."""
    if not mine:
        with state(ctx).session() as session:
            rows = tasks.task_records(
                session, engagement, phase=phase, status=status, overdue=overdue, assignee=assignee
            )
            if as_json:
                emit_json_rows(rows)
            else:
                _print_records(list(rows))
        return
    found = call(
        ctx,
        tasks.list_tasks,
        engagement,
        phase=phase,
        status=status,
        overdue=overdue,
        assignee=assignee,
        mine=mine,
    )
    emit_rows(found, as_json, COLUMNS, empty="no tasks match")
    if not as_json:
        _non_working_footnote({t.due_date: t.due_non_working for t in found if t.due_non_working})


def _print_records(rows: list[dict]) -> None:
    """The table ``COLUMNS`` prints of the read models, from their plain rows."""
    table_values(
        [
            (
                r["key"],
                r["phase"],
                f"{r['status']} (late)" if r["overdue"] else r["status"],
                f"{r['due_date']} !" if r["due_non_working"] else r["due_date"],
                r["assignee"] or (f"({', '.join(r['owners'])})" if r["owners"] else None),
                r["owner_role"],
                ", ".join(r["waiting_on"]) or "-",
                f"(ad hoc) {r['title']}" if r["origin"] == "adhoc" else r["title"],
            )
            for r in rows
        ],
        _HEADERS,
        empty="no tasks match",
    )
    _non_working_footnote(
        {r["due_date"]: r["due_non_working"] for r in rows if r["due_non_working"]}
    )


_HEADERS = [column if isinstance(column, str) else column[1] for column in COLUMNS]


def _non_working_footnote(flagged: dict) -> None:
    """``!`` marks a due date that is not a working day: one line per such date, why."""
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
def set_task(
    ctx: typer.Context,
    engagement: Engagement,
    key: TaskKey,
    status: str | None = typer.Option(
        None, "--status", metavar="todo|in_progress|blocked|done|skipped"
    ),
    title: str | None = typer.Option(None, "--title", metavar="TEXT", help="A new title."),
    due: Due = None,
    description: str | None = typer.Option(
        None, "--description", metavar="TEXT", help="A new description."
    ),
    owner: str | None = typer.Option(None, "--owner", metavar="ROLE", help="The owning role."),
    note: Note = None,
) -> None:
    """Set a task's status and fields."""
    from transition.services import task_edit

    fields = given(title=title, due=due, description=description, owner=owner)
    if not fields:
        if status is not None:
            _set(ctx, engagement, key, status, note)
            return
        if note is None:
            from transition.errors import BadInput

            raise BadInput(
                "nothing to change: give --status, --title, --due, --description, --owner or --note"
            )
    task = change(ctx, task_edit.update, engagement, key, status=status, note=note, **fields)
    shown = [task.status] if status is not None else []
    if title is not None:
        shown.append(f"title {task.title!r}")
    if due is not None:
        shown.append(f"due {_due(task)}")
    if description is not None:
        shown.append("description set")
    if owner is not None:
        shown.append(f"owner {task.owner_role or '–'}")
    if note is not None and status is None:
        shown.append("note set")
    say(f"task {task.key}: {'; '.join(shown)}")


def _due(task) -> str:
    if task.due_date is None:
        return "none"
    return f"{task.due_date}" + (f" ({task.due_rule})" if getattr(task, "due_rule", None) else "")


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


@app.command("add")
def add(
    ctx: typer.Context,
    engagement: Engagement,
    phase: str = typer.Option(..., "--phase", metavar="KEY", help="The phase it belongs to."),
    key: str = typer.Option(..., "--key", metavar="K", help="Its key (unique)."),
    title: str = typer.Option(..., "--title", metavar="T", help="What is to be done."),
    due: Due = None,
    owner: str | None = typer.Option(None, "--owner", metavar="ROLE", help="The owning role."),
    depends_on: list[str] | None = typer.Option(
        None, "--depends-on", metavar="KEY", help="A task it waits for (repeatable)."
    ),
    description: str | None = typer.Option(None, "--description", metavar="TEXT"),
) -> None:
    """Add an ad-hoc task (work not in the playbook) to a phase."""
    from transition.services import task_edit

    task = change(
        ctx,
        task_edit.add,
        engagement,
        phase=phase,
        key=key,
        title=title,
        depends_on=depends_on or [],
        **given(due=due, owner=owner, description=description),
    )
    waits = f", after {', '.join(task.depends_on)}" if task.depends_on else ""
    say(f"task {task.key} added to {task.phase} (ad hoc), due {_due(task)}{waits}")


@app.command("remove")
def remove(ctx: typer.Context, engagement: Engagement, key: TaskKey, reason: Reason = None) -> None:
    """Remove an ad-hoc task, or a playbook task never started (kept, marked removed)."""
    from transition.services import task_edit

    task = change(ctx, task_edit.remove, engagement, key, reason=reason)
    say(f"task {task.key} removed: {task.removed_reason}")


@app.command("note")
def note(
    ctx: typer.Context,
    engagement: Engagement,
    key: TaskKey,
    text: str = typer.Argument(..., metavar="TEXT"),
) -> None:
    """Append a note to the task's notes thread."""
    from transition.services import task_edit

    added = change(ctx, task_edit.note, engagement, key, text)
    say(f"note added to task {key.strip().lower()} by {added.author}")


@app.command("show")
def show(ctx: typer.Context, engagement: Engagement, key: TaskKey, as_json: AsJson = False) -> None:
    """A task with every field, its notes thread and its history."""
    from transition.cli.task_show import show_task
    from transition.services import task_edit

    detail = call(ctx, task_edit.show, engagement, key)
    emit(detail, as_json, show_task)
