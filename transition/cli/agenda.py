"""``transition agenda [--me|--person NAME] [--days N] [--json]``: what a person must do."""

from __future__ import annotations

import typer

from transition.cli.options import AsJson
from transition.cli.output import emit, say
from transition.cli.state import call

app = typer.Typer(
    help="What a person must do, across engagements.",
    no_args_is_help=False,
    subcommand_metavar="",
)


@app.callback(invoke_without_command=True)
def agenda(
    ctx: typer.Context,
    me: bool = typer.Option(
        False,
        "--me",
        help="The acting user (--actor / TRANSITION_ACTOR matched to a person's name or "
        "email); the default.",
    ),
    person: str | None = typer.Option(
        None, "--person", metavar="NAME", help="A person, by name or email."
    ),
    days: int = typer.Option(14, "--days", metavar="N", help="How many days ahead to look."),
    as_json: AsJson = False,
) -> None:
    """Tasks due (assigned, or owned by a role held), KT sessions to present or attend,
    sign-offs waiting, expiring grants approved, releases to run: late ones first."""
    from transition.services import agenda as service

    result = call(ctx, service.agenda, person=person, me=me, days=days)
    emit(result, as_json, _show)


def _show(result) -> None:
    from transition.cli.output import table

    say(f"agenda of {result.person} until {result.until} ({', '.join(result.engagements)})")
    table(
        result.items,
        [
            (lambda i: f"{i.due} late" if i.overdue else i.due, "due"),
            "engagement",
            "kind",
            "ref",
            "via",
            "title",
        ],
        empty="nothing due",
    )
