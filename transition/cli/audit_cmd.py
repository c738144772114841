"""``transition audit ENG``: every change, oldest first; ``audit [ENG] --verify`` checks it."""

from __future__ import annotations

import typer

from transition.cli.output import emit_json, say, table
from transition.cli.state import state
from transition.errors import BadInput, Refused


def register(app: typer.Typer) -> None:
    @app.command("audit")
    def audit_log(
        ctx: typer.Context,
        engagement: str | None = typer.Argument(None, metavar="[ENG]"),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        limit: int | None = typer.Option(None, "--limit", min=1, help="Only the newest N events."),
        verify: bool = typer.Option(
            False,
            "--verify",
            help=(
                "Check the engagement's log (or, without ENG, the whole database's): every "
                "event's hash and link, imported segments, and that the grants, tasks, phases "
                "and KT sessions are the state the log replays to (exit 1 if not)."
            ),
        ),
    ) -> None:
        """The audit log of an engagement: who changed what, when."""
        from transition.services import audit
        from transition.services.common import get_engagement

        if engagement is None and not verify:
            raise BadInput("name an engagement (or use --verify alone to check every one)")
        with state(ctx).session() as session:
            eng = get_engagement(session, engagement) if engagement is not None else None
            if verify:
                checked, problems = audit.verify(session, eng.id if eng else None)
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
        for row in rows:  # events brought in by `transition import` are marked as such
            row["who"] = f"{row['actor']} (imported)" if row.get("imported") else row["actor"]
        table(
            rows,
            [
                ("id", "#"),
                ("at", "when"),
                ("who", "actor"),
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
