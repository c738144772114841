"""``transition audit ENG``: every change, oldest first; ``audit [ENG] --verify`` checks it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from transition.cli.options import AsJson
from transition.cli.output import emit_json, emit_rows, say
from transition.cli.state import state
from transition.errors import BadInput, Refused

if TYPE_CHECKING:
    from transition.services.views.audit import AuditVerification

COLUMNS = [
    ("id", "#"),
    ("at", "when"),
    # events brought in by `transition import` are marked as such
    (lambda e: f"{e.actor} (imported)" if e.imported else e.actor, "actor"),
    "action",
    "entity",
    ("entity_id", "id"),
    "field",
    (lambda e: _short(e.before), "before"),
    (lambda e: _short(e.after), "after"),
]


def _short(value: str | None) -> str | None:
    """A long recorded value (a stored playbook) cut short in the table; --json has it all."""
    from transition.services.audit import shorten

    return shorten(value, 120)


def register(app: typer.Typer) -> None:
    @app.command("audit")
    def audit_log(
        ctx: typer.Context,
        engagement: str | None = typer.Argument(None, metavar="[ENG]"),
        as_json: AsJson = False,
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

        if engagement is None and not verify:
            raise BadInput("name an engagement (or use --verify alone to check every one)")
        with state(ctx).session() as session:
            if verify:
                result = audit.verify(session, engagement)
            elif limit:
                rows = audit.events(session, engagement, limit=limit, newest_first=True)[::-1]
            else:
                rows = audit.events(session, engagement)
        if verify:
            _report(result, as_json)
        else:
            emit_rows(rows, as_json, COLUMNS, empty="no audit events")


def _report(result: AuditVerification, as_json: bool) -> None:
    if as_json:
        emit_json(result)
        if not result.intact:
            raise typer.Exit(1)
        return
    if not result.intact:
        raise Refused(
            f"audit chain broken: {len(result.problems)} problem(s) in {result.events} events",
            details=result.problems,
        )
    say(f"chain intact: {result.events} events")
