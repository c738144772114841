"""The facts the gates are judged on (``Facts``), gathered in a fixed number of queries
whatever the number of tasks, systems or grants, and only those the judged phases' criteria
ask for."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session

from transition.dates import today
from transition.models import (
    AccessGrant,
    Engagement,
    KTSession,
    Person,
    Phase,
    Runbook,
    System,
    Task,
)
from transition.playbook_stored import StoredParts, parts_of

#: A task done or skipped no longer holds a gate (``tasks.CLOSED``).
DONE = ("done", "skipped")


def current_phase(phases: list[Phase]) -> Phase | None:
    return next((p for p in phases if p.status == "active"), None)


def near(phases: list[Phase]) -> list[Phase]:
    """The phase in progress and the one after it."""
    now = current_phase(phases)
    return [p for p in phases if now is not None and p.position - now.position in (0, 1)]


def in_progress(phases: list[Phase]) -> list[Phase]:
    """The phase in progress alone."""
    return near(phases)[:1]


@dataclass
class Facts:
    engagement: Engagement
    playbook: StoredParts  # what the gates read of the playbook
    phases: list[Phase]
    open_tasks: dict[int, list[str]]  # phase id → keys of tasks not done/skipped
    task_totals: dict[int, int]
    systems: list[tuple[int, str, int]]  # (id, name, tier), active only
    kt_signed: dict[int, set[str]]  # system id → kinds signed off
    runbooks_accepted: dict[int, set[str]]  # system id → templates accepted
    provider_people: list[tuple[int, str]]
    people_with_grant: set[int]
    released_providers: int = 0  # provider people whose release date has passed
    high_findings: int = 0  # open high access-review findings
    # system id → topic → kinds signed off, once KT is organised by topic (else None)
    kt_topics: dict[int, dict[str, set[str]]] | None = None
    # Incumbents with a release date (only read when a gate asks for ``release_ready``).
    readiness: list[Any] | None = None
    # Module → facts of the evidence and governance criteria (``gate_extras``).
    extras: dict[str, Any] = field(default_factory=dict)


def _by_system(
    session: Session, model: type[KTSession | Runbook], column: Any, eid: int, status: str
) -> dict[int, set[str]]:
    """System id → the distinct ``column`` values of the engagement's ``model`` rows in
    ``status`` (the KT kinds signed off, the runbook templates accepted)."""
    out: dict[int, set[str]] = defaultdict(set)
    for system_id, value in session.connection().execute(
        select(model.system_id, column)
        .where(model.engagement_id == eid, model.status == status)
        .distinct()
    ):
        out[system_id].add(value)
    return out


def _provisioning(conn: Any, eid: int, now: Any) -> tuple[list[tuple[int, str]], int, set[int]]:
    """The provider people still on the engagement, how many are released, and the people
    holding a grant in force (what ``access_provisioned`` is judged on)."""
    from transition.services.access_rules import released

    # Released people are not expected to hold access: only those still on the engagement
    # (no release date, or one not yet passed) must have a grant in force.
    provider_rows = conn.execute(
        select(Person.id, Person.name, Person.release_date)
        .where(Person.engagement_id == eid, Person.side == "provider")
        .order_by(Person.slug)
    ).all()
    provider_people = [
        (pid, name) for pid, name, release in provider_rows if not released(release, now)
    ]
    with_grant = set(
        conn.execute(
            select(AccessGrant.person_id)
            .where(
                AccessGrant.engagement_id == eid,
                AccessGrant.revoked_at.is_(None),
                or_(AccessGrant.expires_on.is_(None), AccessGrant.expires_on >= now),
            )
            .distinct()
        ).scalars()
    )
    return provider_people, len(provider_rows) - len(provider_people), with_grant


def gather(
    session: Session,
    engagement: Engagement,
    *,
    matrix: Any = None,
    signed: Any = None,
    high_findings: Any = None,
    judged: Callable[[list[Phase]], list[Phase]] | None = None,
) -> Facts:
    """What the gates are judged on; ``matrix`` (``kt_topics.matrix_of``) or ``signed``
    (``kt_topics.signed_of``), and ``high_findings`` (a count): given by a caller that has
    read them (the report, ``phase status``).
    ``judged``: the phases whose gates will be judged (all by default); what none of their
    criteria asks for (the KT matrix, the access findings) is not read."""
    eid = engagement.id
    now = today()
    phases = list(
        session.execute(
            select(Phase).where(Phase.engagement_id == eid).order_by(Phase.position)
        ).scalars()
    )
    asked = " ".join(p.gate_json or "" for p in (judged(phases) if judged else phases))
    conn = session.connection()  # plain rows (the phases' query wrote any pending change)
    totals: dict[int, int] = dict(
        conn.execute(  # type: ignore[arg-type]
            select(Task.phase_id, func.count())
            .where(Task.engagement_id == eid, Task.removed_at.is_(None))
            .group_by(Task.phase_id)
        ).all()
    )
    open_tasks: dict[int, list[str]] = defaultdict(list)
    for phase_id, key in conn.execute(
        select(Task.phase_id, Task.key)
        .where(Task.engagement_id == eid, Task.removed_at.is_(None), Task.status.not_in(DONE))
        .order_by(Task.phase_id, Task.position)
    ).all():
        open_tasks[phase_id].append(key)
    systems = [
        tuple(row)
        for row in conn.execute(
            select(System.id, System.name, System.tier)
            .where(System.engagement_id == eid, System.removed_at.is_(None))
            .order_by(System.tier, System.slug)
        )
    ]
    kt_signed = (
        _by_system(session, KTSession, KTSession.kind, eid, "signed_off")
        if '"kt_coverage"' in asked
        else {}
    )
    accepted = (
        _by_system(session, Runbook, Runbook.template, eid, "accepted")
        if '"runbooks_accepted"' in asked
        else {}
    )
    provider_people: list[tuple[int, str]] = []
    released_providers, with_grant = 0, set()
    if '"access_provisioned"' in asked:
        provider_people, released_providers, with_grant = _provisioning(conn, eid, now)
    readiness = None
    if '"release_ready"' in asked:
        from transition.services import release

        readiness = release.readiness(session, engagement)
    from transition.services import gate_extras

    if high_findings is None and '"access_provisioned"' in asked:
        from transition.services.access_review import high_findings as findings

        high_findings = len(findings(session, engagement))
    return Facts(
        extras=gate_extras.gather(session, engagement, judged(phases) if judged else phases),
        readiness=readiness,
        engagement=engagement,
        playbook=parts_of(engagement.playbook_json),
        phases=phases,
        open_tasks=open_tasks,
        task_totals=totals,
        systems=systems,  # type: ignore[arg-type]
        kt_signed=kt_signed,
        runbooks_accepted=accepted,
        provider_people=provider_people,  # type: ignore[arg-type]
        people_with_grant=with_grant,
        released_providers=released_providers,
        high_findings=high_findings or 0,
        kt_topics=_kt_topics(session, engagement, matrix, signed)
        if '"kt_coverage"' in asked
        else None,
    )


def _kt_topics(session: Session, engagement: Engagement, matrix: Any, signed: Any) -> Any:
    from transition.services import kt_topics

    return kt_topics.signed_by_topic(session, engagement, matrix=matrix, signed=signed)
