"""``transition runbook exercise|set|generate``: runbooks with evidence."""

from __future__ import annotations

from pathlib import Path

import typer

from transition.cli.lazy import lazy
from transition.cli.options import AsJson, Engagement
from transition.cli.output import emit_json, say, warn
from transition.cli.runbook import Templates, app
from transition.cli.state import call, change

runbook_evidence = lazy("transition.services.runbook_evidence")
runbook_generate = lazy("transition.services.runbook_generate")
runbooks = lazy("transition.services.runbooks")


@app.command("exercise")
def exercise(
    ctx: typer.Context,
    engagement: Engagement,
    runbook_id: str = typer.Argument(..., metavar="ID"),
    on: str = typer.Option(..., "--on", metavar="DATE", help="The day it was exercised."),
    by: str = typer.Option(..., "--by", metavar="PERSON", help="Who exercised it."),
    outcome: str = typer.Option(..., "--outcome", metavar="pass|fail", help="pass or fail."),
    deviations: str | None = typer.Option(
        None, "--deviations", metavar="TEXT", help="What deviated from the written procedure."
    ),
    as_json: AsJson = False,
) -> None:
    """Record an exercise of a runbook (a pass during the parallel run validates it)."""
    result = change(
        ctx,
        runbook_evidence.record_exercise,
        engagement,
        runbook_id,
        on=on,
        by=by,
        outcome=outcome,
        deviations=deviations,
    )
    if as_json:
        emit_json(result)
        return
    where = "during the parallel run" if result.in_parallel_run else "outside the parallel run"
    say(
        f"runbook #{result.runbook_id} ({result.template} for {result.system}): "
        f"{result.outcome} on {result.exercised_on} by {result.by}, {where} "
        f"(exercise #{result.id})"
    )
    warn([f"runbook #{result.runbook_id}: {result.warning}"] if result.warning else [])


@app.command("set")
def set_details(
    ctx: typer.Context,
    engagement: Engagement,
    runbook_id: str = typer.Argument(..., metavar="ID"),
    owner: str | None = typer.Option(
        None, "--owner", metavar="PERSON", help='Who owns it ("" clears it).'
    ),
    review: str | None = typer.Option(
        None, "--review", metavar="DATE", help='Its next review date ("" clears it).'
    ),
    as_json: AsJson = False,
) -> None:
    """Set a runbook's owner and next review date."""
    result = change(
        ctx, runbook_evidence.set_details, engagement, runbook_id, owner=owner, review=review
    )
    if as_json:
        emit_json(result)
        return
    if not result.changed:
        say(f"runbook #{result.id}: nothing changed")
        return
    say(
        f"runbook #{result.id}: owner {result.owner or '-'}, next review {result.review_due or '-'}"
    )


@app.command("generate")
def generate(
    ctx: typer.Context,
    engagement: Engagement,
    missing: bool = typer.Option(
        False, "--missing", help="Every runbook the playbook requires that does not exist yet."
    ),
    out: Path = typer.Option(
        Path(runbooks.DEFAULT_OUT),
        "--out",
        metavar="DIR",
        help=f"Output folder (default: ./{runbooks.DEFAULT_OUT}).",
    ),
    sets: list[str] = typer.Option(
        [], "--set", metavar="KEY=VALUE", help="A template variable (repeat for several)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be made."),
    templates: Templates = None,
    as_json: AsJson = False,
) -> None:
    """Generate every missing runbook the playbook requires, all or nothing."""
    values = runbooks.parse_sets(sets)
    result = call(
        ctx,
        runbook_generate.generate_missing,
        engagement,
        write=not dry_run,
        missing=missing,
        out_dir=out,
        sets=values,
        dry_run=dry_run,
        template_dirs=[templates] if templates else (),
    )
    if as_json:
        emit_json(result)
        return
    verb = "would write" if dry_run else "wrote"
    for row in result.runbooks:
        made = f"runbook #{row.id}, " if row.id else ""
        say(
            f"{verb} {row.path} ({row.template} for {row.system}, {made}"
            f"{row.placeholders} placeholder(s) to fill)"
        )
    if not result.runbooks:
        say("every runbook the playbook requires exists")
    elif dry_run:
        say(f"dry run: {len(result.runbooks)} runbook(s) would be made; nothing written")
    else:
        say(f"{len(result.runbooks)} runbook(s) made")
