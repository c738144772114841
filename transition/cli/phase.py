"""``transition phase status|advance``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from transition.cli.lazy import lazy
from transition.cli.options import AsJson, Engagement, Reason
from transition.cli.output import emit, say
from transition.cli.state import call, change

gates = lazy("transition.services.gates")

if TYPE_CHECKING:
    from transition.services.views.phases import GateStatus, MovedPhase, ReplanView

app = typer.Typer(help="Phases and their gates.", no_args_is_help=True)

MARK = {True: "[x]", False: "[ ]"}


@app.command("status")
def status(ctx: typer.Context, engagement: Engagement, as_json: AsJson = False) -> None:
    """Every phase with its gate: each criterion met or not, and why."""
    from transition.services.readiness import keep_score, status_with_score

    data, score = call(ctx, status_with_score, engagement)
    change(ctx, keep_score, data.engagement, score)
    emit(data, as_json, _show)


def _show(data: GateStatus) -> None:
    for phase in data.phases:
        marker = {"active": ">", "done": "✓", "pending": " "}.get(phase.status, " ")
        dates = f"{phase.planned_start} → {phase.planned_end}"
        if phase.slip_days:
            dates += (
                f" (baseline {phase.baseline_start} → {phase.baseline_end}, {phase.slip_days:+d}d)"
            )
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
    if result.replanned:
        first = result.replanned[0]
        days = (first.new_start - first.old_start).days
        when = f"{abs(days)} day(s) {'later' if days > 0 else 'earlier'}" if days else "as planned"
        keys = ", ".join(p.key for p in result.replanned)
        say(
            f"replanned from {first.new_start} ({when}): {keys}; "
            f"{result.tasks_moved} open task(s) moved"
        )


def _moved(phases: list[MovedPhase], tasks_moved: int) -> None:
    for moved in phases:
        say(
            f"{moved.key}: {moved.old_start} → {moved.old_end} now "
            f"{moved.new_start} → {moved.new_end}, {moved.tasks_moved} task(s) moved"
        )
    say(f"{len(phases)} phase(s) and {tasks_moved} open task(s) moved")


@app.command("replan")
def replan(
    ctx: typer.Context,
    engagement: Engagement,
    phase: str = typer.Option(..., "--phase", metavar="KEY", help="A phase not yet started."),
    start: str = typer.Option(..., "--start", metavar="DATE", help="Its new start (ISO date)."),
    reason: Reason = None,
    expected_version: int | None = typer.Option(
        None,
        "--expected-version",
        metavar="N",
        help="Refuse if someone changed the phase since you read version N.",
    ),
    as_json: AsJson = False,
) -> None:
    """Move a phase not yet started, and every phase after it, to a new start; open tasks
    follow their phase. The reason is kept in the audit log."""
    from transition.services import plan

    result = change(
        ctx,
        plan.replan,
        engagement,
        phase,
        start,
        reason,
        expected_version=expected_version,
    )
    emit(result, as_json, _show_replan)


def _show_replan(data: ReplanView) -> None:
    if not data.phases:
        say("nothing moved: the phases already start on those dates")
        return
    _moved(data.phases, data.tasks_moved)
    if data.grants_moved:
        say(f"{data.grants_moved} access expiry date(s) re-resolved")
