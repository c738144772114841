"""``transition engagement new|list|show``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from transition.cli.options import AsJson, Engagement, given
from transition.cli.output import emit, emit_rows, say, table
from transition.cli.state import call, state
from transition.services import engagements

if TYPE_CHECKING:
    from transition.services.views.engagements import EngagementDetail

app = typer.Typer(help="Start and inspect engagements.", no_args_is_help=True)


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
) -> None:
    """Start an engagement from a playbook: phases and tasks with real due dates."""
    with state(ctx).session(write=True) as session:
        row = engagements.create(
            session,
            name=name,
            playbook=playbook,
            client=client,
            incumbent=incumbent,
            provider=provider,
            start=start,
            **given(model=model, location=location),
        )
        (created,) = engagements.summaries(session, row.id)
    say(
        f"created engagement {created.slug} from {created.playbook} v{created.playbook_version}: "
        f"{len(created.phases)} phases, {created.tasks_total} tasks"
    )


COLUMNS = [
    ("slug", "engagement"),
    "client",
    "provider",
    ("current_phase", "phase"),
    (lambda e: f"{e.tasks_done}/{e.tasks_total}", "tasks"),
    ("tasks_overdue", "overdue"),
    ("cutover_date", "cutover"),
    "status",
]


@app.command("list")
def list_engagements(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Every engagement with its current phase and progress."""
    emit_rows(
        call(ctx, engagements.summaries),
        as_json,
        COLUMNS,
        empty="no engagements yet: start one with `transition engagement new`",
    )


@app.command("show")
def show(ctx: typer.Context, engagement: Engagement, as_json: AsJson = False) -> None:
    """One engagement: parties, playbook, phases, progress."""
    emit(call(ctx, engagements.detail, engagement), as_json, _show)


def _show(data: EngagementDetail) -> None:
    say(f"{data.name} ({data.slug}) — {data.status}")
    say(
        f"  {data.client or '?'}: {data.incumbent or '?'} → {data.provider or '?'}"
        f"  [{data.model}, {data.location}]"
    )
    say(f"  playbook {data.playbook} v{data.playbook_version} ({data.playbook_hash[:12]})")
    say(
        f"  started {data.start_date}, cutover {data.cutover_date}"
        + (f" ({data.days_to_cutover} days)" if data.days_to_cutover is not None else "")
    )
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
