"""``transition engagement readiness``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from transition.cli.options import AsJson, Engagement
from transition.cli.output import emit, say, table
from transition.cli.state import change

if TYPE_CHECKING:
    from transition.services.views.readiness import Readiness


def readiness(ctx: typer.Context, engagement: Engagement, as_json: AsJson = False) -> None:
    """The readiness score (0–100): every part with its weight, per-system scores, and
    what would raise it most. Keeps today's figure for the trend."""
    from transition.services import readiness as service

    emit(change(ctx, service.readiness, engagement, keep=True), as_json, _show)


def _part_value(part) -> str:
    return "n/a" if part.value is None else str(part.value)


def _show(data: Readiness) -> None:
    say(f"{data.engagement}: readiness {data.score}/100 on {data.day}")
    say("")
    table(
        data.parts,
        [
            ("title", "part"),
            ("weight", "weight"),
            (lambda p: f"{p.share:g}" if p.applies else "drops out", "share"),
            (_part_value, "value"),
            ("counts", "counts"),
        ],
    )
    if data.systems:
        say("")
        table(
            data.systems,
            [
                ("system", "system"),
                ("tier", "tier"),
                ("score", "score"),
                (lambda s: "n/a" if s.kt is None else s.kt, "kt"),
                (lambda s: "n/a" if s.runbooks is None else s.runbooks, "runbooks"),
                ("access", "access"),
            ],
        )
    if data.raise_most:
        say("")
        say("What would raise it most:")
        for step in data.raise_most:
            say(f"  {step.title} (+{step.gain:g})")
            for item in step.items:
                say(f"    - {item.action} (+{item.gain:g})")
    if len(data.trend) > 1:
        say("")
        say("trend: " + ", ".join(f"{p.day} {p.score}" for p in data.trend))
