"""``transition role assign|list``: playbook owner roles resolved to people."""

from __future__ import annotations

import typer

from transition.cli.lazy import lazy
from transition.cli.options import AsJson, Engagement
from transition.cli.output import emit_rows, say, warn
from transition.cli.state import call, change

roles = lazy("transition.services.roles")

app = typer.Typer(help="Playbook roles held by people.", no_args_is_help=True)

COLUMNS = [
    "role",
    (lambda r: r.person or "(nobody)", "person"),
    "side",
    ("open_tasks", "open tasks"),
]


@app.command("assign")
def assign(
    ctx: typer.Context,
    engagement: Engagement,
    role: str = typer.Argument(..., metavar="ROLE", help="A playbook owner role."),
    person: str = typer.Argument(..., metavar="PERSON"),
    remove: bool = typer.Option(False, "--remove", help="Take the role from the person."),
) -> None:
    """Give a person a playbook role (tasks owned by the role and not assigned are
    theirs); ``--remove`` takes it back."""
    if remove:
        result = change(ctx, roles.unassign, engagement, role, person)
        say(f"{result.person} no longer holds the role {result.role}")
        return
    result = change(ctx, roles.assign, engagement, role, person)
    say(f"{result.person} holds the role {result.role}")
    warn(result.warnings)


@app.command("list")
def list_roles(ctx: typer.Context, engagement: Engagement, as_json: AsJson = False) -> None:
    """Roles with the people holding them, and roles tasks are owned by that nobody holds."""
    emit_rows(call(ctx, roles.list_roles, engagement), as_json, COLUMNS, empty="no roles")
