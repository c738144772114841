"""``transition init``: create or upgrade the database."""

from __future__ import annotations

import typer

from transition.cli.output import say
from transition.cli.state import state


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init(ctx: typer.Context) -> None:
        """Create the database, or upgrade an older one to the current schema."""
        from transition import db

        engine = state(ctx).engine
        before, after = db.migrate(engine)
        where = db.describe(engine)
        if before is None:
            say(f"created {where} (schema {after})")
        elif before == after:
            say(f"{where} is up to date (schema {after})")
        else:
            say(f"upgraded {where} from schema {before} to {after}")
