"""``access review``: least-privilege findings, for one engagement or counted for many."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from operator import itemgetter
from typing import Any, TypedDict

from sqlalchemy import and_, false, func, or_, select
from sqlmodel import Session

from transition.dates import today
from transition.models import AccessGrant, Engagement, KTParticipant, KTSession, Person, System
from transition.services.access_rules import SEVERITY_ORDER, admin_role_words, is_admin_like
from transition.services.common import EngagementRef, engagement_of
from transition.services.views.access import FindingView

#: The fields of a row of ``review_records``: ``FindingView``'s, in its order.
FINDING_FIELDS = tuple(FindingView.model_fields)


def review(
    session: Session,
    engagement: EngagementRef,
    *,
    admin_roles: str | list[str] | tuple[str, ...] | None = None,
) -> list[FindingView]:
    """Least-privilege findings, most severe first, in three queries:

    - high: admin-like role without a justification; grant still in force for a person
      past their release date; grant past its expiry and not revoked;
    - medium: grant with no expiry; provider person presenting or attending KT on a
      system they have no active grant on; grant expiring after its holder's release date
      or after the engagement's exit date (once it has one); an incumbent
      released within ``TRANSITION_RELEASE_WARNING_DAYS`` (14) days who is not ready.
    """
    return [FindingView(**f) for f in _review(session, engagement, admin_roles)]


def review_records(
    session: Session,
    engagement: EngagementRef,
    *,
    admin_roles: str | list[str] | tuple[str, ...] | None = None,
) -> list[tuple[Any, ...]]:
    """``review`` as plain rows of the values of ``FINDING_FIELDS`` (``access review``
    prints them as they are, with no model per finding)."""
    values = itemgetter(*FINDING_FIELDS)
    return [values(f) for f in _review(session, engagement, admin_roles)]


def _review(
    session: Session,
    engagement: EngagementRef,
    admin_roles: str | list[str] | tuple[str, ...] | None,
) -> list[dict[str, Any]]:
    engagement = engagement_of(session, engagement)
    words = admin_role_words(admin_roles)
    return _findings(session, [engagement.id], words).get(engagement.id, [])


def high_finding_counts(session: Session, engagement_ids: list[int]) -> dict[int, int]:
    """Open high findings per engagement, for many engagements in a fixed number of queries.

    The same findings as ``review`` counts as high, counted in the database: grants past
    their expiry, grants of released people still in force, and admin-like grants without a
    justification (only the grants whose role is admin-like are read)."""
    if not engagement_ids:
        return {}
    now = today()
    words = admin_role_words(None)
    live = (AccessGrant.engagement_id.in_(engagement_ids), AccessGrant.revoked_at.is_(None))
    counts: dict[int, int] = defaultdict(int)
    expired = select(AccessGrant.engagement_id, func.count()).where(
        *live, AccessGrant.expires_on < now
    )
    released = (
        select(AccessGrant.engagement_id, func.count())
        .join(Person, Person.id == AccessGrant.person_id)
        .where(
            *live,
            Person.release_date < now,
            or_(AccessGrant.expires_on.is_(None), AccessGrant.expires_on >= now),
        )
    )
    for query in (expired, released):
        for eid, n in session.execute(query.group_by(AccessGrant.engagement_id)):
            counts[eid] += n
    roles = session.execute(select(AccessGrant.role).where(*live).distinct()).scalars()
    admin = [role for role in roles if is_admin_like(role, words)]
    if admin:
        for eid, justification in session.execute(
            select(AccessGrant.engagement_id, AccessGrant.justification).where(
                *live, AccessGrant.role.in_(admin)
            )
        ):
            if not justification.strip():
                counts[eid] += 1
    return dict(counts)


def _findings(
    session: Session, engagement_ids: list[int], words: tuple[str, ...], *, medium: bool = True
) -> dict[int, list[dict[str, Any]]]:
    """The findings of the engagements; without ``medium``, only those that can be high
    are looked for (what ``high_findings`` needs, in fewer queries)."""
    now = today()
    by_engagement: dict[int, list[dict[str, Any]]] = defaultdict(list)
    live = (AccessGrant.engagement_id.in_(engagement_ids), AccessGrant.revoked_at.is_(None))
    # Only the grants that can give a finding are read: the rest of a large engagement's
    # grants (in force, with an expiry, an ordinary role) are passed over in the database.
    # (read through the session, which writes any pending change first; then plain rows)
    roles = session.execute(select(AccessGrant.role).where(*live).distinct()).scalars()
    admin = [role for role in roles if is_admin_like(role, words)]
    expires = AccessGrant.expires_on
    can_find = [
        expires.is_(None),
        expires < now,
        Person.release_date < now,
        (Person.released_on.is_(None)) & (expires > Person.release_date),
        AccessGrant.role.in_(admin),
    ]
    # The engagement's exit date, once it records one: provider grants outlive the
    # transition plan on purpose, but none should outlive the exit.
    if medium:
        can_find.append(expires > Engagement.exit_date)
    conn = session.connection()
    for row in conn.execute(
        grant_rows()
        .add_columns(Engagement.exit_date)
        .join(Engagement, Engagement.id == AccessGrant.engagement_id)
        .where(*live, or_(*can_find))
    ).all():
        end = row.exit_date if medium else None
        by_engagement[row.engagement_id].extend(grant_findings(row, now, words, end))
    if not medium:
        return dict(by_engagement)
    # A provider person in KT on a system they hold no grant in force on (revoked or
    # expired grants do not count). Person and system are the engagement's, and so are
    # their grants: looked up by the pair's index, not by the engagement's grants.
    held = (
        select(AccessGrant.id)
        .where(
            AccessGrant.revoked_at.is_(None),
            AccessGrant.person_id == KTParticipant.person_id,
            AccessGrant.system_id == KTSession.system_id,
            or_(AccessGrant.expires_on.is_(None), AccessGrant.expires_on >= now),
        )
        .exists()
    )
    # Each person and system once (a pair meets in many sessions), by the person's and
    # the system's slug.
    for eid, pname, sname, _, _ in conn.execute(
        select(KTSession.engagement_id, Person.name, System.name, Person.slug, System.slug)
        .distinct()
        .select_from(KTParticipant)
        .join(KTSession, KTSession.id == KTParticipant.session_id)
        .join(Person, Person.id == KTParticipant.person_id)
        .join(System, System.id == KTSession.system_id)
        .where(
            KTSession.engagement_id.in_(engagement_ids),
            KTSession.status != "cancelled",
            Person.side == "provider",
            System.removed_at.is_(None),
            ~held,
        )
        .order_by(Person.slug, System.slug)
    ).all():
        by_engagement[eid].append(missing_access(pname, sname))
    from transition.services.release_findings import not_on_course
    from transition.services.runbook_evidence import findings as runbook_findings

    for finder in (not_on_course, runbook_findings):
        for eid, found in finder(session, engagement_ids).items():
            by_engagement[eid].extend(f.model_dump() for f in found)
    for findings in by_engagement.values():
        findings.sort(key=lambda f: (SEVERITY_ORDER[f["severity"]], f["kind"], f["grant_id"] or 0))
    return dict(by_engagement)


class MissingAccess(TypedDict):
    """A finding as the review lists it, of the kind ``missing_access``."""

    kind: str
    severity: str
    grant_id: None
    person: str
    system: str
    role: None
    message: str


def missing_access(person: str, system: str) -> MissingAccess:
    """The finding of a person taking part in KT on a system without a grant on it."""
    return {
        "kind": "missing_access",
        "severity": "medium",
        "grant_id": None,
        "person": person,
        "system": system,
        "role": None,
        "message": f"{person} takes part in KT on {system} but has no active grant on it",
    }


def grant_rows():
    """The columns the findings of a grant are judged on, in grant order."""
    return (
        select(
            AccessGrant.engagement_id,
            AccessGrant.id,
            AccessGrant.person_id,
            AccessGrant.system_id,
            AccessGrant.role,
            AccessGrant.justification,
            AccessGrant.expires_on,
            Person.name.label("person"),
            Person.release_date,
            Person.released_on,
            System.name.label("system"),
        )
        .join(Person, Person.id == AccessGrant.person_id)
        .join(System, System.id == AccessGrant.system_id)
        .order_by(AccessGrant.id)
    )


def grant_findings(row: Any, now: date, words: tuple[str, ...], end: date | None) -> list[dict]:
    """The findings of one grant in force (a row of ``grant_rows``); ``end``: the
    engagement's exit date, if it has one."""
    out: list[dict[str, Any]] = []
    gid, person, system, role = row.id, row.person, row.system, row.role
    expires, leaves = row.expires_on, row.release_date

    def add(kind: str, severity: str, message: str) -> None:
        out.append(
            {
                "kind": kind,
                "severity": severity,
                "grant_id": gid,
                "person": person,
                "system": system,
                "role": role,
                "message": message,
            }
        )

    expired = expires is not None and expires < now
    if expired:
        add("expired_not_revoked", "high", f"expired on {expires} but not revoked: revoke it")
    if expires is None:
        add("no_expiry", "medium", f"{role} has no expiry date")
    if not row.justification.strip() and is_admin_like(role, words):
        add(
            "admin_without_justification",
            "high",
            f"admin-like role {role!r} without a justification",
        )
    if not expired and leaves is not None and leaves < now:
        add(
            "released_person",
            "high",
            f"{person} was released on {leaves}; the grant is still active",
        )
    if (
        expires is not None
        and leaves is not None
        and leaves >= now
        and row.released_on is None
        and expires > leaves
    ):
        add(
            "expires_after_release",
            "medium",
            f"expires on {expires}, after {person}'s release on {leaves}: "
            "it will be revoked at the release",
        )
    if expires is not None and end is not None and expires > end:
        add(
            "expires_after_exit",
            "medium",
            f"expires on {expires}, after the engagement's exit on {end}",
        )
    return out


