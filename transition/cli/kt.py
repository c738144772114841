"""``transition kt schedule|reschedule|cancel|set|hold|signoff|list|coverage|ics``."""

from __future__ import annotations

from typing import Any

import typer

from transition.cli.lazy import lazy
from transition.cli.options import AsJson, Engagement, Output, given
from transition.cli.output import emit_document, emit_rows, say
from transition.cli.state import call, change

kt = lazy("transition.services.kt")

#: How ``--at`` is read, for every command that takes it.
AT_HELP = (
    "Start in the engagement's time zone (UTC if it has none), e.g. 2026-12-01T14:00, or "
    "with an offset that wins over the zone: 2026-12-01T15:00+01:00."
)

ID_HELP = "The session's number, as `kt list` shows it."

app = typer.Typer(help="Knowledge-transfer sessions.", no_args_is_help=True)


def _starts(row: Any) -> str:
    from transition.services.kt_times import shown

    return shown(row.starts_at, row.timezone)


#: ``kt list`` prints plain rows (``kt.session_records``): the start as ``kt_times.shown``
#: writes it (``2026-12-03 10:00 Europe/London``), read off the local start it carries.
def _listed_start(row: dict[str, Any]) -> str:
    local = row["starts_local"]
    return f"{local[:10]} {local[11:16]} {row['timezone']}"


def _elsewhere(row: dict[str, Any]) -> str:
    return "; ".join(f"{t['person']} {t['starts']}" for t in row["local_times"])


SESSION_COLUMNS = [
    "id",
    (_listed_start, "starts"),
    ("minutes", "min"),
    "system",
    "kind",
    (lambda r: r["status"].replace("_", " "), "status"),
    (lambda r: ", ".join(r["presenters"]) or "-", "presenters"),
    (lambda r: ", ".join(r["attendees"]) or "-", "attendees"),
    "topic",
]
#: Shown when someone taking part lives in another time zone than the engagement.
ELSEWHERE = (_elsewhere, "their time")

COVERS_HELP = (
    "A topic of the system the session covers (repeat for several); without it, the "
    "topic titled like --topic, if any."
)
#: How a kind's status shows in the coverage matrix.
MARKS = {"signed_off": "signed off", "held": "held", "planned": "planned", "missing": "-"}


def _kind_column(kind: str, at: int) -> tuple[Any, str]:
    """The column of ``kind``, the ``at``-th of each row's kinds (found by name if not)."""

    def shown(row: dict[str, Any]) -> str:
        cells = row["kinds"]
        cell = cells[at] if len(cells) > at and cells[at]["kind"] == kind else None
        if cell is None:
            cell = next(c for c in cells if c["kind"] == kind)
        return MARKS.get(cell["status"], cell["status"])

    return shown, kind


COVERAGE_COLUMNS = [
    "system",
    "topic",
    *(_kind_column(k, i) for i, k in enumerate(("walkthrough", "shadow", "reverse-shadow"))),
    "holders",
    "received",
]


@app.command("schedule")
def schedule(
    ctx: typer.Context,
    engagement: Engagement,
    system: str = typer.Option(..., "--system", metavar="S"),
    topic: str = typer.Option(..., "--topic", metavar="T"),
    presenter: list[str] = typer.Option(
        ..., "--presenter", metavar="P", help="Who presents (repeat for several)."
    ),
    attendee: list[str] = typer.Option(
        [], "--attendee", metavar="A", help="Who attends (repeat for several)."
    ),
    at: str = typer.Option(..., "--at", metavar="DATETIME", help=AT_HELP),
    kind: str | None = typer.Option(
        None,
        "--kind",
        metavar="walkthrough|shadow|reverse-shadow|qa",
        help="What kind of session (default walkthrough).",
    ),
    minutes: int | None = typer.Option(
        None, "--minutes", metavar="N", help="Length in minutes (default 60)."
    ),
    covers: list[str] = typer.Option([], "--covers", metavar="TOPIC", help=COVERS_HELP),
) -> None:
    """Plan a KT session."""
    row = change(
        ctx,
        kt.schedule,
        engagement,
        system=system,
        topic=topic,
        presenters=presenter,
        attendees=attendee,
        at=at,
        covers=covers,
        **given(kind=kind, minutes=minutes),
    )
    say(f"scheduled KT session #{row.id}: {row.kind} of {row.system} at {_starts(row)}")


