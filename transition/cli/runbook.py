"""``transition runbook templates|new|list|status``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from transition.cli.output import emit_json, say, table
from transition.cli.state import state
from transition.services import runbooks
from transition.services.common import get_engagement

NAME = "runbook"
app = typer.Typer(
    help="Runbook skeletons from templates, and how finished each one is.", no_args_is_help=True
)

_TEMPLATES_HELP = (
    "Folder of your own templates (NAME.md.j2), searched before the shipped ones "
    "(default: TRANSITION_TEMPLATES)."
)


@app.command("templates")
def list_templates(
    templates: str | None = typer.Option(None, "--templates", metavar="DIR", help=_TEMPLATES_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Shipped and user templates with their descriptions and variables."""
    from transition import templates as tpl

    infos = tpl.available([templates] if templates else ())
    if as_json:
        emit_json([i.as_dict() for i in infos])
        return
    rows = [
        {
            "name": i.name,
            "source": i.source,
            "title": i.title,
            "options": [v for v in i.variables if v not in runbooks.BUILTIN],
            "description": i.description,
        }
        for i in infos
    ]
    table(
        rows,
        [
            ("name", "template"),
            ("source", "source"),
            ("title", "title"),
            ("options", "--set"),
            ("description", "description"),
        ],
        empty="no templates found",
    )


@app.command("new")
def new(
    ctx: typer.Context,
    engagement: str = typer.Argument(..., metavar="ENG"),
    system: str = typer.Option(..., "--system", metavar="S", help="The system it is for."),
    template: str = typer.Option(..., "--template", metavar="T", help="Template name."),
    out: Path = typer.Option(
        Path("runbooks"), "--out", metavar="DIR", help="Output folder (default: ./runbooks)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the skeleton; write and record nothing."
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Regenerate an existing runbook or file; refused if the file has been edited.",
    ),
    discard_edits: bool = typer.Option(
        False,
        "--discard-edits",
        help="With --force: overwrite an edited file, keeping the old one as NAME.md.orig.",
    ),
    sets: list[str] = typer.Option(
        [], "--set", metavar="KEY=VALUE", help="A template variable (repeat for several)."
    ),
    templates: str | None = typer.Option(None, "--templates", metavar="DIR", help=_TEMPLATES_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Generate a runbook skeleton: <out>/<system>/<template>.md, recorded as drafted."""
    values = runbooks.parse_sets(sets)
    with state(ctx).session(write=not dry_run) as session:
        result = runbooks.generate(
            session,
            get_engagement(session, engagement),
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
        sys.stdout.write(result["text"])
        return
    if result.get("unchanged"):
        say(
            f"{result['path']} is already the skeleton (runbook #{result['id']}, "
            f"{result['status']}): nothing changed"
        )
        return
    verb = "regenerated" if result["regenerated"] else "wrote"
    kept = f"; the old file is kept as {result['kept']}" if result.get("kept") else ""
    say(
        f"{verb} {result['path']} (runbook #{result['id']}, drafted, "
        f"{result['placeholders']} placeholder(s) to fill){kept}"
    )


@app.command("list")
def list_runbooks(
    ctx: typer.Context,
    engagement: str = typer.Argument(..., metavar="ENG"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Runbooks with their status and fill ratio (placeholders left in the file)."""
    with state(ctx).session() as session:
        rows = runbooks.list_runbooks(session, get_engagement(session, engagement))
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        if row["file_missing"]:
            row["filled"] = "file missing"
        else:
            row["filled"] = (
                f"{round(row['fill_ratio'] * 100)}% "
                f"({row['placeholders_left']}/{row['placeholders_total']} left)"
            )
    table(
        rows,
        [
            ("id", "id"),
            ("system", "system"),
            ("template", "template"),
            ("status", "status"),
            ("filled", "filled"),
            ("path", "path"),
        ],
        empty="no runbooks yet: generate one with `transition runbook new`",
    )


@app.command("status")
def set_status(
    ctx: typer.Context,
    engagement: str = typer.Argument(..., metavar="ENG"),
    runbook_id: str = typer.Argument(..., metavar="RUNBOOK_ID"),
    status: str = typer.Argument(..., metavar="drafted|reviewed|validated|accepted"),
    force: bool = typer.Option(False, "--force", help="Skip a step or go back (needs --reason)."),
    reason: str | None = typer.Option(
        None, "--reason", metavar="TEXT", help="Why (kept in the audit log)."
    ),
    expected_version: int | None = typer.Option(
        None,
        "--expected-version",
        metavar="N",
        help="Refuse if someone changed the runbook since you read version N.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the change as JSON."),
) -> None:
    """Move a runbook one step: drafted → reviewed → validated → accepted."""
    with state(ctx).session(write=True) as session:
        result = runbooks.set_status(
            session,
            get_engagement(session, engagement),
            runbook_id,
            status,
            force=force,
            reason=reason,
            expected_version=expected_version,
        )
    if as_json:
        emit_json(result)
        return
    if not result["changed"]:
        say(f"runbook #{result['id']} is already {result['to']}")
        return
    forced = " (forced)" if result["forced"] else ""
    say(f"runbook #{result['id']}: {result['from']} → {result['to']}{forced}")
