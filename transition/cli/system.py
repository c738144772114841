"""``transition system add|set|list|remove|owner|topic``."""

from __future__ import annotations

from typing import Annotated

import typer

from transition.cli.lazy import lazy
from transition.cli.options import AsJson, Engagement, given
from transition.cli.output import emit_rows, say
from transition.cli.state import call, change

systems = lazy("transition.services.systems")

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


@app.command("owner")
def owner(
    ctx: typer.Context,
    engagement: Engagement,
    name: SystemName,
    person: str = typer.Argument(..., metavar="PERSON"),
    role: str = typer.Option(
        "owner", "--as", metavar="owner|sme|backup", help="The person's role on the system."
    ),
    remove: bool = typer.Option(False, "--remove", help="Take the role away instead."),
) -> None:
    """Make a person an owner, SME or backup of a system (per side: the person's side);
    runbook skeletons and key-person risk read them."""
    from transition.services import system_people

    result = change(
        ctx, system_people.set_owner, engagement, name, person, role=role, remove=remove
    )
    verb = "no longer" if result.removed else "now"
    say(f"{result.person} ({result.side}) is {verb} {result.role} of {result.system}")


@app.command("topic")
def topic(
    ctx: typer.Context,
    engagement: Engagement,
    name: SystemName,
    action: str = typer.Argument(..., metavar="add|remove"),
    title: str = typer.Argument(..., metavar="TITLE"),
) -> None:
    """Add a topic to a system's knowledge, or remove one (default topics too: one per
    runbook the playbook requires for the system's tier)."""
    from transition.errors import BadInput
    from transition.services import system_people

    if action not in ("add", "remove"):
        raise BadInput(f"invalid action {action!r}: choose add or remove")
    result = change(
        ctx, system_people.change_topic, engagement, name, title, remove=action == "remove"
    )
    verb = "removed" if result.removed else "added"
    shown = ", ".join(t.title for t in result.topics) or "none"
    say(f"{verb} topic {result.title!r} of {result.system}; its topics: {shown}")


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
    system_deps.say_kt_flags(ctx, engagement)


from transition.cli import system_deps  # noqa: E402

system_deps.register(app)
