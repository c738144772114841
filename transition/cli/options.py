"""Arguments and options several commands share, declared once.

Use them as annotations with a default: ``engagement: Engagement``,
``as_json: AsJson = False``, ``output: Output = None``, ``note: Note = None``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

#: The engagement a command works on, by name or slug.
Engagement = Annotated[str, typer.Argument(metavar="ENG", help="The engagement (name or slug).")]

#: ``--json``: print the command's read models as JSON instead of a table.
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]

#: ``-o/--output FILE``: where a document goes (default stdout).
Output = Annotated[
    str | None,
    typer.Option("-o", "--output", metavar="FILE", help="Write to FILE (mode 0600; - for stdout)."),
]

#: ``--since DATE``: the start of a window of changes.
Since = Annotated[
    str | None,
    typer.Option("--since", metavar="DATE", help="List changes from DATE (default a week ago)."),
]

#: ``--templates DIR``: a folder of user templates overriding the shipped ones.
Templates = Annotated[
    str | None,
    typer.Option(
        "--templates",
        metavar="DIR",
        envvar="TRANSITION_TEMPLATES",
        help="Folder of templates overriding the shipped ones (or TRANSITION_TEMPLATES).",
    ),
]

#: ``--note TEXT``: evidence or a comment kept with a change.
Note = Annotated[str | None, typer.Option("--note", metavar="TEXT", help="Evidence or comment.")]

#: ``--reason TEXT``: why, kept in the audit log.
Reason = Annotated[
    str | None, typer.Option("--reason", metavar="TEXT", help="Why (kept in the audit log).")
]

#: ``--dry-run``: show what would change; write and record nothing.
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change; write and record nothing.")
]

#: ``--system S``: a system of the engagement, by name.
System = Annotated[str, typer.Option("--system", metavar="S", help="The system (by name).")]

#: ``--person P``: a person of the engagement, by name.
Person = Annotated[str, typer.Option("--person", metavar="P", help="The person (by name).")]

#: A date as typed (ISO 8601, ``2026-12-01``), checked by the service that uses it.
#: The option is named after the parameter (``release: DateText = None`` is ``--release``).
DateText = Annotated[
    str | None, typer.Option(metavar="DATE", help="An ISO date such as 2026-12-01.")
]

#: ``--db URL`` (or TRANSITION_DATABASE_URL): the database every command works on.
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="TRANSITION_DATABASE_URL",
        metavar="URL",
        help="SQLAlchemy database URL, or a SQLite file path (default: a SQLite file in your "
        "data directory).",
    ),
]

#: ``--actor NAME`` (or TRANSITION_ACTOR): who the audit log records.
Actor = Annotated[
    str | None,
    typer.Option(
        "--actor",
        envvar="TRANSITION_ACTOR",
        metavar="NAME",
        help="Name recorded in the audit log (default: your OS user).",
    ),
]


def given(**options: Any) -> dict[str, Any]:
    """The options the user gave: the service's own defaults stand for the others."""
    return {name: value for name, value in options.items() if value is not None}


#: ``--calendar CODE``: the working-day calendar (a ``holidays`` country/subdivision code).
CalendarCode = Annotated[
    str | None,
    typer.Option(
        "--calendar",
        metavar="CODE",
        help="Working days and public holidays of a country or subdivision: GB-ENG, DE-BY, "
        "IN (none: weekends only).",
    ),
]

#: ``--timezone TZ``: an IANA time zone.
TimeZone = Annotated[
    str | None,
    typer.Option(
        "--timezone", metavar="TZ", help="IANA time zone such as Europe/Berlin (none: UTC)."
    ),
]
