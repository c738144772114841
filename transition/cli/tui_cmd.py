"""``transition tui [ENGAGEMENT]`` and ``transition`` alone: open the TUI.

Textual is imported only here, only when the TUI is really opened.
"""

from __future__ import annotations

import typer

from transition.cli.state import State, state


def open_tui(current: State, engagement: str | None) -> None:
    # A bad --db or an unknown engagement is an error line before the screen opens. A
    # missing SQLite file is created to start on, unless an engagement is named (a file
    # that does not exist holds none).
    with current.session(create=not engagement) as session:
        if engagement:
            from transition.services.common import get_engagement

            engagement = get_engagement(session, engagement).slug
    from transition.tui.app import run

    code = run(url=current.url, actor=current.actor, engagement=engagement)
    if code:  # an unhandled exception ended the app; Textual has printed it
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    @app.command("tui")
    def tui(
        ctx: typer.Context,
        engagement: str | None = typer.Argument(None, metavar="[ENGAGEMENT]"),
    ) -> None:
        """Open the terminal UI (on one engagement if named)."""
        open_tui(state(ctx), engagement)
