"""The portfolio view: every engagement with its health figures and a red/amber/green state.

``overview(session)`` adds to ``engagements.summaries`` what a transition manager scans
for first: KT coverage, runbooks accepted of those the playbook requires, open high access findings, key-person risks,
and a state with the reasons behind it, in a fixed number of queries whatever the number
of engagements.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlmodel import Session

from transition.models import Engagement, KTSession, Runbook, System
from transition.playbooks import from_json
from transition.services import engagements, systems
from transition.services.common import EngagementRef
from transition.services.kt import CORE_KINDS as KT_COVERED
from transition.services.views.dashboard import (
    DashboardDetail,
    DashboardRow,
    GateReadiness,
    State,
)

#: Overdue tasks from which an engagement is red rather than amber.
RED_OVERDUE = 5
#: Days before cutover from which missing KT or runbooks turn the state red/amber.
RED_CUTOVER_DAYS = 14
AMBER_CUTOVER_DAYS = 30
#: The score (probability × impact) from which an open risk counts as high.
HIGH_RISK_SCORE = 15


def _kt_coverage(session: Session, ids: list[int]) -> dict[int, tuple[int, int]]:
    """{engagement id: (systems covered, active systems)}."""
    systems: dict[int, set[int]] = defaultdict(set)
    for eid, sid in session.execute(
        select(System.engagement_id, System.id).where(
            System.engagement_id.in_(ids), System.removed_at.is_(None)
        )
    ):
        systems[eid].add(sid)
    signed: dict[tuple[int, int], set[str]] = defaultdict(set)
    for eid, sid, kind in session.execute(
        select(KTSession.engagement_id, KTSession.system_id, KTSession.kind)
        .where(KTSession.engagement_id.in_(ids), KTSession.status == "signed_off")
        .distinct()
    ):
        signed[(eid, sid)].add(kind)
    out = {}
    for eid in ids:
        active = systems.get(eid, set())
        covered = sum(1 for sid in active if all(k in signed[(eid, sid)] for k in KT_COVERED))
        out[eid] = (covered, len(active))
    return out


def _runbooks(session: Session, engagements: list[Engagement]) -> dict[int, tuple[int, int]]:
    """{engagement id: (accepted, required)} over the systems still in scope, counted as
    ``system list`` counts them: the runbooks the playbook requires of each system's tier."""
    ids = [e.id for e in engagements]
    tiers: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for eid, sid, tier in session.execute(
        select(System.engagement_id, System.id, System.tier).where(
            System.engagement_id.in_(ids), System.removed_at.is_(None)
        )
    ):
        tiers[eid].append((sid, tier))
    have: dict[int, dict[str, str]] = defaultdict(dict)
    for sid, template, status in session.execute(
        select(Runbook.system_id, Runbook.template, Runbook.status).where(
            Runbook.engagement_id.in_(ids)
        )
    ):
        have[sid][template] = status
    out = {}
    for eng in engagements:
        playbook = from_json(eng.playbook_json)
        accepted = required = 0
        for sid, tier in tiers.get(eng.id, []):
            needed, done = systems.runbook_progress(playbook, tier, have.get(sid, {}))
            accepted, required = accepted + len(done), required + len(needed)
        out[eng.id] = (accepted, required)
    return out


