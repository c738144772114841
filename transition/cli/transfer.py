"""``transition export [ENG] [-o FILE]`` and ``transition import FILE``."""

from __future__ import annotations

from typing import Annotated

import typer

from transition.cli.output import say
from transition.cli.state import state

#: ``export``'s engagement: optional (all of them when left out).
SomeEngagement = Annotated[str | None, typer.Argument(metavar="[ENG]")]
#: Where the export goes.
Output = Annotated[
    str | None,
    typer.Option("-o", "--output", metavar="FILE", help="Write to FILE (mode 0600; - for stdout)."),
]
#: The export file to import.
ExportFile = Annotated[str, typer.Argument(metavar="FILE")]
#: Where the imported runbooks' files are.
Runbooks = Annotated[
    str | None,
    typer.Option(
        "--runbooks",
        metavar="DIR",
        help="Folder the runbook files are written to (paths in the file are relative to "
        "it; default: ./runbooks, where `runbook new` writes).",
    ),
]


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export(
        ctx: typer.Context, engagement: SomeEngagement = None, output: Output = None
    ) -> None:
        """Lossless JSON of one engagement, or of all of them, audit log included."""
        from transition.files import write_private
        from transition.services import transfer

        with state(ctx).session() as session:
            export = transfer.export_stream(session, engagement or None)
            path = write_private(output or "-", export.pieces)
        if path is not None:
            say(f"exported {_plural(export.engagements, 'engagement')} to {path}")

    @app.command("import")
    def import_(ctx: typer.Context, file: ExportFile, runbooks: Runbooks = None) -> None:
        """Restore an export; refused (nothing written) if an engagement already exists.

        Every row is checked by the same rules as the commands, and must match the file's
        audit log; the imported events are kept as a marked, separately verifiable segment."""
        from transition.services import transfer

        data = transfer.read_export(file)
        with state(ctx).session(write=True) as session:
            result = transfer.import_data(session, data, source=file, runbooks=runbooks)
        slugs = result.slugs
        say(f"imported {_plural(len(slugs), 'engagement')}: {', '.join(slugs)}")
