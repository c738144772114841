"""``transition access grant|revoke|list|import|review``."""

from __future__ import annotations

from operator import itemgetter
from typing import Annotated

import typer

from transition.cli.lazy import lazy
from transition.cli.options import AsJson, Engagement
from transition.cli.output import emit_json_tuples, say, table_values, warn
from transition.cli.state import call, change, state

access = lazy("transition.services.access")

app = typer.Typer(help="Access grants: record, review and revoke them.", no_args_is_help=True)

#: The columns of ``access review``'s table: a finding's field and its header.
FINDING_COLUMNS = (
    ("severity", "severity"),
    ("kind", "finding"),
    ("grant_id", "grant"),
    ("person", "person"),
    ("system", "system"),
    ("message", "detail"),
)


@app.command("grant")
def grant(
    ctx: typer.Context,
    engagement: Engagement,
    person: Annotated[str, typer.Option("--person", metavar="P", help="Who gets access.")],
    system: Annotated[str, typer.Option("--system", metavar="S", help="On which system.")],
    role: Annotated[str, typer.Option("--role", metavar="R", help="Which role or group.")],
    expires: Annotated[
        str | None,
        typer.Option(
            "--expires",
            metavar="DATE",
            help="An ISO date, or a milestone such as cutover+30d or parallel-run.end.",
        ),
    ] = None,
    justification: Annotated[
        str, typer.Option("--justification", metavar="TEXT", help="Why.")
    ] = "",
) -> None:
    """Record an access grant (you are the approver)."""
    with state(ctx).session(write=True) as session:
        row = access.grant(
            session,
            engagement,
            person=person,
            system=system,
            role=role,
            expires=expires,
            justification=justification,
        )
        warnings = list(session.info.get("warnings", ()))
    until = f" until {row.expires_on}" if row.expires_on else " with no expiry"
    rule = f" ({row.expires_rule})" if row.expires_rule else ""
    say(f"granted #{row.id}: {row.role} on {system} to {person}{until}{rule}")
    warn(warnings)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    engagement: Engagement,
    grant_id: Annotated[str, typer.Argument(metavar="GRANT_ID")],
    reason: Annotated[str | None, typer.Option("--reason", metavar="TEXT", help="Why.")] = None,
) -> None:
    """Revoke a grant; its handover item resolves itself."""
    row = change(ctx, access.revoke, engagement, grant_id, reason=reason)
    say(f"revoked grant #{row.id}")


@app.command("list")
def list_grants(
    ctx: typer.Context,
    engagement: Engagement,
    active: Annotated[bool, typer.Option("--active", help="Only grants in force.")] = False,
    expiring: Annotated[
        int | None,
        typer.Option("--expiring", metavar="DAYS", help="Only grants expiring within DAYS days."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Grants, newest first."""
    with state(ctx).session() as session:
        if as_json:
            rows = access.grant_records(session, engagement, active=active, expiring_days=expiring)
            emit_json_tuples(access.GRANT_FIELDS, rows)
            return
        rows = access.grant_table(session, engagement, active=active, expiring_days=expiring)
    table_values(rows, access.GRANT_TABLE_FIELDS, empty="no grants match")


@app.command("import")
def import_csv(
    ctx: typer.Context,
    engagement: Engagement,
    path: Annotated[str, typer.Argument(metavar="FILE.csv")],
    create_missing: Annotated[
        bool,
        typer.Option(
            "--create-missing",
            help="Create unknown people (on --side) and systems (tier 2) instead of failing.",
        ),
    ] = False,
    side: Annotated[
        str,
        typer.Option("--side", metavar="SIDE", help="Side of people created by --create-missing."),
    ] = "provider",
) -> None:
    """Import grants from CSV (person,system,role,expires,justification); all or nothing."""
    result = change(
        ctx, access.import_csv, engagement, path, create_missing=create_missing, side=side
    )
    say(f"imported {result.imported} grant(s) from {path}")
    warn(result.warnings)
    if result.people_created:
        say(f"created {len(result.people_created)} person(s) on the {side} side")
    if result.systems_created:
        say(f"created {len(result.systems_created)} system(s) at tier 2")


@app.command("review")
def review(
    ctx: typer.Context,
    engagement: Engagement,
    admin_roles: Annotated[
        str | None,
        typer.Option(
            "--admin-roles",
            metavar="LIST",
            help="Comma-separated admin-like role words (default admin,owner,root,superuser "
            "or TRANSITION_ADMIN_ROLES).",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Least-privilege findings, most severe first."""
    rows = call(ctx, access.review_records, engagement, admin_roles=admin_roles)
    if as_json:
        emit_json_tuples(access.FINDING_FIELDS, rows)
        return
    shown = itemgetter(*(access.FINDING_FIELDS.index(field) for field, _ in FINDING_COLUMNS))
    headers = [header for _, header in FINDING_COLUMNS]
    table_values(list(map(shown, rows)), headers, empty="no findings")
