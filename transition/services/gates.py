"""Phases and their gates: evaluate each criterion with its reason, advance or override.

Evaluation gathers the facts it needs in a fixed number of queries (``Facts``), then
judges every criterion of every phase from them: ``phase status`` costs the same however
many tasks, systems or grants."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from transition.dates import today, utcnow
from transition.errors import BadInput, Refused, about
from transition.guard import no_secrets
from transition.models import (
    Engagement,
    Phase,
    Task,
)
from transition.playbook_criteria import Criterion
from transition.services import audit
from transition.services.common import (
    EngagementRef,
    apply_changes,
    check_version,
    engagement_of,
)
from transition.services.gate_facts import (  # noqa: F401  (re-exported)
    DONE,
    Facts,
    current_phase,
    gather,
    in_progress,
    near,
)
from transition.services.listing import names as _names
from transition.services.views.phases import (
    AdvanceResult,
    CriterionResult,
    CurrentGate,
    GateStatus,
    KeyPersonRisk,
    PhaseStatus,
    PhaseStep,
)
from transition.text import clean_text


def judge(criterion: Criterion, phase: Phase, facts: Facts) -> tuple[bool, str]:
    name = criterion.name
    systems = [s for s in facts.systems if criterion.max_tier is None or s[2] <= criterion.max_tier]
    if name == "tasks_done":
        open_keys = facts.open_tasks.get(phase.id, [])
        total = facts.task_totals.get(phase.id, 0)
        if open_keys:
            return False, f"{len(open_keys)} of {total} tasks open: {_names(open_keys)}"
        return True, f"all {total} tasks done or skipped"
    if name == "systems_registered":
        n = len(facts.systems)
        return (n >= 1), (f"{n} system(s) registered" if n else "no system registered yet")
    if name == "kt_coverage":
        if not systems:
            return False, "no system in scope to cover"
        missing = []
        for sid, sname, _tier in systems:
            topics = (facts.kt_topics or {}).get(sid)
            if topics:  # KT by topic: every topic of the system needs the kinds
                for title, signed in topics.items():
                    lacking = [k for k in criterion.kinds if k not in signed]
                    if lacking:
                        missing.append(f"{sname}: {title} ({', '.join(lacking)})")
                continue
            lacking = [k for k in criterion.kinds if k not in facts.kt_signed.get(sid, set())]
            if lacking:
                missing.append(f"{sname} ({', '.join(lacking)})")
        if missing and facts.kt_topics is not None:
            return (
                False,
                f"KT not signed off for {len(missing)} system(s) or topic(s): {_names(missing)}",
            )
        if missing:
            return False, f"KT not signed off for {len(missing)} system(s): {_names(missing)}"
        return True, f"{', '.join(criterion.kinds)} signed off for all {len(systems)} system(s)"
    if name == "runbooks_accepted":
        if not systems:
            return False, "no system in scope"
        missing = []
        for sid, sname, tier in systems:
            lacking = [
                r
                for r in facts.playbook.required_runbooks(tier)
                if r not in facts.runbooks_accepted.get(sid, set())
            ]
            if lacking:
                missing.append(f"{sname} ({', '.join(lacking)})")
        if missing:
            return (
                False,
                f"required runbooks not accepted for {len(missing)} system(s): {_names(missing)}",
            )
        return True, f"every required runbook accepted for {len(systems)} system(s)"
    if name == "access_provisioned":
        if not facts.provider_people:
            if facts.released_providers:
                return False, "every provider person registered has been released"
            return False, "no provider person registered"
        without = [
            pname for pid, pname in facts.provider_people if pid not in facts.people_with_grant
        ]
        high = facts.high_findings
        problems = []
        if without:
            problems.append(f"no active grant for {_names(without)}")
        if high:
            problems.append(f"{high} high access-review finding(s) open")
        if problems:
            return False, "; ".join(problems)
        return (
            True,
            f"all {len(facts.provider_people)} provider people have access; no high findings",
        )
    if name == "release_ready":
        return _release_ready(phase, facts)
    from transition.services import gate_extras

    if name in gate_extras.MODULES:
        return gate_extras.judge(criterion, phase, facts.extras)
    raise BadInput(f"unknown gate criterion {name!r}")  # pragma: no cover - validated at load


def _release_ready(phase: Phase, facts: Facts) -> tuple[bool, str]:
    """Everyone released before the end of the phase is ready (or already released)."""
    leaving = [
        r
        for r in facts.readiness or []
        if r.release_date is not None and r.release_date <= phase.planned_end
    ]
    if not leaving:
        return True, f"nobody is released before {phase.planned_end}"
    unready = [r for r in leaving if r.state == "not ready"]
    if unready:
        shown = [f"{r.person} ({r.summary.removeprefix('not ready: ')})" for r in unready]
        return False, f"{len(unready)} of {len(leaving)} leaving not ready: {_names(shown)}"
    return True, f"all {len(leaving)} people released by {phase.planned_end} are ready"


def criteria(phase: Phase) -> list[Criterion]:
    return [Criterion.model_validate(c) for c in json.loads(phase.gate_json or "[]")]


def evaluate(phase: Phase, facts: Facts) -> list[CriterionResult]:
    results = []
    for criterion in criteria(phase):
        met, reason = judge(criterion, phase, facts)
        results.append(
            CriterionResult(
                criterion=criterion.label(), name=criterion.name, met=met, reason=reason
            )
        )
    return results


def _phase_status(phase: Phase, results: list[CriterionResult], facts: Facts) -> PhaseStatus:
    return PhaseStatus(
        key=phase.key,
        title=phase.title,
        position=phase.position,
        status=phase.status,
        planned_start=phase.planned_start,
        planned_end=phase.planned_end,
        baseline_start=phase.baseline_start,
        baseline_end=phase.baseline_end,
        slip_days=slip_days(phase),
        actual_start=phase.actual_start,
        actual_end=phase.actual_end,
        tasks_total=facts.task_totals.get(phase.id, 0),
        tasks_open=len(facts.open_tasks.get(phase.id, [])),
        gate_met=all(r.met for r in results),
        gate=results,
        gate_decision=phase.gate_decision,
        gate_decided_by=phase.gate_decided_by,
        gate_decided_at=phase.gate_decided_at,
        gate_reason=phase.gate_reason,
        version=phase.version,
    )


def slip_days(phase: Any) -> int | None:
    """Days the phase ends after its baseline end (negative: before it): its actual end once
    left, else its planned end; None for a phase without a baseline."""
    if phase.baseline_end is None:
        return None
    return ((phase.actual_end or phase.planned_end) - phase.baseline_end).days


def status(session: Session, engagement: EngagementRef, **known: Any) -> GateStatus:
    """Every phase with its gate, each criterion met or not and why. ``known``: facts the
    caller read already (``gather``'s ``matrix`` and ``high_findings``)."""
    engagement = engagement_of(session, engagement)
    return status_of(session, engagement, gather(session, engagement, **known))


def status_of(session: Session, engagement: Engagement, facts: Facts) -> GateStatus:
    """``status`` judged on ``facts`` (``gather``'s, read by the caller)."""
    phases = [_phase_status(p, evaluate(p, facts), facts) for p in facts.phases]
    current = current_phase(facts.phases)
    from transition.services import kt

    return GateStatus(
        engagement=engagement.slug,
        status=engagement.status,
        current_phase=current.key if current else None,
        phases=phases,
        key_person_risks=[
            KeyPersonRisk.model_validate(r) for r in kt.key_person_risks(session, engagement)
        ],
    )


def ahead(session: Session, engagement: EngagementRef) -> CurrentGate:
    """The gate ahead: the phase in progress with its criteria judged, and the next one."""
    engagement = engagement_of(session, engagement)
    facts = gather(session, engagement, judged=near)
    shown = [_phase_status(p, evaluate(p, facts), facts) for p in near(facts.phases)]
    phase = next((p for p in shown if p.status == "active"), None)
    following = next((p for p in shown if p.status != "active"), None)
    return CurrentGate(engagement=engagement.slug, phase=phase, next=following)


def ahead_in_full(session: Session, engagement: EngagementRef) -> CurrentGate:
    """``ahead``, every reason naming all it is about: for the TUI's scrolling gate dialog."""
    from transition.services.listing import every_name

    with every_name():
        return ahead(session, engagement)


def phase_order(phases: Sequence[PhaseStep | PhaseStatus]) -> list[str]:
    """The phase keys in display order: the current phase first, then the ones after it,
    then the finished ones."""
    now = next((p.position for p in phases if p.status == "active"), len(phases))
    return [p.key for p in phases if p.position >= now] + [
        p.key for p in phases if p.position < now
    ]


def steps(session: Session, engagement: EngagementRef) -> list[PhaseStep]:
    """The phases in order with their task counts (no gate judged), in two queries."""
    engagement = engagement_of(session, engagement)
    totals: dict[int, int] = defaultdict(int)
    open_: dict[int, int] = defaultdict(int)
    for phase_id, task_status, n in session.execute(
        select(Task.phase_id, Task.status, func.count())
        .where(Task.engagement_id == engagement.id, Task.removed_at.is_(None))
        .group_by(Task.phase_id, Task.status)
    ):
        totals[phase_id] += n
        if task_status not in DONE:
            open_[phase_id] += n
    rows = session.execute(
        select(
            Phase.id,
            Phase.key,
            Phase.title,
            Phase.position,
            Phase.status,
            Phase.gate_decision,
            Phase.planned_start,
            Phase.planned_end,
            Phase.baseline_end,
            Phase.actual_end,
            Phase.version,
        )
        .where(Phase.engagement_id == engagement.id)
        .order_by(Phase.position)
    )
    return [
        PhaseStep.model_validate(
            {
                **r._mapping,
                "tasks_total": totals[r.id],
                "tasks_open": open_[r.id],
                "slip_days": slip_days(r),
            }
        )
        for r in rows
    ]


def advance(
    session: Session,
    engagement: EngagementRef,
    *,
    override: str | None = None,
    expected_version: int | None = None,
) -> AdvanceResult:
    """Leave the current phase through its gate; an unmet gate needs a written override."""
    engagement = engagement_of(session, engagement)
    facts = gather(session, engagement, judged=in_progress)
    phase = current_phase(facts.phases)
    if phase is None:
        raise Refused(f"engagement {engagement.slug} has no active phase: every phase is done")
    check_version(session, phase, expected_version, "phase", phase.key)
    results = evaluate(phase, facts)
    unmet = [r for r in results if not r.met]
    with about("override"):
        if override is not None:
            override = clean_text(override, "the override reason")
            no_secrets(override, "the override reason")
            if not override.strip():
                raise BadInput(
                    "an override needs a written reason: write a reason to override the gate"
                )
        if unmet and override is None:
            raise Refused(
                f"gate of phase {phase.key!r} not met: "
                f"{len(unmet)} of {len(results)} criteria unmet",
                details=[f"unmet: {r.criterion}: {r.reason}" for r in unmet]
                + ["fix them, or advance with --override REASON"],
            )
    now, day = utcnow(), today()
    replanned = None
    decision = "overridden" if unmet else "passed"
    apply_changes(
        session,
        phase,
        engagement.id,
        "phase",
        {
            "status": "done",
            "actual_end": day,
            "gate_decision": decision,
            "gate_decided_by": audit.actor(session),
            "gate_decided_at": now,
            "gate_reason": override.strip() if unmet and override else None,
        },
        action="advance",
    )
    if unmet:  # the override is a decision of the RAID log, in this transaction
        from transition.services import raid

        raid.record_override(
            session, engagement, phase, override or "", [r.criterion for r in unmet]
        )
    following = next((p for p in facts.phases if p.position == phase.position + 1), None)
    if following is not None:
        apply_changes(
            session,
            following,
            engagement.id,
            "phase",
            {"status": "active", "actual_start": day},
            action="advance",
        )
        # The phases ahead are re-laid from the day this one really ended (early or late).
        from transition.services import plan

        replanned = plan.relay(session, engagement, following.position, day, plan.REPLAN)
    else:
        apply_changes(session, engagement, engagement.id, "engagement", {"status": "completed"})
    from transition.services import access

    access.on_milestones_changed(session, engagement)  # after the re-lay: milestones moved
    return AdvanceResult(
        left=phase.key,
        entered=following.key if following else None,
        decision=decision,
        unmet=unmet,
        reason=phase.gate_reason,
        replanned=replanned.phases if replanned else [],
        tasks_moved=replanned.tasks_moved if replanned else 0,
    )
