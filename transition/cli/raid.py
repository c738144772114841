"""``transition raid add|list|set|close|reopen|link``: the RAID log."""

from __future__ import annotations

from typing import Annotated

import typer

from transition.cli.lazy import lazy
from transition.cli.options import AsJson, Engagement, given
from transition.cli.output import emit_rows, say
from transition.cli.state import call, change

raid = lazy("transition.services.raid")

app = typer.Typer(
    help="The RAID log: risks, assumptions, issues, dependencies and decisions.",
    no_args_is_help=True,
)

#: An entry by its readable id.
Ref = Annotated[str, typer.Argument(metavar="ID", help="The entry's id (R-3, DEC-1…).")]
Title = typer.Option(None, "--title", metavar="T")
Owner = typer.Option(None, "--owner", metavar="P", help="Who owns it (a person).")
Party = typer.Option(None, "--party", metavar="client|incumbent|provider")
Probability = typer.Option(None, "--probability", metavar="1-5", help="Risks: how likely.")
Impact = typer.Option(None, "--impact", metavar="1-5", help="Risks: how bad.")
Due = typer.Option(None, "--due", metavar="DATE")
Mitigation = typer.Option(None, "--mitigation", metavar="TEXT")

#: Longer titles end in "…" in the table (``--json`` has them whole).
TITLE_CHARS = 80

COLUMNS = [
    ("ref", "id"),
    (
        lambda r: r.title if len(r.title) <= TITLE_CHARS else r.title[: TITLE_CHARS - 1] + "…",
        "title",
    ),
    (lambda r: r.score, "score"),
    "owner",
    "party",
    "due",
    "status",
    (lambda r: ", ".join(f"{link.kind} {link.name}" for link in r.links), "links"),
]


def _said(prefix: str, result: raid.RaidChange) -> None:
    if not result.changes:
        say(f"{result.item.ref}: nothing changed")
        return
    say(f"{prefix} {result.item.ref}:")
    for field, (before, after) in result.changes.items():
        say(f"  {field}: {before or '(none)'} → {after or '(none)'}")


@app.command("add")
def add(
    ctx: typer.Context,
    engagement: Engagement,
    kind: str = typer.Option(..., "--type", metavar="risk|assumption|issue|dependency|decision"),
    title: str = typer.Option(..., "--title", metavar="T"),
    owner: str | None = Owner,
    party: str | None = Party,
    probability: int | None = Probability,
    impact: int | None = Impact,
    due: str | None = Due,
    mitigation: str | None = Mitigation,
) -> None:
    """Add an entry; prints its id (R-1, A-1, I-1, D-1, DEC-1: per kind)."""
    item = change(
        ctx,
        raid.add,
        engagement,
        kind=kind,
        title=title,
        **given(
            owner=owner,
            party=party,
            probability=probability,
            impact=impact,
            due=due,
            mitigation=mitigation,
        ),
    )
    score = f" (score {item.score})" if item.score is not None else ""
    say(f"added {item.kind} {item.ref}: {item.title}{score}")


@app.command("list")
def list_items(
    ctx: typer.Context,
    engagement: Engagement,
    kind: str | None = typer.Option(None, "--type", metavar="T", help="Only this kind."),
    open_only: bool = typer.Option(False, "--open", help="Only entries still open."),
    as_json: AsJson = False,
) -> None:
    """The RAID log by kind and id, with risk scores (probability × impact) and links."""
    rows = call(ctx, raid.items, engagement, kind=kind, open_only=open_only)
    emit_rows(rows, as_json, COLUMNS, empty="no RAID entries: add one with `transition raid add`")


@app.command("set")
def set_(
    ctx: typer.Context,
    engagement: Engagement,
    ref: Ref,
    title: str | None = Title,
    owner: str | None = Owner,
    party: str | None = Party,
    probability: int | None = Probability,
    impact: int | None = Impact,
    due: str | None = Due,
    mitigation: str | None = Mitigation,
) -> None:
    """Change an entry's fields (an empty value clears --owner, --party or --due)."""
    result = change(
        ctx,
        raid.update,
        engagement,
        ref,
        **given(
            title=title,
            owner=owner,
            party=party,
            probability=probability,
            impact=impact,
            due=due,
            mitigation=mitigation,
        ),
    )
    _said("changed", result)


@app.command("close")
def close(
    ctx: typer.Context,
    engagement: Engagement,
    ref: Ref,
    resolution: str = typer.Option(..., "--resolution", metavar="TEXT"),
) -> None:
    """Close an entry with a written resolution."""
    result = change(ctx, raid.close, engagement, ref, resolution=resolution)
    say(f"closed {result.item.ref}: {result.item.resolution}")


@app.command("reopen")
def reopen(
    ctx: typer.Context,
    engagement: Engagement,
    ref: Ref,
    reason: str = typer.Option(..., "--reason", metavar="TEXT"),
) -> None:
    """Open a closed entry again (a closed entry is not changed until it is reopened)."""
    result = change(ctx, raid.reopen, engagement, ref, reason=reason)
    _said("reopened", result)


@app.command("link")
def link(
    ctx: typer.Context,
    engagement: Engagement,
    ref: Ref,
    system: str | None = typer.Option(None, "--system", metavar="S"),
    person: str | None = typer.Option(None, "--person", metavar="P"),
    task: str | None = typer.Option(None, "--task", metavar="KEY"),
    remove: bool = typer.Option(False, "--remove", help="Unlink instead."),
) -> None:
    """Link an entry to a system, a person or a task (the system inspector shows them)."""
    result = change(
        ctx, raid.link, engagement, ref, system=system, person=person, task=task, remove=remove
    )
    ((kind, (before, after)),) = result.changes.items()
    verb = "unlinked" if remove else "linked"
    say(f"{verb} {result.item.ref} {'from' if remove else 'to'} {kind} {after or before}")
