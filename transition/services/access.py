"""Access grants: who has which role on which system, why, and until when.

A grant is never edited in place. Revocation fills the revoked columns once (with an audit
event); an expiry given relative to a milestone (``cutover+30d``, ``parallel-run.end``) is
kept as ``expires_rule`` and re-resolved, with an audit event, when the milestone moves.
Every change keeps the exit checklist in step (``handover.reconcile``) in the same
transaction. The rules live in ``access_rules``, the list in ``access_list``, the review in
``access_review``, the CSV import in ``access_import``; this module is the one the rest of
the tool imports.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from transition.dates import today, utcnow
from transition.errors import BadInput, Refused, about
from transition.guard import no_secrets
from transition.models import AccessGrant, Engagement, Person, System
from transition.services import audit
from transition.services.access_list import COLUMNS as _COLUMNS  # noqa: F401 (inspectors)
from transition.services.access_list import (
    GRANT_FIELDS,
    GRANT_SORTS,
    GRANT_TABLE_FIELDS,
    grant_records,
    grant_table,
    list_grants,
)
from transition.services.access_list import (
    view as _view,
)
from transition.services.access_review import (
    FINDING_FIELDS,
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
from transition.text import clean_text
from transition.unique_names import unique_violation
from transition.workdays import Calendar

if TYPE_CHECKING:  # the CSV import loads when it is used (``__getattr__``)
    from transition.services.access_import import (
        CSV_COLUMNS,
        MAX_CSV_BYTES,
        GrantRow,
        import_csv,
    )

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_ADMIN_ROLES",
    "FINDING_FIELDS",
    "GRANT_FIELDS",
    "GRANT_SORTS",
    "GRANT_TABLE_FIELDS",
    "MAX_CSV_BYTES",
    "SEVERITY_ORDER",
    "FindingView",
    "GrantRow",
    "GrantView",
    "ImportResult",
    "admin_role_words",
    "grant",
    "grant_records",
    "grant_table",
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

#: Names of the CSV import, loaded on first use: reading grants does not need it.
_IMPORT_NAMES = ("CSV_COLUMNS", "MAX_CSV_BYTES", "GrantRow", "import_csv")


def __getattr__(name: str) -> Any:
    if name in _IMPORT_NAMES:
        from transition.services import access_import

        return getattr(access_import, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    from transition.services import handover

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
    from transition.services import handover

    handover.reconcile(session, engagement, grants=[row.id], events=changes)
    return view


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
