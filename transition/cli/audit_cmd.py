"""``transition audit ENG``: every change, oldest first."""

from __future__ import annotations

import typer

from transition.cli.output import emit_json, say, table
from transition.cli.state import state
from transition.errors import Refused


def register(app: typer.Typer) -> None:
    @app.command("audit")
    def audit_log(
        ctx: typer.Context,
        engagement: str = typer.Argument(..., metavar="ENG"),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        limit: int | None = typer.Option(None, "--limit", min=1, help="Only the newest N events."),
        verify: bool = typer.Option(
            False,
            "--verify",
            help="Check that every event chains to the one before it by hash (exit 1 if not).",
        ),
    ) -> None:
        """The audit log of an engagement: who changed what, when."""
        from transition.services import audit
        from transition.services.common import get_engagement

        with state(ctx).session() as session:
            eng = get_engagement(session, engagement)
            if verify:
                checked, problems = audit.verify(session)
            elif limit:
                rows = list(reversed(audit.events(session, eng.id, limit=limit, newest_first=True)))
            else:
                rows = audit.events(session, eng.id)
        if verify:
            _report(checked, problems, as_json)
            return
        if as_json:
            emit_json(rows)
            return
        table(
            rows,
            [
                ("id", "#"),
                ("at", "when"),
                ("actor", "actor"),
                ("action", "action"),
                ("entity", "entity"),
                ("entity_id", "id"),
                ("field", "field"),
                ("before", "before"),
                ("after", "after"),
            ],
            empty="no audit events",
        )


def _report(checked: int, problems: list[str], as_json: bool) -> None:
    """The chain covers every engagement's events: one edited row breaks it for all."""
    if as_json:
        emit_json({"events": checked, "intact": not problems, "problems": problems})
        if problems:
            raise typer.Exit(1)
        return
    if problems:
        raise Refused(
            f"audit chain broken: {len(problems)} problem(s) in {checked} events",
            details=problems,
        )
    say(f"chain intact: {checked} events")
