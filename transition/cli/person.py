"""``transition person add|list``."""

from __future__ import annotations

import typer

from transition.cli.options import AsJson, Engagement
from transition.cli.output import emit_rows, say
from transition.cli.state import call, change
from transition.services import people

app = typer.Typer(help="People on the engagement.", no_args_is_help=True)

COLUMNS = [("slug", "person"), "side", "role", "email", ("release_date", "release")]


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
    person = change(
        ctx, people.add, engagement, name, side=side, email=email, role=role, release_date=release
    )
    say(f"added {person.side} person {person.slug}")


@app.command("list")
def list_people(ctx: typer.Context, engagement: Engagement, as_json: AsJson = False) -> None:
    """People with side, role and release date."""
    emit_rows(call(ctx, people.list_people, engagement), as_json, COLUMNS, empty="no people yet")
