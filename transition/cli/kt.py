"""``transition kt schedule|hold|signoff|list|coverage|ics``."""

from __future__ import annotations

import typer

from transition.cli.output import emit_json, say, table
from transition.cli.state import state
from transition.services import kt
from transition.services.common import get_engagement

NAME = "kt"
app = typer.Typer(help="Knowledge-transfer sessions.", no_args_is_help=True)


@app.command("schedule")
def schedule(
    ctx: typer.Context,
    engagement: str = typer.Argument(..., metavar="ENG"),
    system: str = typer.Option(..., "--system", metavar="S"),
    topic: str = typer.Option(..., "--topic", metavar="T"),
    presenter: list[str] = typer.Option(
        ..., "--presenter", metavar="P", help="Who presents (repeat for several)."
    ),
    attendee: list[str] = typer.Option(
        [], "--attendee", metavar="A", help="Who attends (repeat for several)."
    ),
    at: str = typer.Option(
        ...,
        "--at",
        metavar="DATETIME",
        help="Start in UTC, e.g. 2026-12-01T14:00 (UTC), or with an offset: "
        "2026-12-01T15:00+01:00 is stored and shown as 14:00 UTC.",
    ),
    kind: str = typer.Option(
        "walkthrough", "--kind", metavar="walkthrough|shadow|reverse-shadow|qa"
    ),
    minutes: int = typer.Option(60, "--minutes", metavar="N", help="Length in minutes."),
) -> None:
    """Plan a KT session."""
    from transition.dates import format_utc, parse_datetime

    starts = parse_datetime(at, "start time")
    with state(ctx).session(write=True) as session:
        row = kt.schedule(
            session,
            get_engagement(session, engagement),
            system=system,
            topic=topic,
            presenters=presenter,
            attendees=attendee,
            at=starts,
            kind=kind,
            minutes=minutes,
        )
        say(f"scheduled KT session #{row.id}: {row.kind} of {system} at {format_utc(starts)}")


@app.command("hold")
def hold(
    ctx: typer.Context,
    engagement: str = typer.Argument(..., metavar="ENG"),
    session_id: str = typer.Argument(..., metavar="SESSION_ID"),
    attendee: list[str] = typer.Option(
        [], "--attendee", metavar="A", help="Someone who attended but was not invited."
    ),
) -> None:
    """Record that a session took place."""
    with state(ctx).session(write=True) as session:
        row = kt.hold(session, get_engagement(session, engagement), session_id, attendees=attendee)
        say(f"KT session #{row.id}: held")


@app.command("signoff")
def signoff(
    ctx: typer.Context,
    engagement: str = typer.Argument(..., metavar="ENG"),
    session_id: str = typer.Argument(..., metavar="SESSION_ID"),
    by: str = typer.Option(..., "--by", metavar="PERSON", help="The attendee signing off."),
    confidence: int | None = typer.Option(
        None, "--confidence", metavar="1-5", help="How confident the receiver is."
    ),
    follow_ups: str = typer.Option("", "--follow-ups", metavar="TEXT", help="What remains."),
) -> None:
    """An attendee signs off a held session."""
    with state(ctx).session(write=True) as session:
        row = kt.signoff(
            session,
            get_engagement(session, engagement),
            session_id,
            by=by,
            confidence=confidence,
            follow_ups=follow_ups,
        )
        say(f"KT session #{row.id}: signed off by {by}")


@app.command("list")
def list_sessions(
    ctx: typer.Context,
    engagement: str = typer.Argument(..., metavar="ENG"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Sessions in time order; start times are UTC."""
    with state(ctx).session() as session:
        rows = kt.list_sessions(session, get_engagement(session, engagement))
    for row in rows:
        row.pop("people")
    if as_json:
        emit_json(rows)
        return
    from transition.dates import format_utc

    for row in rows:
        row["status"] = row["status"].replace("_", " ")
        row["starts_at"] = format_utc(row["starts_at"])
    table(
        rows,
        [
            ("id", "id"),
            ("starts_at", "starts"),
            ("minutes", "min"),
            ("system", "system"),
            ("kind", "kind"),
            ("status", "status"),
            ("presenters", "presenters"),
            ("attendees", "attendees"),
            ("topic", "topic"),
        ],
        empty="no KT sessions yet: plan one with `transition kt schedule`",
    )


@app.command("coverage")
def coverage(
    ctx: typer.Context,
    engagement: str = typer.Argument(..., metavar="ENG"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Per system: which KT kinds are signed off, held, planned or missing."""
    with state(ctx).session() as session:
        rows = kt.coverage(session, get_engagement(session, engagement))
    if as_json:
        emit_json(rows)
        return
    table(
        rows,
        [
            ("system", "system"),
            ("tier", "tier"),
            ("signed_off", "signed off"),
            ("held", "held"),
            ("planned", "planned"),
            ("missing", "missing"),
        ],
        empty="no systems yet",
    )


@app.command("ics")
def ics(
    ctx: typer.Context,
    engagement: str = typer.Argument(..., metavar="ENG"),
    output: str | None = typer.Option(
        None, "-o", "--output", metavar="FILE", help="Write here (default stdout)."
    ),
) -> None:
    """iCalendar file of the engagement's sessions (re-importing updates entries)."""
    with state(ctx).session() as session:
        data = kt.ics(session, get_engagement(session, engagement)).decode("utf-8")
    if output is None or output == "-":
        typer.echo(data, nl=False)
        return
    from transition.files import write_private

    target = write_private(output, data)
    if target is not None:
        say(f"wrote {target}")
