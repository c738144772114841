"""Arguments and options several commands share, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

#: The engagement a command works on, by name or slug.
Engagement = Annotated[str, typer.Argument(metavar="ENG", help="The engagement (name or slug).")]

#: ``--json``: print the command's read models as JSON instead of a table.
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
