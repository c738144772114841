"""``transition score record|import|list|intervention``: the parallel-run scorecard."""

from __future__ import annotations

from typing import Annotated

import typer

from transition.cli.options import AsJson, Engagement
from transition.cli.output import emit_rows, say
from transition.cli.state import call, change

app = typer.Typer(help="The parallel-run scorecard: KPI values per party and week.")

Period = Annotated[
    str, typer.Option("--period", metavar="YYYY-Www", help="An ISO week, e.g. 2026-W49.")
]


def _number(value: float) -> str:
    return f"{value:g}"


COLUMNS = [
    "kpi",
    "party",
    "period",
    (lambda r: _number(r.value) + r.unit, "value"),
    (lambda r: ("≥ " if r.better == "higher" else "≤ ") + _number(r.target) + r.unit, "target"),
    (lambda r: "yes" if r.met else "no", "met"),
    (lambda r: r.note or "", "note"),
]


@app.command("record")
def record(
    ctx: typer.Context,
    engagement: Engagement,
    kpi: Annotated[str, typer.Argument(metavar="KPI", help="A KPI the playbook declares.")],
    party: Annotated[
        str, typer.Option("--party", metavar="incumbent|provider", help="Whose value it is.")
    ],
    period: Period,
    value: Annotated[str, typer.Option("--value", metavar="X", help="The KPI's value.")],
    note: Annotated[str | None, typer.Option("--note", help="Where the value comes from.")] = None,
) -> None:
    """Record a KPI's value for a party in an ISO week (replaces one recorded before)."""
    from transition.services import scorecard

    result = change(
        ctx, scorecard.record, engagement, kpi, party=party, period=period, value=value, note=note
    )
    met = "met" if result.met else "missed"
    was = f" (was {_number(result.replaced)})" if result.replaced is not None else ""
    say(
        f"{result.kpi} {result.party} {result.period}: {_number(result.value)}{was}, "
        f"target {_number(result.target)} {met}"
    )


@app.command("import")
def import_csv(
    ctx: typer.Context,
    engagement: Engagement,
    path: Annotated[str, typer.Argument(metavar="FILE.csv")],
) -> None:
    """Import values from CSV (kpi,party,period,value,note); all or nothing."""
    from transition.services import scorecard_import

    result = change(ctx, scorecard_import.import_csv, engagement, path)
    say(
        f"imported {result.added + result.replaced} value(s) from {path} ({result.replaced} replaced)"
    )


@app.command("list")
def list_scores(ctx: typer.Context, engagement: Engagement, as_json: AsJson = False) -> None:
    """Every value by KPI, party and week, against the KPI's target."""
    from transition.services import scorecard

    rows = call(ctx, scorecard.list_scores, engagement)
    emit_rows(rows, as_json, COLUMNS, empty="no scores recorded")


@app.command("intervention")
def intervention(
    ctx: typer.Context,
    engagement: Engagement,
    period: Period,
    note: Annotated[str, typer.Option("--note", help="What the incumbent had to do.")],
) -> None:
    """Record that the incumbent had to step in during a week of the parallel run."""
    from transition.services import scorecard

    result = change(ctx, scorecard.intervene, engagement, period=period, note=note)
    say(f"recorded intervention {result.id} in {result.period}")