def rag(row: DashboardRow) -> tuple[State, list[str]]:
    """The state of one overview row and the reasons for it, worst first."""
    if row.status != "active":
        return "done", [f"engagement {row.status}"]
    red: list[str] = []
    amber: list[str] = []
    if row.high_findings:
        red.append(f"{row.high_findings} high access-review finding(s) open")
    overdue = row.tasks_overdue
    if overdue >= RED_OVERDUE:
        red.append(f"{overdue} tasks overdue")
    elif overdue:
        amber.append(f"{overdue} task(s) overdue")
    if row.tasks_blocked:
        amber.append(f"{row.tasks_blocked} task(s) blocked")
    days = row.days_to_cutover
    covered, systems = row.kt_covered, row.systems
    accepted, runbooks = row.runbooks_accepted, row.runbooks_required
    phases, current = row.phases, row.current_phase
    before_cutover = current not in (None, "cutover") and (
        phases.index(current) < phases.index("cutover")
        if "cutover" in phases and current in phases
        else True
    )
    if days is not None and before_cutover:
        if days < 0:
            red.append(f"cutover date passed {-days} day(s) ago, still in {current}")
        elif days <= RED_CUTOVER_DAYS and covered < systems:
            red.append(f"cutover in {days} day(s), KT covers only {covered} of {systems} systems")
        elif days <= AMBER_CUTOVER_DAYS and covered < systems:
            amber.append(f"cutover in {days} day(s), KT covers {covered} of {systems} systems")
        if 0 <= days <= AMBER_CUTOVER_DAYS and accepted < runbooks:
            amber.append(f"cutover in {days} day(s), {runbooks - accepted} runbook(s) not accepted")
    for risk in row.key_person_risks:
        amber.append(f"key-person risk: {risk}")
    if row.high_risks:
        amber.append(f"{row.high_risks} open high risk(s) (score {HIGH_RISK_SCORE} or more)")
    if red:
        return "red", red + amber
    if amber:
        return "amber", amber
    return "green", ["on track: nothing overdue, no high access findings, no key-person risk"]


def overview(session: Session, *, archived: bool = False) -> list[DashboardRow]:
    """Every engagement in use (or, with ``archived``, every archived one), as
    ``engagements.summaries`` plus health figures and state."""
    from transition.services import access, kt, raid, readiness

    summaries = engagements.summaries(session, archived=archived)
    if not summaries:
        return []
    by_slug = {
        e.slug: e
        for e in session.execute(select(Engagement).order_by(Engagement.slug)).scalars().all()
    }
    ids = [e.id for e in by_slug.values()]
    coverage = _kt_coverage(session, ids)
    runbooks = _runbooks(session, list(by_slug.values()))
    active_ids = [e.id for e in by_slug.values() if e.status == "active"]
    high = access.high_finding_counts(session, active_ids)
    all_risks = kt.key_person_risks_for(session, active_ids)
    scores = raid.open_risk_scores(session, active_ids)
    ready = readiness.latest_scores(session, ids)
    rows = []
    for summary in summaries:
        eng = by_slug[summary.slug]
        covered, systems = coverage.get(eng.id, (0, 0))
        accepted, required = runbooks.get(eng.id, (0, 0))
        active = summary.status == "active"
        risks = all_risks.get(eng.id, []) if active else []
        row = DashboardRow(
            **summary.model_dump(),
            id=eng.id,
            systems=systems,
            kt_covered=covered,
            runbooks_accepted=accepted,
            runbooks_required=required,
            high_findings=high.get(eng.id, 0) if active else 0,
            key_person_risks=[r.line() for r in risks],
            high_risks=sum(1 for x in scores.get(eng.id, []) if x >= HIGH_RISK_SCORE),
            readiness=ready.get(eng.id),
        )
        row.state, row.reasons = rag(row)
        rows.append(row)
    return rows


def detail(session: Session, engagement: EngagementRef) -> DashboardDetail:
    """The highlighted engagement's gate readiness (criteria met of total for the phase in
    progress) and its next 14 days: one engagement's gate facts and ``upcoming``, so the
    list itself stays a fixed number of queries whatever the number of engagements."""
    from transition.services import gates, upcoming

    ahead = gates.ahead(session, engagement)
    gate = None
    if ahead.phase is not None:
        results = ahead.phase.gate
        unmet = next((r for r in results if not r.met), None)
        gate = GateReadiness(
            phase=ahead.phase.key,
            title=ahead.phase.title,
            met=sum(1 for r in results if r.met),
            total=len(results),
            first_unmet=f"{unmet.criterion}: {unmet.reason}" if unmet else None,
        )
    return DashboardDetail(
        engagement=ahead.engagement,
        gate=gate,
        upcoming=upcoming.upcoming(session, engagement),
    )