#: Characters a text that ``str.strip`` empties can start with (every ``str.isspace``).
SPACES = tuple(
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def high_findings(session: Session, engagement: EngagementRef) -> list[FindingView]:
    """The findings of ``review`` that are high (the access gate waits for none), by kind
    and grant. Only the grants that can be judged high are read (past their expiry, of a
    released person, admin-like without a justification): two queries."""
    return [FindingView.model_validate(f) for f in _high(session, engagement)]


def high_lines(session: Session, engagement: EngagementRef) -> list[tuple[str, str]]:
    """``high_findings`` as (system, message) pairs, with no read model per finding: what
    the gate counts and the readiness score names."""
    return [(f["system"], f["message"]) for f in _high(session, engagement)]


def _high(session: Session, engagement: EngagementRef) -> list[dict[str, Any]]:
    engagement = engagement_of(session, engagement, writable=False)  # a read
    now, words, g = today(), admin_role_words(None), AccessGrant
    live = (g.engagement_id == engagement.id, g.revoked_at.is_(None))
    roles = session.execute(select(g.role).where(*live).distinct()).scalars()
    admin = [role for role in roles if is_admin_like(role, words)]
    blank = or_(g.justification == "", func.substr(g.justification, 1, 1).in_(SPACES))
    # Past its expiry, or (else) of a released person: the released people are looked up
    # once, not joined to every grant in force before the filter.
    released = select(Person.id).where(
        Person.engagement_id == engagement.id, Person.release_date < now
    )
    high = or_(
        g.expires_on < now,
        g.person_id.in_(released.scalar_subquery()),
        and_(g.role.in_(admin), blank) if admin else false(),
    )
    found = [
        f
        for row in session.connection().execute(grant_rows().where(*live, high))
        for f in grant_findings(row, now, words, None)
        if f["severity"] == "high"
    ]
    found.sort(key=lambda f: (f["kind"], f["grant_id"] or 0))
    return found
