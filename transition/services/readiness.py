"""The readiness score: one 0–100 figure per engagement and per system, a weighted
composite of the evidence that the receiving side can run the service.

The parts and their weights (``WEIGHTS``):

=========  ======  =============================================================
part       weight  its own value (0–100)
=========  ======  =============================================================
kt         30      core KT sessions (walkthrough, shadow, reverse shadow) signed off
                   per topic of the active systems, of three per topic
runbooks   25      one point per runbook accepted, one per runbook with a passed
                   exercise, of two per runbook
access     15      active systems where a provider person holds access in force and
                   no high access finding names the system
scorecard  10      KPIs whose target the provider met in its latest scored week
exercises  10      tabletop scenarios required by a gate (``exercises``) held
risks      10      100 less 25 per open risk scoring ``HIGH_RISK`` or more (floor 0)
=========  ======  =============================================================

A part that does not apply drops out and the other weights are scaled up to 100 (the
``share`` of each part): no topics, no runbooks, no active systems (access), no KPIs
declared by the playbook, no exercise required by any gate. A system's score uses the
per-system parts (kt, runbooks, access) in the same way.

The score of the day is kept (``readiness_snapshot``, one row per engagement and day,
replaced when computed again) by ``engagement readiness``, ``report`` and ``phase
status``; the trend is the last ``TREND_DAYS`` snapshots. A snapshot is a measurement
derived from audited data, not a change of the engagement, so it writes no audit event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, Integer, String, and_, column, func, or_, select, table
from sqlmodel import Session

from transition.dates import today
from transition.models import (
    AccessGrant,
    Engagement,
    Person,
    System,
)
from transition.models import Runbook as RunbookRow
from transition.services.common import EngagementRef, dialect_insert, engagement_of
from transition.services.kt_risks import CORE_KINDS, missing_kinds
from transition.services.readiness_areas import (  # noqa: F401 (HIGH_RISK, RISK_PENALTY here too)
    HIGH_RISK,
    RISK_PENALTY,
    Part,
    exercises_part,
    risks_part,
    scorecard_part,
)

if TYPE_CHECKING:  # (the read models load with the full readiness, not a score alone)
    from transition.services.views.phases import GateStatus
    from transition.services.views.readiness import (
        Readiness,
        ReadinessPart,
        SystemReadiness,
        TrendPoint,
    )

#: The parts of the composite: key, title, weight (the weights add up to 100).
WEIGHTS: tuple[tuple[str, str, int], ...] = (
    ("kt", "KT coverage by topic", 30),
    ("runbooks", "Runbooks accepted and exercised", 25),
    ("access", "Access provisioned, no high finding", 15),
    ("scorecard", "Parallel-run scorecard", 10),
    ("exercises", "Tabletop exercises", 10),
    ("risks", "No open high risks", 10),
)
#: Snapshots shown as the trend.
TREND_DAYS = 14
#: Items named per part in "what would raise it most".
ITEMS_SHOWN = 5
#: The kept scores (``ReadinessSnapshot``) and the runbook exercises (``RunbookExercise``),
#: named through Core: a score is read, kept and scored without building those areas'
#: tables (as the risks part reads the RAID log).
_SNAPSHOT = table(
    "readiness_snapshot",
    column("engagement_id", Integer),
    column("day", Date),
    column("score", Integer),
)
_EXERCISE = table(
    "runbook_exercise",
    column("id", Integer),
    column("engagement_id", Integer),
    column("runbook_id", Integer),
    column("outcome", String),
)


@dataclass
class _Facts:
    systems: dict[int, tuple[str, int]]
    #: System id → (topic title, core KT kinds not signed off) for its topics.
    topics: dict[int, list[tuple[str, list[str]]]]
    #: System id → (runbook title, accepted, exercised).
    runbooks: dict[int, list[tuple[str, bool, bool]]]
    provisioned: set[int]
    #: System name → its high access findings' messages.
    findings: dict[str, list[str]]


def _facts(
    session: Session,
    engagement: Engagement,
    matrix: list[tuple[int, Any]] | None = None,
    high: list[Any] | None = None,
    signed: Any = None,
    systems: dict[int, tuple[str, int]] | None = None,
) -> _Facts:
    """``matrix`` (``kt_topics.matrix_of``) or ``signed`` (``kt_topics.signed_of``, read
    here when neither is given): the KT by topic. ``high``: the high access findings
    (``FindingView``s, or ``access_review.high_lines``' pairs); ``systems``: the active
    systems (id → name, tier), when the caller has read them."""
    from transition.services.access_review import high_lines
    from transition.services.kt_topics import OTHER, signed_of

    if systems is None:
        systems = {
            sid: (name, tier)
            for sid, name, tier in session.execute(  # (writes any pending change first)
                select(System.id, System.name, System.tier).where(
                    System.engagement_id == engagement.id, System.removed_at.is_(None)
                )
            ).all()
        }
    conn = session.connection()  # the rest as plain rows
    topics: dict[int, list[tuple[str, list[str]]]] = defaultdict(list)
    if matrix is not None:
        for sid, row in matrix:
            if row.topic != OTHER and sid in systems:
                topics[sid].append((row.topic, list(row.missing)))
    else:
        signed = signed if signed is not None else signed_of(session, engagement)
        for sid, rows in signed.by_system().items():
            if sid in systems:
                topics[sid] = [(title, missing_kinds(kinds)) for title, kinds in rows]
    passed = (  # a passed exercise of the runbook
        select(_EXERCISE.c.id)
        .where(
            _EXERCISE.c.runbook_id == RunbookRow.id,
            _EXERCISE.c.engagement_id == engagement.id,
            _EXERCISE.c.outcome == "pass",
        )
        .exists()
    )
    runbooks: dict[int, list[tuple[str, bool, bool]]] = defaultdict(list)
    for sid, title, status, exercised in conn.execute(
        select(RunbookRow.system_id, RunbookRow.title, RunbookRow.status, passed)
        .where(RunbookRow.engagement_id == engagement.id)
        .order_by(RunbookRow.id)
    ).all():
        if sid in systems:
            runbooks[sid].append((title, status == "accepted", bool(exercised)))
    now = today()
    provisioned = set(
        conn.execute(
            select(AccessGrant.system_id)
            .join(Person, Person.id == AccessGrant.person_id)
            .where(
                AccessGrant.engagement_id == engagement.id,
                AccessGrant.revoked_at.is_(None),
                Person.side == "provider",
                or_(AccessGrant.expires_on.is_(None), AccessGrant.expires_on >= now),
            )
            .distinct()
        ).scalars()
    )
    findings: dict[str, list[str]] = defaultdict(list)
    for finding in high if high is not None else high_lines(session, engagement):
        system, message = (
            finding if isinstance(finding, tuple) else (finding.system, finding.message)
        )
        findings[system].append(message)
    return _Facts(systems, dict(topics), dict(runbooks), provisioned, dict(findings))


def _kt(facts: _Facts, only: Iterable[int], items: bool = True) -> Part:
    rows = [(facts.systems[s][0], t, m) for s in only for t, m in facts.topics.get(s, ())]
    done = sum(not missing for _, _, missing in rows)
    signed = sum(len(CORE_KINDS) - len(missing) for _, _, missing in rows)
    todo = [
        (f"sign off KT for {name}: {topic} ({', '.join(missing)})", float(len(missing)))
        for name, topic, missing in (rows if items else ())
        if missing
    ]
    counts = (
        f"{done} of {len(rows)} topics signed off "
        f"({signed} of {len(CORE_KINDS) * len(rows)} core sessions)"
    )
    return Part(signed, len(CORE_KINDS) * len(rows), counts, todo)


def _runbooks(facts: _Facts, only: Iterable[int], items: bool = True) -> Part:
    rows = [(facts.systems[s][0], *r) for s in only for r in facts.runbooks.get(s, ())]
    accepted = sum(a for _, _, a, _ in rows)
    exercised = sum(e for _, _, _, e in rows)
    todo: list[tuple[str, float]] = []
    for name, title, is_accepted, is_exercised in rows if items else ():
        if not is_exercised:
            todo.append((f"exercise runbook {title} ({name}) with a pass", 1.0))
        if not is_accepted:
            todo.append((f"accept runbook {title} ({name})", 1.0))
    counts = f"{accepted} of {len(rows)} runbooks accepted, {exercised} exercised"
    return Part(accepted + exercised, 2 * len(rows), counts, todo)


def _access(facts: _Facts, only: Iterable[int], items: bool = True) -> Part:
    ids = list(only)
    todo: list[tuple[str, float]] = []
    undone = 0
    for sid in ids:
        name = facts.systems[sid][0]
        if sid not in facts.provisioned:
            undone += 1
            if items:
                todo.append((f"provision provider access to {name}", 1.0))
        elif facts.findings.get(name):
            undone += 1
            if items:
                todo.append(
                    (f"resolve high access finding on {name}: {facts.findings[name][0]}", 1.0)
                )
    done = len(ids) - undone
    return Part(done, len(ids), f"{done} of {len(ids)} systems provisioned, no high finding", todo)


def _composite(
    parts: list[tuple[str, str, int, Part]], shown: int | None = None
) -> tuple[int, list[ReadinessPart]]:
    """The score and each part's read model, its items the ``shown`` that gain most
    (every item when None)."""
    from transition.services.views.readiness import RaiseItem, ReadinessPart

    applied = sum(w for _, _, w, p in parts if p.applies)
    out = []
    for key, title, weight, part in parts:
        share = 100.0 * weight / applied if part.applies and applied else 0.0
        unit = share / part.total if part.total else 0.0
        todo = sorted(part.todo, key=lambda t: -t[1])[:shown]
        items = [RaiseItem(action=a, gain=round(unit * u, 1)) for a, u in todo]
        out.append(
            ReadinessPart(
                key=key,
                title=title,
                weight=weight,
                applies=part.applies,
                share=round(share, 1),
                value=round(part.value) if part.applies else None,
                counts=part.counts,
                gain=round(share * (100.0 - part.value) / 100.0, 1) if part.applies else 0.0,
                items=items,
            )
        )
    return _total([(w, p) for _, _, w, p in parts]), out


def _system_scores(facts: _Facts) -> list[SystemReadiness]:
    from transition.services.views.readiness import SystemReadiness

    weights = {key: weight for key, _, weight in WEIGHTS}
    out = []
    for sid, (name, tier) in facts.systems.items():
        only = [sid]
        kt, books = _kt(facts, only, items=False), _runbooks(facts, only, items=False)
        access = _access(facts, only, items=False)
        score = _total(
            [(weights["kt"], kt), (weights["runbooks"], books), (weights["access"], access)]
        )
        out.append(
            SystemReadiness(
                system=name,
                tier=tier,
                score=score,
                kt=round(kt.value) if kt.applies else None,
                runbooks=round(books.value) if books.applies else None,
                access=round(access.value),
            )
        )
    return sorted(out, key=lambda s: (s.tier, s.system.lower()))


def _score(parts: list[Part]) -> int:
    """``_composite``'s score alone (no read model per item)."""
    return _total([(w, p) for (_, _, w), p in zip(WEIGHTS, parts, strict=True)])


def _total(parts: list[tuple[int, Part]]) -> int:
    """The weighted score of ``(weight, part)``: each part that applies counts for its
    share of the weights that apply."""
    applied = sum(w for w, p in parts if p.applies)
    total = 0.0
    for weight, part in parts:
        share = 100.0 * weight / applied if part.applies and applied else 0.0
        total += share * part.value / 100.0
    return round(total)


def _parts(
    session: Session, engagement: Engagement, facts: _Facts, items: bool = True, gates: Any = None
) -> list[Part]:
    """The parts in ``WEIGHTS`` order; without ``items``, what is still to do is not
    listed (only the score is wanted). ``gates``: the phases' ``gate_json``, if read."""
    ids = list(facts.systems)
    return [
        _kt(facts, ids, items),
        _runbooks(facts, ids, items),
        _access(facts, ids, items),
        scorecard_part(session, engagement),
        exercises_part(session, engagement, gates),
        risks_part(session, engagement),
    ]


def score_of(session: Session, engagement: EngagementRef) -> tuple[int, list[ReadinessPart]]:
    """The engagement's score and its parts, computed now (a bounded number of queries)."""
    engagement = engagement_of(session, engagement, writable=False)  # a read
    facts = _facts(session, engagement)
    raw = _parts(session, engagement, facts)
    return _composite([(k, t, w, p) for (k, t, w), p in zip(WEIGHTS, raw, strict=True)])


def status_with_score(session: Session, engagement: EngagementRef) -> tuple[GateStatus, int]:
    """``phase status``: every phase with its gate, and today's readiness score (to keep
    with ``keep_score``), judged on one reading of the KT signed off by topic, the high
    access findings and the active systems, which both need."""
    from transition.services import gates
    from transition.services.access_review import high_lines
    from transition.services.kt_topics import signed_of

    engagement = engagement_of(session, engagement, writable=False)
    signed = signed_of(session, engagement)
    high = high_lines(session, engagement)
    known = gates.gather(session, engagement, signed=signed, high_findings=len(high))
    status = gates.status_of(session, engagement, known)
    systems = {sid: (name, tier) for sid, name, tier in known.systems}
    facts = _facts(session, engagement, high=high, signed=signed, systems=systems)
    gates_json = [p.gate_json for p in known.phases]
    score = _score(_parts(session, engagement, facts, items=False, gates=gates_json))
    return status, score


def keep_score(session: Session, slug: str, score: int) -> None:
    """``keep_today`` of a score just computed, for the engagement of that exact ``slug``
    (as a read model names it): nothing is kept once it is archived (read again here, in
    the writing unit of work, without loading the engagement's playbook)."""
    found = session.execute(
        select(Engagement.id, Engagement.archived_at).where(Engagement.slug == slug)
    ).first()
    if found is not None and found.archived_at is None:
        store(session, found.id, score)


def _trend(session: Session, engagement_id: int) -> list[TrendPoint]:
    from transition.services.views.readiness import TrendPoint

    rows = session.execute(
        select(_SNAPSHOT.c.day, _SNAPSHOT.c.score)
        .where(_SNAPSHOT.c.engagement_id == engagement_id)
        .order_by(_SNAPSHOT.c.day.desc())
        .limit(TREND_DAYS)
    ).all()
    return [TrendPoint(day=d, score=s) for d, s in reversed(rows)]


def store(session: Session, engagement: Engagement | int, score: int) -> None:
    """Keep ``score`` as the engagement's (or the engagement id's) figure of today (insert
    or replace, one statement, so two commands at once cannot both insert)."""
    eid = engagement if isinstance(engagement, int) else engagement.id
    statement = dialect_insert(session)(_SNAPSHOT).values(
        engagement_id=eid, day=today(), score=score
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["engagement_id", "day"], set_={"score": statement.excluded.score}
        )
    )


