"""``transition audit ENG``: every change, oldest first."""

from __future__ import annotations

import typer

from transition.cli.output import emit_json, table
from transition.cli.state import state
from transition.services import audit
from transition.services.common import get_engagement


def register(app: typer.Typer) -> None:
    @app.command("audit")
    def audit_log(
        ctx: typer.Context,
        engagement: str = typer.Argument(..., metavar="ENG"),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        limit: int | None = typer.Option(None, "--limit", min=1, help="Only the newest N events."),
    ) -> None:
        """The audit log of an engagement: who changed what, when."""
        with state(ctx).session() as session:
            eng = get_engagement(session, engagement)
            if limit:
                rows = list(reversed(audit.events(session, eng.id, limit=limit, newest_first=True)))
            else:
                rows = audit.events(session, eng.id)
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
