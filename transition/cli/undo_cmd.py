"""``transition undo [ENG] [--last N] [--dry-run]``: revert your most recent change(s)."""

from __future__ import annotations

import typer

from transition.cli.options import AsJson, DryRun
from transition.cli.output import emit, say
from transition.cli.state import change


def register(app: typer.Typer) -> None:
    @app.command("undo")
    def undo(
        ctx: typer.Context,
        engagement: str | None = typer.Argument(
            None, metavar="[ENG]", help="Only changes in this engagement (default: any)."
        ),
        last: int = typer.Option(
            1, "--last", metavar="N", help="Undo your N most recent changes, newest first."
        ),
        dry_run: DryRun = False,
        as_json: AsJson = False,
    ) -> None:
        """Revert your most recent change(s) by writing the inverse changes; the audit log
        keeps both. Refused, with nothing undone, when someone changed the same rows since;
        gate decisions, imports and deletions cannot be undone."""
        from transition.services import undo as service

        result = change(ctx, service.undo_last, engagement, last=last, dry_run=dry_run)

        def show(data) -> None:
            say("would undo:" if data.dry_run else "undone:")
            for line in service.describe(data):
                say(f"  {line}")
            if data.dry_run:
                say("nothing written (dry run)")

        emit(result, as_json, show)
