"""``transition person add|list``."""

from __future__ import annotations

import typer

from transition.cli.options import AsJson, Engagement
from transition.cli.output import emit_json, say, table
from transition.cli.state import state
from transition.services import people

NAME = "person"
app = typer.Typer(help="People on the engagement.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    engagement: Engagement,
    name: str = typer.Argument(..., metavar="NAME"),
    side: str = typer.Option(..., "--side", metavar="client|incumbent|provider"),
    email: str | None = typer.Option(None, "--email", metavar="E"),
    role: str | None = typer.Option(None, "--role", metavar="R"),
    release: str | None = typer.Option(
        None, "--release", metavar="DATE", help="When this person leaves the engagement."
    ),
) -> None:
    """Add a person (client, incumbent or provider side)."""
    with state(ctx).session(write=True) as session:
        person = people.add(
            session, engagement, name, side=side, email=email, role=role, release_date=release
        )
    say(f"added {person.side} person {person.slug}")


@app.command("list")
def list_people(ctx: typer.Context, engagement: Engagement, as_json: AsJson = False) -> None:
    """People with side, role and release date."""
    with state(ctx).session() as session:
        rows = people.list_people(session, engagement)
    if as_json:
        emit_json(rows)
        return
    table(
        rows,
        [
            ("slug", "person"),
            ("side", "side"),
            ("role", "role"),
            ("email", "email"),
            ("release_date", "release"),
        ],
        empty="no people yet",
    )
