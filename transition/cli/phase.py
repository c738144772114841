"""``transition phase status|advance``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from transition.cli.options import AsJson, Engagement
from transition.cli.output import emit, say
from transition.cli.state import call, change
from transition.services import gates

if TYPE_CHECKING:
    from transition.services.views.phases import GateStatus

app = typer.Typer(help="Phases and their gates.", no_args_is_help=True)

MARK = {True: "[x]", False: "[ ]"}


@app.command("status")
def status(ctx: typer.Context, engagement: Engagement, as_json: AsJson = False) -> None:
    """Every phase with its gate: each criterion met or not, and why."""
    emit(call(ctx, gates.status, engagement), as_json, _show)


def _show(data: GateStatus) -> None:
    for phase in data.phases:
        marker = {"active": ">", "done": "✓", "pending": " "}.get(phase.status, " ")
        dates = f"{phase.planned_start} → {phase.planned_end}"
        say(
            f"{marker} {phase.key}: {phase.title} [{phase.status}] {dates}  "
            f"tasks {phase.tasks_total - phase.tasks_open}/{phase.tasks_total}"
        )
        if phase.gate_decision:
            extra = f": {phase.gate_reason}" if phase.gate_reason else ""
            say(f"    gate {phase.gate_decision} by {phase.gate_decided_by}{extra}")
        for result in phase.gate:
            say(f"    {MARK[result.met]} {result.criterion}: {result.reason}")
    for risk in data.key_person_risks:
        say(f"! key-person risk: {risk.line()}")


@app.command("advance")
def advance(
    ctx: typer.Context,
    engagement: Engagement,
    override: str | None = typer.Option(
        None,
        "--override",
        metavar="REASON",
        help="Pass an unmet gate; the reason goes in the audit log.",
    ),
) -> None:
    """Leave the current phase through its gate (exit 1 listing unmet criteria)."""
    result = change(ctx, gates.advance, engagement, override=override)
    target = result.entered or "completion"
    if result.decision == "overridden":
        say(f"advanced {result.left} → {target} (gate overridden: {result.reason})")
    else:
        say(f"advanced {result.left} → {target} (gate passed)")
