"""Go/no-go: the decision to cut over, signed by one person of the client and one of
the provider, with its conditions, its rollback triggers and the evidence at that moment.

Decisions are append-only: a later one supersedes the earlier, the history stays. The
evidence is a snapshot taken in the same transaction (the gate of the phase in progress
and the figures of ``FIGURES``, a list other areas extend with their own function, e.g.
a readiness score). The gate criterion ``go_decision`` is met when the latest decision
is go. Audited as entity ``golive_decision`` (action ``create``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from transition.dates import today, utcnow
from transition.errors import BadInput, about
from transition.models import (
    Engagement,
    Exercise,
    GoLiveDecision,
    KTSession,
    Phase,
    Runbook,
)
from transition.playbooks import Criterion
from transition.services import audit
from transition.services.access_rules import check_present
from transition.services.common import EngagementRef, engagement_of, get_person
from transition.services.views.golive import (
    DecisionView,
    Evidence,
    EvidenceFigure,
    GoLiveRow,
    GoLiveStatus,
)
from transition.text import clean_line

ENTITY = "golive_decision"
#: The longest condition or rollback trigger kept.
ITEM_MAX = 500

#: A function adding figures to the evidence of a decision (bounded queries).
FigureSource = Callable[[Session, Engagement], list[EvidenceFigure]]


def _access(session: Session, engagement: Engagement) -> list[EvidenceFigure]:
    from transition.services.access_review import high_findings

    found = len(high_findings(session, engagement))
    return [
        EvidenceFigure(key="high-access-findings", label="Open high access findings", value=found)
    ]


def _counts(session: Session, model: Any, engagement: Engagement) -> dict[str, int]:
    return dict(
        session.execute(
            select(model.status, func.count())
            .where(model.engagement_id == engagement.id)
            .group_by(model.status)
        ).all()
    )


def _kt(session: Session, engagement: Engagement) -> list[EvidenceFigure]:
    counts = _counts(session, KTSession, engagement)
    total = sum(n for status, n in counts.items() if status != "cancelled")
    return [
        EvidenceFigure(
            key="kt-signed-off",
            label="KT sessions signed off",
            value=counts.get("signed_off", 0),
            of=total,
        )
    ]


def _runbooks(session: Session, engagement: Engagement) -> list[EvidenceFigure]:
    counts = _counts(session, Runbook, engagement)
    total = sum(counts.values())
    return [
        EvidenceFigure(
            key="runbooks-accepted",
            label="Runbooks accepted",
            value=counts.get("accepted", 0),
            of=total,
        )
    ]


def _exercises(session: Session, engagement: Engagement) -> list[EvidenceFigure]:
    held = sorted(
        session.execute(
            select(Exercise.key)
            .where(Exercise.engagement_id == engagement.id, Exercise.held_on <= today())
            .distinct()
        ).scalars()
    )
    return [
        EvidenceFigure(
            key="exercises-held",
            label="Tabletop scenarios exercised",
            value=len(held),
            note=", ".join(held),
        )
    ]


def _readiness(session: Session, engagement: Engagement) -> list[EvidenceFigure]:
    from transition.services.readiness import score_of

    score, parts = score_of(session, engagement)
    note = ", ".join(f"{p.key} {p.value}" for p in parts if p.applies)
    return [
        EvidenceFigure(key="readiness", label="Readiness score", value=score, of=100, note=note)
    ]


#: The figures a decision's evidence holds, in order. Another area adds its own
#: (``golive.FIGURES.append(readiness_figures)``): each returns ``EvidenceFigure`` rows.
FIGURES: list[FigureSource] = [_access, _kt, _runbooks, _exercises, _readiness]


def evidence(session: Session, engagement: EngagementRef) -> Evidence:
    """The evidence as it stands now: the gate of the phase in progress, and the figures."""
    from transition.services import gates

    engagement = engagement_of(session, engagement, writable=False)
    facts = gates.gather(session, engagement, judged=gates.in_progress)
    phase = gates.current_phase(facts.phases)
    results = gates.evaluate(phase, facts) if phase is not None else []
    return Evidence(
        at=utcnow(),
        phase=phase.key if phase is not None else None,
        gate_met=all(r.met for r in results) if phase is not None else None,
        gate=results,
        figures=[figure for source in FIGURES for figure in source(session, engagement)],
    )


def _items(values: Sequence[str], what: str) -> list[str]:
    out: list[str] = []
    with about(what.replace(" ", "_")):
        for value in values:
            text = clean_line(value, what, ITEM_MAX, required=True)
            if text not in out:
                out.append(text)
    return out


def decide(
    session: Session,
    engagement: EngagementRef,
    *,
    go: bool,
    by: Sequence[str],
    conditions: Sequence[str] = (),
    rollback_triggers: Sequence[str] = (),
) -> DecisionView:
    """Record a go (``go``) or no-go decision signed by ``by``: exactly one person of the
    client's side and one of the provider's, both still on the engagement."""
    engagement = engagement_of(session, engagement)
    if len(by) != 2:
        raise BadInput(
            "a go/no-go decision is signed by two people: give --by twice, one person of "
            f"the client and one of the provider (got {len(by)})",
            field="by",
        )
    with about("by"):
        people = [get_person(session, engagement, name) for name in by]
    sides = sorted(p.side for p in people)
    if sides != ["client", "provider"]:
        shown = ", ".join(f"{p.name} ({p.side})" for p in people)
        raise BadInput(
            f"a go/no-go decision needs one client person and one provider person, not {shown}",
            field="by",
        )
    for person in people:
        check_present(person, today(), "sign the decision")
    client = next(p for p in people if p.side == "client")
    provider = next(p for p in people if p.side == "provider")
    kept_conditions = _items(conditions, "condition")
    kept_triggers = _items(rollback_triggers, "rollback trigger")
    snapshot = evidence(session, engagement)
    row = GoLiveDecision(
        engagement_id=engagement.id,
        go=go,
        phase_key=snapshot.phase,
        client_person_id=client.id,
        client_name=client.name,
        provider_person_id=provider.id,
        provider_name=provider.name,
        decided_at=snapshot.at,
        recorded_by=audit.actor(session),
        conditions_json=json.dumps(kept_conditions, ensure_ascii=False),
        rollback_triggers_json=json.dumps(kept_triggers, ensure_ascii=False),
        evidence_json=snapshot.model_dump_json(),
    )
    session.add(row)
    session.flush()
    fields: dict[str, Any] = {
        "decision": "go" if go else "no-go",
        "phase": snapshot.phase,
        "client": client.name,
        "provider": provider.name,
        "conditions": "; ".join(kept_conditions) or None,
        "rollback_triggers": "; ".join(kept_triggers) or None,
    }
    audit.record_many(
        session,
        engagement.id,
        [
            audit.Change(ENTITY, row.id, "create", field, None, value)
            for field, value in fields.items()
            if value is not None
        ],
    )
    return _view(row)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _view(row: GoLiveDecision) -> DecisionView:
    return DecisionView(
        id=row.id,
        decision="go" if row.go else "no-go",
        phase=row.phase_key,
        client=row.client_name,
        provider=row.provider_name,
        decided_at=_utc(row.decided_at),
        recorded_by=row.recorded_by,
        conditions=json.loads(row.conditions_json or "[]"),
        rollback_triggers=json.loads(row.rollback_triggers_json or "[]"),
        evidence=Evidence.model_validate_json(row.evidence_json),
    )


def show(session: Session, engagement: EngagementRef) -> GoLiveStatus:
    """The latest decision and the history, newest first (one query)."""
    engagement = engagement_of(session, engagement, writable=False)
    rows = session.execute(
        select(GoLiveDecision)
        .where(GoLiveDecision.engagement_id == engagement.id)
        .order_by(GoLiveDecision.decided_at.desc(), GoLiveDecision.id.desc())
    ).scalars()
    history = [_view(r) for r in rows]
    return GoLiveStatus(
        engagement=engagement.slug, latest=history[0] if history else None, history=history
    )


def rows(session: Session, engagement: EngagementRef) -> list[GoLiveRow]:
    """The exercises by day, then the decisions newest first (the TUI's Go-live tab)."""
    from transition.services import exercises

    engagement = engagement_of(session, engagement, writable=False)
    out = [
        GoLiveRow(
            key=f"exercise-{e.id}",
            kind="exercise",
            id=e.id,
            on=e.held_on,
            what=f"{e.scenario}{'' if e.held else ' (planned)'}",
            who=", ".join(e.participants),
            detail=f"findings: {', '.join(e.findings)}" if e.findings else "",
        )
        for e in exercises.list_exercises(session, engagement)
    ]
    for d in show(session, engagement).history:
        figures = "; ".join(
            f"{f.label} {'–' if f.value is None else f'{f.value:g}'}"
            + (f"/{f.of}" if f.of is not None else "")
            for f in d.evidence.figures
        )
        gate = (
            ""
            if d.evidence.gate_met is None
            else f"gate {'met' if d.evidence.gate_met else 'not met'}; "
        )
        out.append(
            GoLiveRow(
                key=f"decision-{d.id}",
                kind="decision",
                id=d.id,
                on=d.decided_at.date(),
                what=f"{d.decision.upper()} (phase {d.phase or '–'})",
                who=f"{d.client} (client), {d.provider} (provider)",
                detail="; ".join(
                    [
                        *(f"if {c}" for c in d.conditions),
                        *(f"roll back: {t}" for t in d.rollback_triggers),
                    ]
                )
                + (" · " if d.conditions or d.rollback_triggers else "")
                + gate
                + figures,
            )
        )
    return out


# Gate criterion ``go_decision``.


def gate_facts(session: Session, engagement: Engagement) -> tuple[bool, str, str] | None:
    """The latest decision: (go, client, provider), or None (one query)."""
    row = session.execute(
        select(GoLiveDecision.go, GoLiveDecision.client_name, GoLiveDecision.provider_name)
        .where(GoLiveDecision.engagement_id == engagement.id)
        .order_by(GoLiveDecision.decided_at.desc(), GoLiveDecision.id.desc())
        .limit(1)
    ).first()
    return tuple(row) if row is not None else None  # type: ignore[return-value]


def gate_judge(criterion: Criterion, phase: Phase, facts: Any) -> tuple[bool, str]:
    if facts is None:
        return False, "no go/no-go decision recorded"
    go, client, provider = facts
    if not go:
        return False, f"the latest decision is no-go ({client}, {provider})"
    return True, f"go, signed by {client} and {provider}"
