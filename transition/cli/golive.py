"""``transition golive decide|show``: the go/no-go decision and its evidence."""

from __future__ import annotations

from typing import Any

import typer

from transition.cli.options import AsJson, Engagement
from transition.cli.output import cell, emit, say
from transition.cli.state import call, change
from transition.errors import BadInput

app = typer.Typer(help="The go/no-go decision.", no_args_is_help=True)


def _service():
    from transition.services import golive

    return golive


@app.command("decide")
def decide(
    ctx: typer.Context,
    engagement: Engagement,
    go: bool = typer.Option(False, "--go", help="Go."),
    no_go: bool = typer.Option(False, "--no-go", help="No-go."),
    by: list[str] = typer.Option(
        [], "--by", metavar="PERSON", help="A signer: once for the client, once for the provider."
    ),
    condition: list[str] = typer.Option(
        [], "--condition", metavar="TEXT", help="A condition of the decision (repeatable)."
    ),
    rollback_trigger: list[str] = typer.Option(
        [], "--rollback-trigger", metavar="TEXT", help="What would roll back (repeatable)."
    ),
) -> None:
    """Record a go or no-go decision signed by one client and one provider person."""
    if go == no_go:
        raise BadInput("give either --go or --no-go", field="go")
    row = change(
        ctx,
        _service().decide,
        engagement,
        go=go,
        by=by,
        conditions=condition,
        rollback_triggers=rollback_trigger,
    )
    say(f"decision #{row.id}: {row.decision}, signed by {row.client} and {row.provider}")


def _decision_lines(row: Any) -> list[str]:
    lines = [
        f"#{row.id} {row.decision.upper()} (phase {row.phase or '-'}) on {cell(row.decided_at)}",
        f"  signed by {row.client} (client) and {row.provider} (provider)",
    ]
    lines += [f"  condition: {c}" for c in row.conditions]
    lines += [f"  rollback trigger: {t}" for t in row.rollback_triggers]
    return lines


def _show(data: Any) -> None:
    if data.latest is None:
        say(f"no go/no-go decision recorded in {data.engagement}")
        return
    for line in _decision_lines(data.latest):
        say(line)
    evidence = data.latest.evidence
    if evidence.phase is not None:
        say(f"  gate of {evidence.phase}: {'met' if evidence.gate_met else 'not met'}")
        for result in evidence.gate:
            say(f"    [{'x' if result.met else ' '}] {result.criterion}: {result.reason}")
    for figure in evidence.figures:
        value = "-" if figure.value is None else f"{figure.value:g}"
        of = f" of {figure.of}" if figure.of is not None else ""
        note = f" ({figure.note})" if figure.note else ""
        say(f"  {figure.label}: {value}{of}{note}")
    if len(data.history) > 1:
        say("earlier:")
        for row in data.history[1:]:
            say(_decision_lines(row)[0])


@app.command("show")
def show(ctx: typer.Context, engagement: Engagement, as_json: AsJson = False) -> None:
    """The latest decision with its evidence, and the earlier ones."""
    emit(call(ctx, _service().show, engagement), as_json, _show)
