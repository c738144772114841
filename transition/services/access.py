"""Access grants: who has which role on which system, why, and until when.

A grant is never edited in place. Revocation fills the revoked columns once (with an audit
event); an expiry given relative to a milestone (``cutover+30d``, ``parallel-run.end``) is
kept as ``expires_rule`` and re-resolved, with an audit event, when the milestone moves.
Every change keeps the exit checklist in step (``handover.reconcile``) in the same
transaction. The rules live in ``access_rules``, the review in ``access_review``, the CSV
import in ``access_import``; this module is the one the rest of the tool imports.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, String, bindparam, case, cast, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from transition.dates import MAX_YEAR, today, utcnow
from transition.db import unique_violation
from transition.errors import BadInput, Refused, about
from transition.guard import no_secrets
from transition.models import AccessGrant, Engagement, Person, System
from transition.services import audit, handover, textmatch
from transition.services.access_import import CSV_COLUMNS, MAX_CSV_BYTES, GrantRow, import_csv
from transition.services.access_review import (
    high_finding_counts,
    high_findings,
    review,
    review_records,
)
from transition.services.access_rules import (
    DEFAULT_ADMIN_ROLES,
    SEVERITY_ORDER,
    admin_role_words,
    already_holds,
    clean_role,
    grant_changes,
    is_admin_like,
    phases_of,
    recorded_anyway,
    released,
    resolve_expiry,
    role_key,
    status_of,
    warn,
)
from transition.services.common import (
    EngagementRef,
    check_version,
    engagement_of,
    first_or_missing,
    get_person,
    get_system,
    row_id_of,
)
from transition.services.views.access import FindingView, GrantView, ImportResult
from transition.services.views.base import records
from transition.text import clean_text
from transition.workdays import Calendar

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_ADMIN_ROLES",
    "MAX_CSV_BYTES",
    "SEVERITY_ORDER",
    "FindingView",
    "GrantRow",
    "GrantView",
    "ImportResult",
    "admin_role_words",
    "grant",
    "grant_records",
    "high_finding_counts",
    "high_findings",
    "import_csv",
    "is_admin_like",
    "list_grants",
    "on_milestones_changed",
    "released",
    "resolve_expiry",
    "review",
    "review_records",
    "revoke",
    "role_key",
    "status_of",
    "warn",
]

#: The columns of a grant as ``access list`` shows it, in one query with its names.
_COLUMNS = (
    AccessGrant.id,
    Person.name.label("person"),
    Person.side.label("side"),
    System.name.label("system"),
    AccessGrant.role,
    AccessGrant.justification,
    AccessGrant.approver,
    AccessGrant.granted_at,
    AccessGrant.expires_on,
    AccessGrant.expires_rule,
    AccessGrant.revoked_at,
    AccessGrant.revoked_by,
    AccessGrant.revoke_reason,
    AccessGrant.version,
)


def _view(row: Any, now: date, **names: str) -> GrantView:
    """A grant (a row of ``_COLUMNS``, or the ORM row with ``person``, ``side`` and
    ``system`` given) as its read model."""
    data = (
        dict(row._mapping)
        if hasattr(row, "_mapping")
        else {c.key: getattr(row, c.key) for c in _COLUMNS if c.key not in names}
    )
    data.update(names)
    data["status"] = status_of(data["revoked_at"], data["expires_on"], now)
    return GrantView.model_validate(data)


# --------------------------------------------------------------------------- verbs


def grant(
    session: Session,
    engagement: EngagementRef,
    *,
    person: str,
    system: str,
    role: str,
    expires: str | date | None = None,
    justification: str = "",
) -> GrantView:
    """Record a new grant; the approver is the acting user. ``expires``: a date, as typed
    (``2026-12-31``) or as a milestone (``cutover+30d``, ``parallel-run.end``); empty for
    none.

    Refused (exit 1): an identical grant (same person, system and role, compared by
    ``role_key``) still in force, also when a concurrent writer recorded it first (the
    partial unique index ``uq_grant_in_force`` decides).

    Recorded with a warning (``session.info["warnings"]``), because recording access that
    exists is how it gets revoked: a person already released; an expiry already past.
    ``access review`` then lists the grant as a high finding until it is revoked."""
    engagement = engagement_of(session, engagement)
    with about("role"):
        role = clean_role(role)
    key = role_key(role)
    with about("justification"):
        justification = clean_text(justification or "", "the justification").strip()
        no_secrets(justification, "the justification")
    with about("person"):
        who = get_person(session, engagement, person)
    with about("system"):
        target = get_system(session, engagement, system)
    if isinstance(expires, date):
        expires = expires.isoformat()
    with about("expires"):
        expires_on, rule = resolve_expiry(
            phases_of(session, engagement), expires, Calendar.of(engagement)
        )
    now = today()
    existing = session.execute(
        select(AccessGrant.id, AccessGrant.role).where(
            AccessGrant.person_id == who.id,
            AccessGrant.system_id == target.id,
            AccessGrant.role_key == key,
            AccessGrant.revoked_at.is_(None),
        )
    ).first()
    if existing is not None:
        message = already_holds(who.name, existing.role, target.name, existing.id)
        raise Refused(message, field="role")
    row = AccessGrant(
        engagement_id=engagement.id,
        person_id=who.id,
        system_id=target.id,
        role=role,
        role_key=key,
        justification=justification,
        approver=audit.actor(session),
        granted_at=utcnow(),
        expires_on=expires_on,
        expires_rule=rule,
    )
    names = {"person": who.name, "side": who.side, "system": target.name}
    release = who.release_date  # a failed flush expires the rows
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        # A concurrent writer recorded the same grant after the check above (PostgreSQL:
        # this insert waited for it to commit). The transaction is void; nothing is saved.
        if unique_violation(exc) is None:
            raise
        message = already_holds(names["person"], role, names["system"], None)
        raise Refused(message, field="role") from None
    view = _view(row, now, **names)
    for problem in recorded_anyway(who.name, release, expires_on, now):
        warn(session, f"grant #{row.id}: {problem}")
    events = grant_changes(row.id, who.name, target.name, role, expires_on, rule, justification)
    handover.reconcile(session, engagement, grants=[row.id], events=events)
    return view


def _grant_row(session: Session, engagement: Engagement, grant_id: int | str) -> Any:
    """The grant ``grant_id`` of ``engagement`` with its person's and system's names, in
    one query: (AccessGrant, person, side, system)."""
    ident = row_id_of(grant_id, "grant", engagement)
    return first_or_missing(
        session,
        select(AccessGrant, Person.name, Person.side, System.name)
        .join(Person, Person.id == AccessGrant.person_id)
        .join(System, System.id == AccessGrant.system_id)
        .where(AccessGrant.id == ident, AccessGrant.engagement_id == engagement.id),
        f"unknown grant {grant_id} in {engagement.slug}",
    )


def revoke(
    session: Session,
    engagement: EngagementRef,
    grant_id: int | str,
    *,
    reason: str | None = None,
    expected_version: int | None = None,
) -> GrantView:
    """Revoke a grant (once); its handover revoke item resolves in the same transaction.
    ``expected_version``: the version the caller read (a change since is refused)."""
    engagement = engagement_of(session, engagement)
    with about("reason"):
        reason = no_secrets(clean_text(reason or "", "the reason"), "the reason") or None
    row, person, side, system = _grant_row(session, engagement, grant_id)
    check_version(session, row, expected_version, "access_grant", str(row.id))
    if row.revoked_at is not None:
        raise Refused(
            f"grant {row.id} was already revoked by {row.revoked_by} on {row.revoked_at:%Y-%m-%d}"
        )
    row.revoked_at = utcnow()
    row.revoked_by = audit.actor(session)
    row.revoke_reason = reason
    session.add(row)
    session.flush()
    view = _view(row, today(), person=person, side=side, system=system)
    changes = [audit.Change("access_grant", row.id, "revoke", "revoked_at", None, row.revoked_at)]
    if reason:
        changes.append(
            audit.Change("access_grant", row.id, "revoke", "revoke_reason", None, reason)
        )
    handover.reconcile(session, engagement, grants=[row.id], events=changes)
    return view


#: What the grant list can be sorted by (the Access tab's columns).
GRANT_SORTS = ("id", "person", "system", "role", "expires", "status", "why")


def list_grants(
    session: Session,
    engagement: EngagementRef,
    *,
    active: bool = False,
    expiring_days: int | None = None,
    text: str | None = None,
    sort: str | None = None,
    descending: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[GrantView]:
    """Grants, newest first, in one query. ``active``: neither revoked nor past expiry.
    ``expiring_days``: not revoked, expiring between today and N days ahead. ``text``:
    every word of it in the grant's number, person, system, role, expiry (``never``),
    status or justification (any case, any script). ``sort``: one of ``GRANT_SORTS``
    (empty values last), else newest first."""
    now = today()
    stmt = _grants_statement(
        session, engagement, active, expiring_days, limit, offset, now, text, sort, descending
    )
    return [_view(row, now) for row in session.execute(stmt)]


def grant_records(
    session: Session,
    engagement: EngagementRef,
    *,
    active: bool = False,
    expiring_days: int | None = None,
) -> Iterator[dict[str, object]]:
    """``list_grants`` as plain rows in ``GrantView`` field order, read as they are printed
    (``access list --json``; dates and timestamps as their ISO text): one query, no model
    per row. The statement runs now (an unknown engagement or a bad filter is refused
    before anything is printed)."""
    now = today()
    stmt = _grants_statement(session, engagement, active, expiring_days, None, 0, now)
    result = session.connection().execute(stmt)
    keys = tuple(result.keys())
    at = keys.index("revoked_at"), keys.index("expires_on")

    def rows() -> Iterator[dict[str, Any]]:
        for chunk in result.partitions(1000):  # fetched a thousand at a time, not one by one
            for values in chunk:
                row = dict(zip(keys, values, strict=True))
                revoked, expires = values[at[0]], values[at[1]]
                row["status"] = status_of(revoked, expires, now)
                # dates and timestamps as the JSON text they print as
                row["granted_at"] = row["granted_at"].isoformat()
                if expires is not None:
                    row["expires_on"] = expires.isoformat()
                if revoked is not None:
                    row["revoked_at"] = revoked.isoformat()
                yield row

    # The columns are the view's fields in its order, status last: the rows print as read.
    return (
        rows() if (*keys, "status") == tuple(GrantView.model_fields) else records(GrantView, rows())
    )


def _grants_statement(
    session: Session,
    engagement: EngagementRef,
    active: bool,
    expiring_days: int | None,
    limit: int | None,
    offset: int,
    now: date,
    text: str | None = None,
    sort: str | None = None,
    descending: bool = False,
) -> Select:
    engagement = engagement_of(session, engagement)
    status = case(
        (AccessGrant.revoked_at.is_not(None), "revoked"),
        (AccessGrant.expires_on < now, "expired"),
        else_="active",
    )
    columns = {
        "id": AccessGrant.id,
        "person": textmatch.folded(Person.name),
        "system": textmatch.folded(System.name),
        "role": textmatch.folded(AccessGrant.role),
        "expires": AccessGrant.expires_on,
        "status": status,
        "why": textmatch.folded(AccessGrant.justification),
    }
    order = [*textmatch.ordering(sort, descending, columns, "grants"), AccessGrant.id.desc()]
    stmt = (
        select(*_COLUMNS)
        .join(Person, Person.id == AccessGrant.person_id)
        .join(System, System.id == AccessGrant.system_id)
        .where(AccessGrant.engagement_id == engagement.id)
        .order_by(*order)
        .offset(offset)
    )
    if text:
        stmt = stmt.where(
            textmatch.matches(
                text,
                AccessGrant.id,
                Person.name,
                System.name,
                AccessGrant.role,
                func.coalesce(cast(AccessGrant.expires_on, String), "never"),
                status,
                AccessGrant.justification,
            )
        )
    if active or expiring_days is not None:
        stmt = stmt.where(AccessGrant.revoked_at.is_(None))
    if active:
        stmt = stmt.where((AccessGrant.expires_on.is_(None)) | (AccessGrant.expires_on >= now))
    if expiring_days is not None:
        if expiring_days < 0:
            raise BadInput("--expiring takes a number of days, 0 or more", field="expiring_days")
        # No accepted date lies past MAX_YEAR: a longer window means "every expiry ahead".
        days = min(expiring_days, (date(MAX_YEAR, 12, 31) - now).days)
        stmt = stmt.where(
            AccessGrant.expires_on >= now,
            AccessGrant.expires_on <= now + timedelta(days=days),
        )
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt


def on_milestones_changed(session: Session, engagement: EngagementRef) -> int:
    """Re-resolve milestone-relative expiries of grants still in force; one audit event per
    grant whose date moved. Returns how many moved."""
    engagement = engagement_of(session, engagement)
    rows = session.execute(
        select(AccessGrant.id, AccessGrant.expires_rule, AccessGrant.expires_on).where(
            AccessGrant.engagement_id == engagement.id,
            AccessGrant.revoked_at.is_(None),
            AccessGrant.expires_rule.is_not(None),
        )
    ).all()
    if not rows:
        return 0
    phases = phases_of(session, engagement)
    moved = []
    for gid, rule, current in rows:
        try:
            resolved = resolve_expiry(phases, rule, Calendar.of(engagement))[0]
        except BadInput:
            continue  # the rule names a phase this engagement no longer has: keep the date
        if resolved != current:
            moved.append((gid, rule, current, resolved))
    if not moved:
        return 0
    table = AccessGrant.__table__
    session.execute(
        update(table)
        .where(table.c.id == bindparam("gid"))
        .values(expires_on=bindparam("new"), version=table.c.version + 1),
        [{"gid": gid, "new": new} for gid, _, _, new in moved],
    )
    audit.record_many(
        session,
        engagement.id,
        [
            audit.Change("access_grant", gid, "reschedule", "expires_on", old, f"{new} ({rule})")
            for gid, rule, old, new in moved
        ],
    )
    for obj in list(session.identity_map.values()):
        if isinstance(obj, AccessGrant):
            session.expire(obj)
    return len(moved)
