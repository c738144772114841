"""``transition handover show|sync|export|import|upgrade|done|reopen``."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from typing import Annotated

import typer

from transition.cli.lazy import lazy
from transition.cli.options import AsJson, DryRun, Engagement, Output
from transition.cli.output import emit_document, emit_json, say
from transition.cli.state import call, change

handover = lazy("transition.services.handover")

app = typer.Typer(help="The exit-handover checklist, kept in step.", no_args_is_help=True)

MARK = {"open": "[ ]", "done": "[x]", "resolved": "[x]", "retired": "[-]"}

#: The item a command ticks, by id or key.
Item = Annotated[str, typer.Argument(metavar="ITEM_ID", help="Item id or key.")]


@app.command("show")
def show(
    ctx: typer.Context,
    engagement: Engagement,
    open_only: bool = typer.Option(False, "--open", help="Only items still open."),
    as_json: AsJson = False,
) -> None:
    """The exit checklist by section, derived items included, with due dates (from the
    notice and exit dates) and the exit-readiness figure."""
    from transition.services import exit_readiness

    if as_json:
        rows, ready = call(ctx, exit_readiness.checklist, engagement)
        emit_json([r for r in rows if r.status == "open"] if open_only else rows)
        return
    lines, ready = call(ctx, exit_readiness.outline, engagement)
    if open_only:
        lines = [r for r in lines if r.status == "open"]
    if not lines:
        say("no handover items")
        return
    out = []
    section = None
    # What follows an item's title depends on a few values shared by thousands of items.
    tails: dict[tuple, tuple[str, str]] = {}
    for ident, in_section, section_title, title, owner, status, due_date, overdue in lines:
        if in_section != section:
            if section is not None:
                out.append("")
            section = in_section
            out.append(f"{section_title or section}")
        key = (status, owner, due_date, overdue)
        tail = tails.get(key)
        if tail is None:
            shown = "" if status in ("open", "done") else f" [{status}]"
            shown += f"  ({owner})" if owner else ""
            shown += f"  due {due_date.isoformat()}" if due_date else ""
            shown += " OVERDUE" if overdue else ""
            tail = tails[key] = (MARK.get(status, "[ ]"), shown)
        out.append(f"  {tail[0]} {ident:>4} {title}{tail[1]}")
    counts = Counter(row.status for row in lines)
    out.append("")
    out.append(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    out.append(ready.describe())
    sys.stdout.write("\n".join(out) + "\n")


@app.command("sync")
def sync(ctx: typer.Context, engagement: Engagement, as_json: AsJson = False) -> None:
    """Reconcile derived items with their grants, systems and runbooks."""
    result = change(ctx, handover.sync, engagement)
    if as_json:
        emit_json(result)
        return
    say(result.describe() or "handover checklist already in step: nothing changed")


@app.command("export")
def export(
    ctx: typer.Context,
    engagement: Engagement,
    output: Output = None,
    name: str | None = typer.Option(None, "--name", metavar="NAME", help="Checklist name."),
) -> None:
    """The checklist's own items as a reusable checklist YAML."""
    emit_document(call(ctx, handover.export_checklist, engagement, name=name), output)


@app.command("import")
def import_checklist(
    ctx: typer.Context,
    engagement: Engagement,
    path: str = typer.Argument(..., metavar="FILE"),
) -> None:
    """Add a saved checklist's items (keys already present are skipped)."""
    result = change(ctx, handover.import_checklist, engagement, path)
    say(
        f"checklist {result.checklist}: added {result.added} item(s), "
        f"skipped {result.skipped} already present"
    )
    for item in result.differs:
        verb = "differs" if len(item.fields) == 1 else "differ"
        say(f"  {item.key}: {', '.join(item.fields)} {verb} here; left as they are")
    if result.differs:
        say(
            f"{len(result.differs)} item(s) differ: to apply a newer version of a checklist, "
            f"use `transition handover upgrade {engagement} --to {path}`"
        )
    if result.applied:
        say(f"{engagement} now follows checklist {result.checklist}")


@app.command("upgrade")
def upgrade(
    ctx: typer.Context,
    engagement: Engagement,
    to: str | None = typer.Option(
        None,
        "--to",
        metavar="NAME_OR_PATH",
        help="The newer checklist (default: the newest of the one it follows).",
    ),
    dry_run: DryRun = False,
) -> None:
    """Apply a newer version of the exit checklist three-way: local changes kept,
    conflicts listed, dropped items removed only if untouched."""
    from transition.services import handover_upgrade as service

    result = change(ctx, service.upgrade, engagement, to=to, dry_run=dry_run)
    if result.from_version == result.to_version and not result.steps:
        say(f"{engagement} already follows {result.checklist} v{result.to_version}: nothing to do")
        return
    was = f"v{result.from_version}" if result.from_version else "unrecorded version"
    say(f"checklist {result.checklist}: {was} -> v{result.to_version}")
    if not result.recorded:
        say(
            "no record of the checklist as applied: the items as they are stand in for it "
            "(an item whose text differs is kept and listed)"
        )
    for line in service.describe(result):
        say(f"  {line}")
    say(service.summary(result))
    if dry_run:
        say("nothing written (dry run)")


def _ticking(status: str, summary: str, note_help: str) -> Callable[..., None]:
    """The command that sets an item to ``status`` (``done``, ``reopen``)."""

    def command(
        ctx: typer.Context,
        engagement: Engagement,
        item: Item,
        note: str | None = typer.Option(None, "--note", metavar="TEXT", help=note_help),
    ) -> None:
        row = change(ctx, handover.set_item_status, engagement, item, status, note=note)
        say(f"item {row.id} {row.key}: {row.status}")

    command.__doc__ = summary
    return command


app.command("done")(_ticking("done", "Tick a checklist item done.", "Evidence."))
app.command("reopen")(_ticking("open", "Set a ticked checklist item back to open.", "Why."))


def _pack() -> None:
    from transition.cli import handover_pack

    handover_pack.register(app)


_pack()
