"""``transition system add|set|list|remove``."""

from __future__ import annotations

from typing import Annotated

import typer

from transition.cli.options import AsJson, Engagement, given
from transition.cli.output import emit_rows, say
from transition.cli.state import call, change
from transition.services import systems

app = typer.Typer(help="Systems in scope and their readiness.", no_args_is_help=True)

#: The system a command works on, by name or slug.
SystemName = Annotated[str, typer.Argument(metavar="NAME")]

COLUMNS = [
    ("slug", "system"),
    "tier",
    (lambda s: f"{s.runbooks_accepted}/{s.runbooks_required}", "runbooks ok"),
    ("access_active", "grants"),
    ("kt_signed_off", "kt signed off"),
    "ready",
    (lambda s: "KEY PERSON" if s.key_person_risk else "", "risk"),
]


@app.command("add")
def add(
    ctx: typer.Context,
    engagement: Engagement,
    name: SystemName,
    tier: str | None = typer.Option(
        None, "--tier", metavar="1|2|3", help="Criticality: 1 is most critical (default 2)."
    ),
    description: str | None = typer.Option(None, "--description", metavar="TEXT"),
) -> None:
    """Add a system to the engagement's scope."""
    system = change(ctx, systems.add, engagement, name, **given(tier=tier, description=description))
    say(f"added system {system.slug} (tier {system.tier})")


@app.command("set")
def set_(
    ctx: typer.Context,
    engagement: Engagement,
    name: SystemName,
    new_name: str | None = typer.Option(None, "--name", help="A new name (a new slug)."),
    tier: str | None = typer.Option(None, "--tier", metavar="1|2|3"),
    description: str | None = typer.Option(None, "--description", metavar="TEXT"),
) -> None:
    """Change a system's name, tier or description; prints what changed."""
    from transition.cli.engagement import said_changes

    result = change(
        ctx,
        systems.update,
        engagement,
        name,
        **given(new_name=new_name, tier=tier, description=description),
    )
    said_changes(f"system {result.system.slug}", result.changes)


@app.command("remove")
def remove(
    ctx: typer.Context,
    engagement: Engagement,
    name: SystemName,
    revoke_access: str | None = typer.Option(
        None,
        "--revoke-access",
        metavar="REASON",
        help="Revoke the system's active grants with this reason (refused without it).",
    ),
) -> None:
    """Take a system out of scope (its derived handover items retire).

    A system someone still has access to is refused (exit 1) unless --revoke-access
    revokes those grants in the same change."""
    system = change(ctx, systems.remove, engagement, name, revoke_access=revoke_access)
    say(f"removed system {system.slug}")


@app.command("list")
def list_systems(ctx: typer.Context, engagement: Engagement, as_json: AsJson = False) -> None:
    """Systems with their coverage: runbooks, access, KT, readiness, key-person risk."""
    rows = call(ctx, systems.coverage, engagement)
    emit_rows(rows, as_json, COLUMNS, empty="no systems yet: add one with `transition system add`")
    if as_json:
        return
    for row in rows:
        if row.key_person_risk:
            say(f"! key-person risk: {row.name}: {row.key_person_risk_reason}")