@app.command("reschedule")
def reschedule(
    ctx: typer.Context,
    engagement: Engagement,
    session_id: str = typer.Argument(..., metavar="ID", help=ID_HELP),
    at: str = typer.Option(..., "--at", metavar="DATETIME", help=AT_HELP),
    minutes: int | None = typer.Option(
        None, "--minutes", metavar="N", help="New length in minutes (default: unchanged)."
    ),
) -> None:
    """Move a planned session (calendars that imported `kt ics` update it)."""
    row = change(ctx, kt_edit().reschedule, engagement, session_id, at=at, minutes=minutes)
    say(f"KT session #{row.id}: at {_starts(row)} for {row.minutes} min")


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    engagement: Engagement,
    session_id: str = typer.Argument(..., metavar="ID", help=ID_HELP),
    reason: str = typer.Option(
        ..., "--reason", metavar="TEXT", help="Why (kept in the audit log and the calendar)."
    ),
) -> None:
    """Cancel a planned session; it stays listed, as cancelled."""
    row = change(ctx, kt_edit().cancel, engagement, session_id, reason=reason)
    say(f"KT session #{row.id}: cancelled ({row.cancel_reason})")


@app.command("set")
def set_session(
    ctx: typer.Context,
    engagement: Engagement,
    session_id: str = typer.Argument(..., metavar="ID", help=ID_HELP),
    topic: str | None = typer.Option(None, "--topic", metavar="T", help="A new topic."),
    add_attendee: list[str] = typer.Option(
        [], "--add-attendee", metavar="P", help="Invite someone (repeat for several)."
    ),
    remove_attendee: list[str] = typer.Option(
        [], "--remove-attendee", metavar="P", help="Drop an attendee (repeat for several)."
    ),
    covers: list[str] = typer.Option(
        [], "--covers", metavar="TOPIC", help=COVERS_HELP + " Replaces the earlier ones."
    ),
) -> None:
    """Change a planned session's topic or attendees, or the topics a session covers
    (held and signed-off sessions too)."""
    row = change(
        ctx,
        kt_edit().update,
        engagement,
        session_id,
        topic=topic,
        add_attendees=add_attendee,
        remove_attendees=remove_attendee,
        covers=covers or None,
    )
    say(f"KT session #{row.id}: {row.topic}; attendees: {', '.join(row.attendees) or '-'}")


def kt_edit() -> Any:
    from transition.services import kt_edit as module

    return module


@app.command("hold")
def hold(
    ctx: typer.Context,
    engagement: Engagement,
    session_id: str = typer.Argument(..., metavar="SESSION_ID"),
    attendee: list[str] = typer.Option(
        [], "--attendee", metavar="A", help="Someone who attended but was not invited."
    ),
) -> None:
    """Record that a session took place."""
    row = change(ctx, kt.hold, engagement, session_id, attendees=attendee)
    say(f"KT session #{row.id}: held")


@app.command("signoff")
def signoff(
    ctx: typer.Context,
    engagement: Engagement,
    session_id: str = typer.Argument(..., metavar="SESSION_ID"),
    by: str = typer.Option(..., "--by", metavar="PERSON", help="The attendee signing off."),
    confidence: int | None = typer.Option(
        None, "--confidence", metavar="1-5", help="How confident the receiver is."
    ),
    follow_ups: str | None = typer.Option(
        None, "--follow-ups", metavar="TEXT", help="What remains."
    ),
) -> None:
    """An attendee signs off a held session."""
    row = change(
        ctx,
        kt.signoff,
        engagement,
        session_id,
        by=by,
        **given(confidence=confidence, follow_ups=follow_ups),
    )
    say(f"KT session #{row.id}: signed off by {row.signed_off_by}")


@app.command("list")
def list_sessions(ctx: typer.Context, engagement: Engagement, as_json: AsJson = False) -> None:
    """Sessions in time order; start times in the engagement's time zone (UTC if none),
    and each participant's own where it differs."""
    rows = call(ctx, kt.session_records, engagement)
    columns = SESSION_COLUMNS + ([ELSEWHERE] if any(r["local_times"] for r in rows) else [])
    emit_rows(
        rows, as_json, columns, empty="no KT sessions yet: plan one with `transition kt schedule`"
    )


@app.command("coverage")
def coverage(ctx: typer.Context, engagement: Engagement, as_json: AsJson = False) -> None:
    """Per system and topic: each core KT kind signed off, held, planned or missing
    (-), who holds the knowledge (incumbent presenters, owners, SMEs) and who received
    it (provider attendees of signed-off sessions); flags knowledge only one leaving
    incumbent holds."""
    from transition.services import kt_topics

    rows = call(ctx, kt_topics.coverage_records, engagement)
    emit_rows(rows, as_json, COVERAGE_COLUMNS, empty="no systems yet")
    if as_json:
        return
    for row in rows:
        if row["at_risk"]:
            say(
                f"! only {row['at_risk']} (incumbent, leaving) holds {row['system']}: "
                f"{row['topic']}; not signed off: {', '.join(row['missing'])}"
            )
    from transition.cli.system_deps import say_kt_flags

    say_kt_flags(ctx, engagement)


@app.command("ics")
def ics(ctx: typer.Context, engagement: Engagement, output: Output = None) -> None:
    """iCalendar file of the engagement's sessions (re-importing updates entries)."""
    from transition.services import kt_calendar

    emit_document(call(ctx, kt_calendar.ics, engagement).decode("utf-8"), output)
