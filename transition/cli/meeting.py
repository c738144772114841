"""``transition meeting list|held|cancel|action``: the governance cadence's meetings."""

from __future__ import annotations

import typer

from transition.cli.options import AsJson, Engagement
from transition.cli.output import emit_rows, say
from transition.cli.state import call, change

ID_HELP = "The meeting's number, as `meeting list` shows it."

app = typer.Typer(help="Meetings of the governance cadence.", no_args_is_help=True)


def _status(row) -> str:  # noqa: ANN001
    if row.missed:
        return f"{row.status}, no minutes"
    return row.status


COLUMNS = [
    ("number", "id"),
    ("starts_local", "starts"),
    ("minutes", "min"),
    "title",
    (_status, "status"),
    (lambda r: ", ".join(r.attendees), "attendees"),
    (lambda r: ", ".join(r.actions), "actions"),
]


@app.command("list")
def list_meetings(
    ctx: typer.Context,
    engagement: Engagement,
    upcoming: bool = typer.Option(False, "--upcoming", help="Only planned meetings to come."),
    as_json: AsJson = False,
) -> None:
    """Meetings in time order, in the engagement's time zone; a past one without minutes
    shows `no minutes` (a finding a day after it)."""
    from transition.services import meetings

    rows = call(ctx, meetings.list_meetings, engagement, upcoming=upcoming)
    emit_rows(rows, as_json, COLUMNS, empty="no meetings: the playbook declares no cadence")


@app.command("held")
def held(
    ctx: typer.Context,
    engagement: Engagement,
    meeting_id: str = typer.Argument(..., metavar="ID", help=ID_HELP),
    attendee: list[str] = typer.Option(
        [], "--attendee", metavar="P", help="A person who attended (repeat for several)."
    ),
    minutes: str | None = typer.Option(
        None, "--minutes", metavar="TEXT_OR_FILE", help="The minutes, or a file holding them."
    ),
) -> None:
    """Record that a meeting took place, who attended and its minutes (again: add
    attendees, replace the minutes)."""
    from transition.files import text_or_file
    from transition.services import meeting_edit

    text = None if minutes is None else text_or_file(minutes, what="minutes", limit=1_000_000)
    row = change(ctx, meeting_edit.held, engagement, meeting_id, attendees=attendee, minutes=text)
    said = "with minutes" if row.notes else "no minutes yet"
    say(f"meeting #{row.number} {row.title} ({row.starts_local}): held, {said}")


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    engagement: Engagement,
    meeting_id: str = typer.Argument(..., metavar="ID", help=ID_HELP),
    reason: str = typer.Option(..., "--reason", metavar="TEXT", help="Why it is cancelled."),
) -> None:
    """Cancel a planned meeting; calendars that imported it show it cancelled."""
    from transition.services import meeting_edit

    row = change(ctx, meeting_edit.cancel, engagement, meeting_id, reason=reason)
    say(f"meeting #{row.number} {row.title} ({row.starts_local}): cancelled ({row.cancel_reason})")


@app.command("action")
def action(
    ctx: typer.Context,
    engagement: Engagement,
    meeting_id: str = typer.Argument(..., metavar="ID", help=ID_HELP),
    title: str = typer.Option(..., "--title", metavar="T", help="What is to be done."),
    owner: str = typer.Option(..., "--owner", metavar="PERSON", help="Who does it."),
    due: str = typer.Option(..., "--due", metavar="DATE", help="When it is due."),
) -> None:
    """An action from a meeting: a task given to a person, linked to the meeting."""
    from transition.services import meeting_edit

    row = change(
        ctx, meeting_edit.action, engagement, meeting_id, title=title, owner=owner, due=due
    )
    say(f"meeting #{row.number} {row.title}: action task {row.actions[-1]} for {owner.strip()}")
