"""``transition exercise add|list|finding``: tabletop exercises and their findings."""

from __future__ import annotations

import typer

from transition.cli.options import AsJson, Engagement
from transition.cli.output import emit_rows, say
from transition.cli.state import call, change

app = typer.Typer(help="Tabletop exercises and their findings.", no_args_is_help=True)

COLUMNS = [
    "id",
    ("held_on", "on"),
    "key",
    "scenario",
    "held",
    "participants",
    "findings",
]


def _service():
    from transition.services import exercises

    return exercises


@app.command("add")
def add(
    ctx: typer.Context,
    engagement: Engagement,
    scenario: str = typer.Option(
        ...,
        "--scenario",
        metavar="KEY_OR_TEXT",
        help="vendor-security-incident, key-person-departure, regulatory-audit, or words.",
    ),
    on: str = typer.Option(..., "--on", metavar="DATE", help="The day it is held."),
    participant: list[str] = typer.Option(
        [], "--participant", metavar="P", help="Who takes part (repeat for several)."
    ),
) -> None:
    """Record a tabletop exercise of a scenario on a day."""
    row = change(
        ctx, _service().add, engagement, scenario=scenario, on=on, participants=participant
    )
    say(f"exercise #{row.id}: {row.scenario} ({row.key}) on {row.held_on.isoformat()}")


@app.command("list")
def list_exercises(ctx: typer.Context, engagement: Engagement, as_json: AsJson = False) -> None:
    """The engagement's exercises, with participants and the tasks of their findings."""
    rows = call(ctx, _service().list_exercises, engagement)
    emit_rows(rows, as_json, COLUMNS, empty="no exercises")


@app.command("finding")
def finding(
    ctx: typer.Context,
    engagement: Engagement,
    exercise_id: str = typer.Argument(..., metavar="ID", help="As `exercise list` shows it."),
    title: str = typer.Option(..., "--title", metavar="T"),
    owner: str = typer.Option(
        "", "--owner", metavar="ROLE_OR_PERSON", help="A person (assigned) or an owner role."
    ),
    due: str | None = typer.Option(None, "--due", metavar="DATE", help="Date or +Nd."),
) -> None:
    """Turn a finding of an exercise into a task of the phase in progress."""
    row = change(
        ctx, _service().add_finding, engagement, exercise_id, title=title, owner=owner, due=due
    )
    say(f"task {row.task.key} ({row.task.phase}) follows up a finding of {row.scenario}")
