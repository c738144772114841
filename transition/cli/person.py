"""``transition person add|set|remove|list``."""

from __future__ import annotations

import typer

from transition.cli.options import AsJson, Engagement, TimeZone, given
from transition.cli.output import emit_rows, say, warn
from transition.cli.state import call, change
from transition.services import people

app = typer.Typer(help="People on the engagement.", no_args_is_help=True)

COLUMNS = [
    ("slug", "person"),
    "side",
    "role",
    "email",
    ("release_date", "release"),
    ("timezone", "zone"),
]


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


@app.command("set")
def set_(
    ctx: typer.Context,
    engagement: Engagement,
    name: str = typer.Argument(..., metavar="NAME"),
    new_name: str | None = typer.Option(None, "--name", help="A new name (a new slug)."),
    role: str | None = typer.Option(None, "--role", metavar="R", help="Empty clears it."),
    email: str | None = typer.Option(None, "--email", metavar="E", help="Empty clears it."),
    side: str | None = typer.Option(None, "--side", metavar="client|incumbent|provider"),
    release: str | None = typer.Option(
        None, "--release", metavar="DATE|none", help="When they leave (none clears it)."
    ),
    timezone: TimeZone = None,
) -> None:
    """Change a person's details; prints what changed."""
    from transition.cli.engagement import said_changes

    result = change(
        ctx,
        people.update,
        engagement,
        name,
        **given(
            new_name=new_name,
            role=role,
            email=email,
            side=side,
            release_date=release,
            timezone=timezone,
        ),
    )
    said_changes(f"person {result.person.slug}", result.changes)
    warn(result.warnings)


@app.command("remove")
def remove(
    ctx: typer.Context, engagement: Engagement, name: str = typer.Argument(..., metavar="NAME")
) -> None:
    """Take a person off the engagement (history kept; adding the name again brings them
    back). Refused while they hold active grants or planned KT sessions."""
    result = change(ctx, people.remove, engagement, name)
    say(f"removed person {result.person.slug}")


@app.command("list")
def list_people(ctx: typer.Context, engagement: Engagement, as_json: AsJson = False) -> None:
    """People with side, role and release date."""
    emit_rows(call(ctx, people.list_people, engagement), as_json, COLUMNS, empty="no people yet")
