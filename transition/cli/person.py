"""``transition person add|set|remove|list``."""

from __future__ import annotations

import typer

from transition.cli.lazy import lazy
from transition.cli.options import AsJson, Engagement, TimeZone, given
from transition.cli.output import emit_rows, say, warn
from transition.cli.state import call, change

people = lazy("transition.services.people")

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


READINESS_COLUMNS = [
    ("person", "person"),
    ("release_date", "release"),
    ("days_left", "days"),
    ("summary", "readiness"),
]


def _show_readiness(rows, detail: bool = False) -> None:
    """The table; with ``detail`` (one person asked for), what they hold, a line each."""
    from transition.cli.output import table

    table(rows, READINESS_COLUMNS, empty="no incumbent with a release date")
    if detail:
        for row in rows:
            for line in row.unmet():
                say(f"  {line}")


@app.command("readiness")
def readiness(
    ctx: typer.Context,
    engagement: Engagement,
    person: str | None = typer.Argument(None, metavar="[PERSON]"),
    as_json: AsJson = False,
) -> None:
    """Whether each incumbent with a release date can leave: topics not signed off,
    runbooks not accepted, grants still held."""
    from transition.cli.output import emit
    from transition.services import release

    rows = call(ctx, release.readiness, engagement, person)
    emit(rows, as_json, lambda shown: _show_readiness(shown, detail=person is not None))


@app.command("release")
def release_(
    ctx: typer.Context,
    engagement: Engagement,
    name: str = typer.Argument(..., metavar="NAME"),
    on: str | None = typer.Option(None, "--on", metavar="DATE", help="Default: today."),
    override: str | None = typer.Option(
        None, "--override", metavar="REASON", help="Release although readiness is unmet."
    ),
) -> None:
    """Release a person: revoke every grant they hold and record the release. Refused
    while readiness is unmet, unless overridden with a reason."""
    from transition.services import release

    result = change(ctx, release.release, engagement, name, on=on, override=override)
    done = f"released {result.person} on {result.released_on}"
    if result.revoked:
        done += f"; revoked grant(s) {', '.join(map(str, result.revoked))}"
    if result.handover.get("resolved"):
        done += f"; {result.handover['resolved']} exit-checklist item(s) resolved"
    if result.roles:
        done += f"; role(s) ended: {', '.join(result.roles)}"
    say(done)
    if result.override:
        warn([f"released with {len(result.unmet)} unmet: {result.override}"])
    warn(result.warnings)


@app.command("move")
def move(
    ctx: typer.Context,
    engagement: Engagement,
    name: str = typer.Argument(..., metavar="NAME"),
    to: str = typer.Option(..., "--to", metavar="provider"),
    role: str | None = typer.Option(None, "--role", metavar="ROLE"),
    keep_access: bool = typer.Option(
        False, "--keep-access", help="Keep their grants, re-justified (the default)."
    ),
    revoke_access: bool = typer.Option(False, "--revoke-access", help="Revoke their grants."),
) -> None:
    """Re-badge an incumbent person to the provider side, keeping their history."""
    from transition.errors import BadInput
    from transition.services import release

    if keep_access and revoke_access:
        raise BadInput("give either --keep-access or --revoke-access, not both", field="access")
    result = change(
        ctx, release.move, engagement, name, to=to, role=role, keep_access=not revoke_access
    )
    done = f"moved {result.person} from {result.moved_from} to {result.side}"
    if result.kept:
        done += f"; kept grant(s) {', '.join(map(str, result.kept))}"
    if result.revoked:
        done += f"; revoked grant(s) {', '.join(map(str, result.revoked))}"
    if result.roles:
        done += f"; role(s) ended: {', '.join(result.roles)}"
    say(done)
