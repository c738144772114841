"""The access review summed up in the database: how many findings of each kind, every
high one, and the first rows of the others, as ``access_review.review`` would list them
(most severe first), without judging every grant in Python. A fixed number of queries
whatever the number of grants.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, exists, false, func, or_, select
from sqlmodel import Session

from transition.dates import today
from transition.models import AccessGrant, Engagement, KTParticipant, KTSession, Person, System
from transition.services.access_review import (
    grant_findings,
    grant_rows,
    high_findings,
    missing_access,
)
from transition.services.access_rules import SEVERITY_ORDER, admin_role_words
from transition.services.views.access import FindingView
from transition.services.views.release import Readiness


@dataclass
class AccessSummary:
    """``first``: the first ``top`` findings in the review's order; ``total`` and
    ``by_severity``: of every finding; ``high``: every high finding, by kind and grant."""

    first: list[FindingView]
    total: int
    by_severity: dict[str, int]
    high: list[FindingView] = field(default_factory=list)


def summary(
    session: Session, engagement: Engagement, top: int, releases: Sequence[Readiness] = ()
) -> AccessSummary:
    """The findings of ``access_review.review`` counted, with the first ``top`` of them.
    ``releases``: the release readiness of the incumbents, when the caller has read it."""
    from transition.services.release_findings import not_on_course
    from transition.services.runbook_evidence import findings as runbook_findings

    now, eid, end = today(), engagement.id, engagement.exit_date
    words = admin_role_words(None)
    g = AccessGrant
    live = (g.engagement_id == eid, g.revoked_at.is_(None))
    medium = {
        "no_expiry": g.expires_on.is_(None),
        "expires_after_release": and_(
            g.expires_on.is_not(None),
            Person.release_date.is_not(None),
            Person.release_date >= now,
            Person.released_on.is_(None),
            g.expires_on > Person.release_date,
        ),
        "expires_after_exit": g.expires_on > end if end is not None else false(),
    }
    counted = session.execute(
        select(*(func.count(case((cond, 1))) for cond in medium.values()))
        .select_from(g)
        .join(Person, Person.id == g.person_id)
        .join(System, System.id == g.system_id)
        .where(*live)
    ).one()
    counts: Counter[tuple[str, str]] = Counter(
        {("medium", kind): n for kind, n in zip(medium, counted, strict=True)}
    )
    highs = high_findings(session, engagement)
    found: list[dict[str, Any]] = [f.model_dump() for f in highs]
    for kind, cond in medium.items():
        for row in session.execute(grant_rows().where(*live, cond).limit(top)):
            found += [f for f in grant_findings(row, now, words, end) if f["kind"] == kind]
    missing, n_missing = _missing_access(session, eid, now, top)
    found += missing
    counts["medium", "missing_access"] = n_missing
    for finding in not_on_course(session, [eid], releases).get(eid, []):
        found.append(finding.model_dump())
    for finding in runbook_findings(session, [eid]).get(eid, []):
        found.append(finding.model_dump())
    for f in found:  # the kinds not counted in the database
        if f["severity"] == "high" or f["kind"] not in (*medium, "missing_access"):
            counts[f["severity"], f["kind"]] += 1
    found.sort(key=lambda f: (SEVERITY_ORDER[f["severity"]], f["kind"], f["grant_id"] or 0))
    by_severity: Counter[str] = Counter()
    for (severity, _), n in sorted(counts.items(), key=lambda c: SEVERITY_ORDER[c[0][0]]):
        if n:
            by_severity[severity] += n
    return AccessSummary(
        first=[FindingView.model_validate(f) for f in found[:top]],
        total=sum(counts.values()),
        by_severity=dict(by_severity),
        high=highs,
    )


def _missing_access(session: Session, eid: int, now: Any, top: int) -> tuple[list[dict], int]:
    """Provider people taking part in KT on a system they hold no grant in force on: the
    first ``top`` (by person and system) as findings, and how many there are."""
    g = AccessGrant
    # A person's grants are their engagement's: matched on person and system alone, the
    # grants in force are found through their unique index, not the engagement's rows.
    granted = exists().where(
        g.person_id == KTParticipant.person_id,
        g.system_id == KTSession.system_id,
        g.revoked_at.is_(None),
        or_(g.expires_on.is_(None), g.expires_on >= now),
    )
    pairs = (
        select(KTParticipant.person_id, Person.name, KTSession.system_id, System.name)
        .join(KTSession, KTSession.id == KTParticipant.session_id)
        .join(Person, Person.id == KTParticipant.person_id)
        .join(System, System.id == KTSession.system_id)
        .where(
            KTSession.engagement_id == eid,
            KTSession.status != "cancelled",
            Person.side == "provider",
            System.removed_at.is_(None),
            ~granted,
        )
        .group_by(
            KTParticipant.person_id, Person.name, Person.slug, KTSession.system_id, System.name
        )
        .add_columns(System.slug)
        .group_by(System.slug)
    )
    if top <= 0:
        return [], session.execute(select(func.count()).select_from(pairs.subquery())).scalar_one()
    # The number of pairs comes with the first ones (a window over the groups).
    rows = session.execute(
        pairs.add_columns(func.count().over()).order_by(Person.slug, System.slug).limit(top)
    ).all()
    return [missing_access(row[1], row[3]) for row in rows], rows[0][-1] if rows else 0