def readiness(
    session: Session,
    engagement: EngagementRef,
    *,
    keep: bool = False,
    matrix: list[tuple[int, Any]] | None = None,
    high: list[Any] | None = None,
    items: int | None = None,
    per_system: bool = True,
) -> Readiness:
    """The score with every part, the per-system scores, what would raise it most and the
    trend; with ``keep``, today's figure is stored first (it then ends the trend).
    ``matrix`` (``kt_topics.matrix_of``) and ``high`` (``access_review.high_findings``):
    what a caller that read them already passes instead of reading them again.
    ``items``: each part lists only its ``items`` items that raise the score most (at
    least ``ITEMS_SHOWN``); without ``per_system``, ``systems`` is left empty (for a
    caller that does not show them)."""
    from transition.services.views.readiness import RaiseStep, Readiness

    engagement = engagement_of(session, engagement, writable=False)
    facts = _facts(session, engagement, matrix, high)
    raw = _parts(session, engagement, facts)
    shown = None if items is None else max(items, ITEMS_SHOWN)
    score, parts = _composite(
        [(k, t, w, p) for (k, t, w), p in zip(WEIGHTS, raw, strict=True)], shown
    )
    if keep and engagement.archived_at is None:  # an archived engagement is frozen
        store(session, engagement, score)
    steps = [
        RaiseStep(part=p.key, title=p.title, gain=p.gain, items=p.items[:ITEMS_SHOWN])
        for p in sorted(parts, key=lambda p: (-p.gain, p.key))
        if p.applies and p.gain > 0
    ]
    return Readiness(
        engagement=engagement.slug,
        day=today(),
        score=score,
        parts=parts,
        systems=_system_scores(facts) if per_system else [],
        raise_most=steps,
        trend=_trend(session, engagement.id),
    )


