"""``transition export [ENG] [-o FILE]`` and ``transition import FILE``."""

from __future__ import annotations

import sys

import typer

from transition.cli.output import say
from transition.cli.state import state


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export(
        ctx: typer.Context,
        engagement: str | None = typer.Argument(None, metavar="[ENG]"),
        output: str | None = typer.Option(
            None, "-o", "--output", metavar="FILE", help="Write to FILE (mode 0600; - for stdout)."
        ),
    ) -> None:
        """Lossless JSON of one engagement, or of all of them, audit log included."""
        from transition.services import transfer
        from transition.services.common import get_engagement

        with state(ctx).session() as session:
            eng = get_engagement(session, engagement) if engagement else None
            document = transfer.export_data(session, eng)
        text = transfer.dumps(document)
        if output is None:
            sys.stdout.write(text)
            return
        from transition.files import write_private

        path = write_private(output, text)
        if path is None:
            return
        n = len(document["engagements"])
        say(f"exported {n} engagement{'s' if n != 1 else ''} to {path}")

    @app.command("import")
    def import_(
        ctx: typer.Context,
        file: str = typer.Argument(..., metavar="FILE"),
        runbooks: str | None = typer.Option(
            None,
            "--runbooks",
            metavar="DIR",
            help="Folder holding the runbook files (paths in the file are relative to it; "
            "default: the current folder).",
        ),
    ) -> None:
        """Restore an export; refused (nothing written) if an engagement already exists.

        Every row is checked by the same rules as the commands, and must match the file's
        audit log; the imported events are kept as a marked, separately verifiable segment."""
        from transition.services import transfer

        data = transfer.read_export(file)
        with state(ctx).session(write=True) as session:
            slugs = transfer.import_data(session, data, source=file, runbooks=runbooks)
        say(f"imported {len(slugs)} engagement{'s' if len(slugs) != 1 else ''}: {', '.join(slugs)}")
