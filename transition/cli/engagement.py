"""``transition engagement new|list|show``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from transition.cli.lazy import lazy
from transition.cli.options import AsJson, CalendarCode, DryRun, Engagement, TimeZone, given
from transition.cli.output import emit, emit_rows, say, table
from transition.cli.readiness import readiness
from transition.cli.state import call, change, state

engagements = lazy("transition.services.engagements")

if TYPE_CHECKING:
    from transition.services.views.engagements import EngagementDetail, FieldChange

app = typer.Typer(help="Start and inspect engagements.", no_args_is_help=True)
app.command("readiness")(readiness)


@app.command("new")
def new(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME"),
    playbook: str = typer.Option(
        ..., "--playbook", metavar="NAME_OR_PATH", help="A shipped playbook name or a YAML file."
    ),
    client: str = typer.Option("", "--client", help="Client organisation."),
    incumbent: str = typer.Option("", "--incumbent", help="Team or company handing over."),
    provider: str = typer.Option("", "--provider", help="Team or company taking over."),
    model: str | None = typer.Option(
        None,
        "--model",
        help="managed-service (default) | staff-augmentation | project | dedicated-team",
    ),
    location: str | None = typer.Option(
        None, "--location", help="onshore (default) | nearshore | offshore"
    ),
    start: str | None = typer.Option(
        None, "--start", metavar="DATE", help="Start date (default today)."
    ),
    calendar: CalendarCode = None,
    timezone: TimeZone = None,
    workweek: str | None = typer.Option(
        None,
        "--workweek",
        metavar="DAYS",
        help="The weekdays worked: mon-fri (default), sun-thu, mon,tue,wed,thu,sat…",
    ),
    holidays: Path | None = typer.Option(
        None,
        "--holidays",
        metavar="FILE",
        help="Extra non-working days: one ISO date per line, # for comments.",
    ),
    exit_of: str | None = typer.Option(
        None,
        "--exit-of",
        metavar="ENG",
        help="Start the exit of a running engagement: its provider hands over to --provider "
        "(the successor; default the client), people, systems and owners carried over.",
    ),
) -> None:
    """Start an engagement from a playbook: phases and tasks with real due dates, counted
    on its calendar (working days and holidays)."""
    if exit_of is not None:
        _new_exit(ctx, name, playbook, exit_of, client, provider, start, incumbent=incumbent,
                  model=model, location=location, calendar=calendar, timezone=timezone,
                  workweek=workweek, holidays=holidays)  # fmt: skip
        return
    extra = ()
    if holidays is not None:
        from transition.services.holiday_file import read_holidays

        extra = read_holidays(holidays)
    with state(ctx).session(write=True) as session:
        row = engagements.create(
            session,
            name=name,
            playbook=playbook,
            client=client,
            incumbent=incumbent,
            provider=provider,
            start=start,
            calendar=calendar,
            timezone=timezone,
            holidays=extra,
            **given(model=model, location=location, workweek=workweek),
        )
        (created,) = engagements.summaries(session, row.id)
    say(
        f"created engagement {created.slug} from {created.playbook} v{created.playbook_version}: "
        f"{len(created.phases)} phases, {created.tasks_total} tasks"
    )


def _new_exit(
    ctx: typer.Context,
    name: str,
    playbook: str,
    exit_of: str,
    client: str,
    provider: str,
    start: str | None,
    **inherited: object,
) -> None:
    """``engagement new --exit-of``: the exit's calendar, model and parties come from the
    running engagement, so the options that would set them are refused."""
    from transition.errors import BadInput
    from transition.services import exit_start

    given_ = [k for k, v in inherited.items() if v not in (None, "")]
    if given_:
        raise BadInput(
            f"--{given_[0]} cannot be given with --exit-of: the exit takes it from {exit_of} "
            "(change it afterwards with `transition engagement set`)"
        )
    result = change(
        ctx, exit_start.start_exit, name=name, exit_of=exit_of, playbook=playbook,
        provider=provider, client=client, start=start,
    )  # fmt: skip
    say(
        f"created engagement {result.slug} from {result.playbook}: the exit of "
        f"{result.exit_of}, {result.outgoing or 'the provider'} handing over to "
        f"{result.incoming or 'the client'}"
    )
    say(
        f"carried over {result.people} people, {result.systems} systems, {result.topics} "
        f"topics, {result.owners} owners; checklist items for {result.grant_items} grants "
        f"in force and {result.runbook_items} runbooks"
    )


COLUMNS = [
    ("slug", "engagement"),
    "client",
    "provider",
    ("current_phase", "phase"),
    (lambda e: f"{e.tasks_done}/{e.tasks_total}", "tasks"),
    ("tasks_overdue", "overdue"),
    ("cutover_date", "cutover"),
    (lambda e: status_mark(e), "status"),
]


def status_mark(row) -> str:
    """The status, marked when a newer version of the playbook exists."""
    if row.playbook_latest is None:
        return row.status
    return f"{row.status} (playbook v{row.playbook_latest} available)"


@app.command("list")
def list_engagements(
    ctx: typer.Context,
    as_json: AsJson = False,
    archived: bool = typer.Option(False, "--archived", help="List the archived ones instead."),
    everything: bool = typer.Option(False, "--all", help="List archived ones too."),
) -> None:
    """Every engagement in use with its current phase and progress."""
    which = None if everything else archived
    rows = call(ctx, engagements.summaries, archived=which)
    empty = "no engagements yet: start one with `transition engagement new`"
    if archived and not everything:
        empty = "no archived engagements"
    elif not rows and not as_json and which is False:
        hidden = len(call(ctx, engagements.summaries, archived=True))
        if hidden:
            empty = f"no engagements in use ({hidden} archived: list them with --archived)"
    emit_rows(
        rows,
        as_json,
        COLUMNS if not everything else [*COLUMNS, (_archived, "archived")],
        empty=empty,
    )


def _archived(row) -> str:
    return f"{row.archived_at:%Y-%m-%d}" if row.archived_at else ""


def said_changes(what: str, changes: list[FieldChange]) -> None:
    """``field: old → new`` per changed field, or that nothing changed."""
    if not changes:
        say(f"{what}: nothing changed")
        return
    say(f"changed {what}:")
    for c in changes:
        say(f"  {c.field}: {_shown(c.before)} → {_shown(c.after)}")


def _shown(value: str | None) -> str:
    return "(none)" if value is None or value == "" else value


@app.command("set")
def set_(
    ctx: typer.Context,
    engagement: Engagement,
    name: str | None = typer.Option(None, "--name", help="A new name (a new slug)."),
    client: str | None = typer.Option(None, "--client", help="Client organisation."),
    incumbent: str | None = typer.Option(None, "--incumbent", help="Team handing over."),
    provider: str | None = typer.Option(None, "--provider", help="Team taking over."),
    model: str | None = typer.Option(
        None, "--model", help="managed-service | staff-augmentation | project | dedicated-team"
    ),
    location: str | None = typer.Option(None, "--location", help="onshore | nearshore | offshore"),
    calendar: CalendarCode = None,
    timezone: TimeZone = None,
    workweek: str | None = typer.Option(
        None, "--workweek", metavar="DAYS", help="Worked weekdays: mon-fri (default), sun-thu…"
    ),
    notice: str | None = typer.Option(
        None, "--notice", metavar="DATE", help="The client's notice of exit (none: clear)."
    ),
    exit_on: str | None = typer.Option(
        None, "--exit", metavar="DATE", help="The exit: the service is handed back (none: clear)."
    ),
) -> None:
    """Change an engagement's details, calendar, time zone or exit dates; prints what
    changed."""
    result = change(
        ctx,
        engagements.update,
        engagement,
        **given(
            name=name,
            client=client,
            incumbent=incumbent,
            provider=provider,
            model=model,
            location=location,
            calendar=calendar,
            timezone=timezone,
            workweek=workweek,
            notice=notice,
            exit=exit_on,
        ),
    )
    said_changes(f"engagement {result.slug}", result.changes)


@app.command("archive")
def archive(ctx: typer.Context, engagement: Engagement) -> None:
    """Archive an engagement: out of lists and the dashboard, kept whole, read-only."""
    result = change(ctx, engagements.archive, engagement)
    say(f"archived engagement {result.slug} (unarchive it to change it again)")


@app.command("unarchive")
def unarchive(ctx: typer.Context, engagement: Engagement) -> None:
    """Bring an archived engagement back."""
    result = change(ctx, engagements.unarchive, engagement)
    say(f"unarchived engagement {result.slug}")


@app.command("delete")
def delete(
    ctx: typer.Context,
    engagement: Engagement,
    confirm: str = typer.Option(
        ..., "--confirm", metavar="SLUG", help="The engagement's slug, to confirm."
    ),
) -> None:
    """Delete an archived engagement and all its rows, after a final export (mode 0600)
    written beside the database file (PostgreSQL: in the data directory). Its audit
    events stay."""
    result = change(ctx, engagements.delete, engagement, confirm=confirm)
    say(f"deleted engagement {result.slug} ({result.rows} rows)")
    say(f"final export: {result.export_path}")


@app.command("show")
def show(ctx: typer.Context, engagement: Engagement, as_json: AsJson = False) -> None:
    """One engagement: parties, playbook, phases, progress."""
    emit(call(ctx, engagements.detail, engagement), as_json, _show)


def _show(data: EngagementDetail) -> None:
    archived = (
        f", archived {data.archived_at:%Y-%m-%d} (unarchive it to change it)"
        if data.archived_at is not None
        else ""
    )
    say(f"{data.name} ({data.slug}) — {data.status}{archived}")
    say(
        f"  {data.client or '?'}: {data.incumbent or '?'} → {data.provider or '?'}"
        f"  [{data.model}, {data.location}]"
    )
    newer = ""
    if data.playbook_latest is not None:
        newer = (
            f", v{data.playbook_latest} available "
            f"(see `transition engagement upgrade {data.slug} --dry-run`)"
        )
    say(f"  playbook {data.playbook} v{data.playbook_version} ({data.playbook_hash[:12]}){newer}")
    extra = len(data.extra_holidays)
    say(
        f"  calendar {data.calendar or 'weekends only'}, work week {data.workweek}"
        + (f", {extra} extra holiday{'s' if extra != 1 else ''}" if extra else "")
        + f", time zone {data.timezone or 'UTC'}"
    )
    say(
        f"  started {data.start_date}, cutover {data.cutover_date}"
        + (f" ({data.days_to_cutover} days)" if data.days_to_cutover is not None else "")
    )
    if data.notice_date or data.exit_date:
        say(f"  exit notice {data.notice_date or '-'}, exit {data.exit_date or '-'}")
    if data.exit_of:
        say(f"  the exit of {data.exit_of}")
    if data.exit_engagement:
        say(f"  its exit: {data.exit_engagement}")
    say(
        f"  tasks {data.tasks_done}/{data.tasks_total} done, {data.tasks_overdue} overdue, "
        f"{data.tasks_blocked} blocked"
    )
    say("")
    table(
        data.phases,
        [
            ("key", "phase"),
            "status",
            (lambda p: f"{p.baseline_start or '-'} → {p.baseline_end or '-'}", "baseline"),
            (lambda p: f"{p.planned_start} → {p.planned_end}", "current"),
            ("actual_start", "started"),
            ("actual_end", "ended"),
            (lambda p: p.slip(), "slip"),
            ("gate_decision", "gate"),
        ],
    )


@app.command("outdated")
def outdated(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Engagements whose playbook has a newer version (shipped or the user's own), and
    what changed: phases, tasks, gates, durations, runbooks required, KPIs, cadence."""
    from transition.services import playbook_versions

    rows = call(ctx, playbook_versions.outdated)
    if as_json:
        emit_rows(rows, True, [])
        return
    if not rows:
        say("every engagement follows the newest version of its playbook")
        return
    for row in rows:
        say(
            f"{row.engagement}: {row.playbook} v{row.version} → v{row.latest_version} "
            f"({row.latest_path})"
        )
        if row.errors:
            say(f"  ! v{row.latest_version} is not valid, so it cannot be applied yet:")
            for problem in row.errors:
                say(f"    {problem}")
        for c in row.changes:
            say(f"  {_diff_line(c)}")


def _diff_line(c) -> str:
    subject = f"{c.what} {c.key}" + (f" {c.field}" if c.field else "")
    if c.change == "added":
        return f"+ {subject}: {c.after}"
    if c.change == "removed":
        return f"- {subject}: {c.before}"
    if c.change == "renamed":
        return f"~ task {c.before} renamed {c.after}"
    return f"~ {subject}: {_shown(c.before)} → {_shown(c.after)}"


@app.command("upgrade")
def upgrade(
    ctx: typer.Context,
    engagement: Engagement,
    to: str | None = typer.Option(
        None,
        "--to",
        metavar="NAME_OR_PATH",
        help="The newer playbook: a name or a YAML file (default: the newest of its own).",
    ),
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Apply a newer version of the engagement's playbook, three-way: what the engagement
    changed itself is kept, conflicts are listed, never guessed."""
    from transition.services import playbook_upgrade

    result = change(ctx, playbook_upgrade.upgrade, engagement, to=to, dry_run=dry_run)
    emit(result, as_json, _upgraded)


def _upgraded(data) -> None:
    from transition.services.playbook_upgrade import describe

    for line in describe(data):
        say(line)
