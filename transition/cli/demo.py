"""``transition demo [--no-tui]``: load the sample engagements, then open the TUI."""

from __future__ import annotations

import typer

from transition.cli.output import say
from transition.cli.state import state


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        ctx: typer.Context,
        no_tui: bool = typer.Option(False, "--no-tui", help="Only load the data."),
    ) -> None:
        """Load a realistic sample engagement (into a separate demo database unless --db is
        given), then open the TUI on it."""
        from transition import db, dburl
        from transition import demo as sample
        from transition.dates import today

        current = state(ctx)
        # Given on the command line (the source's name: typer's click is its own copy).
        source = ctx.find_root().get_parameter_source("db")
        explicit = getattr(source, "name", None) == "COMMANDLINE"
        url = current.url if explicit and current.url else dburl.demo_url()
        engine = db.get_engine(url)
        db.ensure_schema(engine)
        with db.session_scope(engine, actor=current.actor, write=True) as session:
            loaded = not sample.exists(session)
            slugs = sample.load_demo(session, today=today()) if loaded else list(sample.SLUGS)
        where = db.describe(engine)
        if loaded:
            say(f"loaded the demo engagements {', '.join(slugs)} into {where}")
        else:
            say(f"the demo engagements are already in {where}")
        if no_tui:
            say(f"explore them with: transition --db {dburl.redact_url(engine.url)} tui")
            return
        from transition.tui.app import run

        code = run(url=url, actor=current.actor, engagement=None)
        if code:  # an unhandled exception ended the app; Textual has printed it
            raise typer.Exit(code)
