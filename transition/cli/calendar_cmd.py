"""``transition calendar ENG [-o FILE.ics] [--include kt,meetings,…]``."""

from __future__ import annotations

import typer

from transition.cli.options import Engagement, Output


def register(app: typer.Typer) -> None:
    @app.command("calendar")
    def calendar(
        ctx: typer.Context,
        engagement: Engagement,
        output: Output = None,
        include: list[str] = typer.Option(
            [],
            "--include",
            metavar="KINDS",
            help="What to include, separated by commas: kt, meetings, milestones, tasks, "
            "expiries, releases (default: all).",
        ),
    ) -> None:
        """Everything with a date as one iCalendar file (re-importing updates entries)."""
        from transition.cli.output import emit_document
        from transition.cli.state import call
        from transition.services import calendar as cal

        data = call(ctx, cal.ics, engagement, include or None)
        emit_document(data.decode("utf-8"), output)
