"""``transition runbook templates|new|update|list|status``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from transition.cli.lazy import lazy
from transition.cli.options import AsJson, Engagement, Reason
from transition.cli.output import emit_json, emit_rows, say, warn
from transition.cli.state import call, change

runbook_update = lazy("transition.services.runbook_update")
runbooks = lazy("transition.services.runbooks")
runbook_list = lazy("transition.services.runbook_list")

if TYPE_CHECKING:
    from transition.services.runbook_list import RunbookLine
    from transition.services.views.runbooks import RunbookView

app = typer.Typer(
    help="Runbook skeletons from templates, and how finished each one is.", no_args_is_help=True
)

#: ``--templates DIR``: a folder of the user's own templates.
Templates = Annotated[
    str | None,
    typer.Option(
        "--templates",
        metavar="DIR",
        help="Folder of your own templates (NAME.md.j2), searched before the shipped ones "
        "(default: TRANSITION_TEMPLATES).",
    ),
]


def _filled(row: RunbookView | RunbookLine) -> str:
    if row.file_missing or row.fill_ratio is None:
        return "file missing"
    conflicts = f", {row.conflicts} conflict(s)" if row.conflicts else ""
    left = f"{row.placeholders_left}/{row.placeholders_total} left"
    return f"{round(row.fill_ratio * 100)}% ({left}{conflicts})"


TEMPLATE_COLUMNS = [("name", "template"), "source", "title", ("options", "--set"), "description"]


def _evidence(row: RunbookView | RunbookLine) -> str:
    if not row.exercises:
        shown = "no exercise"
    else:
        where = ", in parallel run" if row.passed_in_parallel_run else ""
        shown = f"{row.passes}/{row.exercises} passed{where}"
    return f"{shown}; warning: {row.warning}" if row.warning else shown


def _review(row: RunbookView | RunbookLine) -> str:
    if row.review_due is None:
        return "-"
    return f"{row.review_due} (overdue)" if row.review_overdue else str(row.review_due)


COLUMNS = [
    "id",
    "system",
    "template",
    "status",
    (_filled, "filled"),
    (lambda r: r.owner or "-", "owner"),
    (_review, "review"),
    (_evidence, "exercises"),
    "path",
]


@app.command("templates")
def list_templates(templates: Templates = None, as_json: AsJson = False) -> None:
    """Shipped and user templates with their descriptions and variables."""
    infos = runbooks.list_templates([templates] if templates else ())
    emit_rows(infos, as_json, TEMPLATE_COLUMNS, empty="no templates found")


@app.command("new")
def new(
    ctx: typer.Context,
    engagement: Engagement,
    system: str = typer.Option(..., "--system", metavar="S", help="The system it is for."),
    template: str = typer.Option(..., "--template", metavar="T", help="Template name."),
    out: Path = typer.Option(
        Path(runbooks.DEFAULT_OUT),
        "--out",
        metavar="DIR",
        help=f"Output folder (default: ./{runbooks.DEFAULT_OUT}).",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the skeleton; write and record nothing."
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Update an existing runbook (the template merged into your edits, as "
        "`runbook update`), or overwrite a file no runbook recorded if it is unedited.",
    ),
    discard_edits: bool = typer.Option(
        False,
        "--discard-edits",
        help="With --force: overwrite an edited file, keeping the old one as NAME.md.orig.",
    ),
    sets: list[str] = typer.Option(
        [], "--set", metavar="KEY=VALUE", help="A template variable (repeat for several)."
    ),
    templates: Templates = None,
    as_json: AsJson = False,
) -> None:
    """Generate a runbook skeleton: <out>/<system>/<template>.md, recorded as drafted."""
    values = runbooks.parse_sets(sets)  # before opening the database: a typo fails fast
    result = call(
        ctx,
        runbooks.generate,
        engagement,
        write=not dry_run,
        system=system,
        template=template,
        out_dir=out,
        sets=values,
        dry_run=dry_run,
        force=force,
        discard_edits=discard_edits,
        template_dirs=[templates] if templates else (),
    )
    if as_json:
        emit_json(result)
        return
    if dry_run:
        sys.stdout.write(result.text or "")
        return
    if result.update is not None:
        if result.unchanged:
            say(
                f"{result.path}: nothing changed: the file already has all that template "
                f"{result.template} v{result.update.to_version} gives (runbook #{result.id}, "
                f"{result.status}; your edits are kept)"
            )
        else:
            say(f"updated {result.path}: {runbook_update.describe(result.update)}")
        return
    if result.unchanged:
        say(
            f"{result.path} is already the skeleton (runbook #{result.id}, "
            f"{result.status}): nothing changed"
        )
        return
    verb = "regenerated" if result.regenerated else "wrote"
    kept = f"; the old file is kept as {result.kept}" if result.kept else ""
    say(
        f"{verb} {result.path} (runbook #{result.id}, drafted, "
        f"{result.placeholders} placeholder(s) to fill){kept}"
    )


@app.command("update")
def update(
    ctx: typer.Context,
    engagement: Engagement,
    ids: list[str] = typer.Argument(None, metavar="[ID]...", help="Runbooks to update."),
    every: bool = typer.Option(False, "--all", help="Every runbook of the engagement."),
    sets: list[str] = typer.Option(
        [], "--set", metavar="KEY=VALUE", help="Add or change an answer (repeat for several)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Say what each runbook would get; write nothing."
    ),
    templates: Templates = None,
    as_json: AsJson = False,
) -> None:
    """Merge improved templates into runbooks, keeping your edits (three-way)."""
    values = runbooks.parse_sets(sets)
    result = call(
        ctx,
        runbook_update.update,
        engagement,
        ids or (),
        write=not dry_run,
        every=every,
        sets=values,
        dry_run=dry_run,
        template_dirs=[templates] if templates else (),
    )
    if as_json:
        emit_json(result)
        return
    for row in result.runbooks:
        say(runbook_update.describe(row))
    if not result.runbooks:
        say("no runbooks to update")
    if dry_run:
        say("dry run: nothing written")


@app.command("list")
def list_runbooks(
    ctx: typer.Context,
    engagement: Engagement,
    as_json: AsJson = False,
) -> None:
    """Runbooks with their status and fill ratio (placeholders left in the file)."""
    if as_json:
        emit_json(call(ctx, runbooks.list_runbooks, engagement))
        return
    emit_rows(
        call(ctx, runbook_list.lines, engagement),
        False,
        COLUMNS,
        empty="no runbooks yet: generate one with `transition runbook new`",
    )


@app.command("status")
def set_status(
    ctx: typer.Context,
    engagement: Engagement,
    runbook_id: str = typer.Argument(..., metavar="RUNBOOK_ID"),
    status: str = typer.Argument(..., metavar="drafted|reviewed|validated|accepted"),
    force: bool = typer.Option(False, "--force", help="Skip a step or go back (needs --reason)."),
    reason: Reason = None,
    by: str | None = typer.Option(
        None,
        "--by",
        metavar="PERSON",
        help="Who signs the acceptance (provider side, not the author).",
    ),
    expected_version: int | None = typer.Option(
        None,
        "--expected-version",
        metavar="N",
        help="Refuse if someone changed the runbook since you read version N.",
    ),
    as_json: AsJson = False,
) -> None:
    """Move a runbook one step: drafted → reviewed → validated → accepted."""
    result = change(
        ctx,
        runbooks.set_status,
        engagement,
        runbook_id,
        status,
        force=force,
        reason=reason,
        expected_version=expected_version,
        by=by,
    )
    if as_json:
        emit_json(result)
        return
    if not result.changed:
        say(f"runbook #{result.id} is already {result.to}")
        return
    forced = " (forced)" if result.forced else ""
    signed = f", signed by {result.signed_by}" if result.signed_by else ""
    say(f"runbook #{result.id}: {result.from_} → {result.to}{forced}{signed}")
    warn([f"runbook #{result.id}: {result.warning}"] if result.warning else [])


from transition.cli import runbook_evidence as _evidence  # noqa: E402,F401  (its commands)