def latest_scores(session: Session, engagement_ids: list[int]) -> dict[int, int]:
    """Engagement id → its latest stored score (one query), for lists of engagements."""
    if not engagement_ids:
        return {}
    last = (
        select(_SNAPSHOT.c.engagement_id, func.max(_SNAPSHOT.c.day).label("day"))
        .where(_SNAPSHOT.c.engagement_id.in_(engagement_ids))
        .group_by(_SNAPSHOT.c.engagement_id)
        .subquery()
    )
    found = session.execute(
        select(_SNAPSHOT.c.engagement_id, _SNAPSHOT.c.score).join(
            last,
            and_(
                last.c.engagement_id == _SNAPSHOT.c.engagement_id,
                last.c.day == _SNAPSHOT.c.day,
            ),
        )
    )
    return {eid: score for eid, score in found}


def keep_today(session: Session, engagement: EngagementRef, score: int | None = None) -> int | None:
    """Compute the engagement's score (or take ``score``, just computed by the caller) and
    keep it as today's figure; returns it. An archived engagement is frozen: nothing is
    kept (``None``)."""
    engagement = engagement_of(session, engagement, writable=False)
    if engagement.archived_at is not None:
        return None
    if score is None:
        score, _ = score_of(session, engagement)
    store(session, engagement, score)
    return score
