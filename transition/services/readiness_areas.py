"""The parts of the readiness score read from the evidence and governance areas: the
parallel-run scorecard, the tabletop exercises a gate requires and the open risks of the
RAID log (``readiness.WEIGHTS``). Each reads its area only when the part can apply."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import column, select, table
from sqlmodel import Session

from transition.models import Engagement, Phase
from transition.playbook_stored import parts_of

#: A risk scoring this much (probability × impact) or more is high.
HIGH_RISK = 15
#: Each open high risk takes this much off the risks part.
RISK_PENALTY = 25


@dataclass
class Part:
    """A part's raw figures: done of total units, and the undone items (action, units)."""

    done: float
    total: float
    counts: str
    todo: list[tuple[str, float]] = field(default_factory=list)

    @property
    def applies(self) -> bool:
        return self.total > 0

    @property
    def value(self) -> float:
        return 100.0 * self.done / self.total if self.total else 0.0


def scorecard_part(session: Session, engagement: Engagement) -> Part:
    if not parts_of(engagement.playbook_json).scorecard:  # (no scores read, none judged)
        return Part(0, 0, "no KPIs declared")
    from transition.services.scorecard import gate_facts

    facts = gate_facts(session, engagement)
    if not facts.provider:
        todo = [(f"record the provider's {k.key} ({k.title})", 1.0) for k in facts.kpis]
        return Part(0, len(facts.kpis), "no provider scores yet", todo)
    week = max(facts.provider)
    values = facts.provider[week]
    todo = []
    for kpi in facts.kpis:
        value = values.get(kpi.key)
        if value is None or not kpi.met(value):
            todo.append((f"meet the target of {kpi.key} ({kpi.title}) in a week", 1.0))
    done = len(facts.kpis) - len(todo)
    return Part(done, len(facts.kpis), f"{done} of {len(facts.kpis)} KPIs met in {week}", todo)


def _required_exercises(session: Session, engagement: Engagement, gates: Any) -> list[str]:
    keys: list[str] = []
    if gates is None:
        gates = session.execute(
            select(Phase.gate_json).where(Phase.engagement_id == engagement.id)
        ).scalars()
    for gate in gates:
        for criterion in json.loads(gate or "[]"):
            if criterion.get("name") == "exercises":
                keys += [k for k in criterion.get("keys", ()) if k not in keys]
    return keys


def exercises_part(session: Session, engagement: Engagement, gates: Any = None) -> Part:
    """``gates``: the phases' ``gate_json``, when the caller has read them."""
    required = _required_exercises(session, engagement, gates)
    if not required:
        return Part(0, 0, "no exercise required by a gate")
    from transition.services.exercises import gate_facts

    held = gate_facts(session, engagement)
    todo = [(f"hold the {key} exercise", 1.0) for key in required if key not in held]
    done = len(required) - len(todo)
    return Part(done, len(required), f"{done} of {len(required)} required scenarios held", todo)


#: The RAID log's columns the risks part reads, named through Core: scoring counts the
#: open high risks without building the RAID area's tables (``RaidItem``).
_RAID = table(
    "raid_item",
    *map(column, ("engagement_id", "kind", "status", "number", "probability", "impact")),
)


def risks_part(session: Session, engagement: Engagement) -> Part:
    r = _RAID.c
    found = session.execute(  # (the open scored risks, as ``raid_read.gate_facts`` reads)
        select(r.number, r.probability * r.impact).where(
            r.engagement_id == engagement.id,
            r.kind == "risk",
            r.status == "open",
            r.probability.is_not(None),
            r.impact.is_not(None),
            r.probability * r.impact >= HIGH_RISK,
        )
    ).all()
    high: list[tuple[str, int]] = []
    if found:
        from transition.services.raid_read import ref_of

        high = sorted(((ref_of("risk", n), s) for n, s in found), key=lambda h: (-h[1], h[0]))
    lost = min(100, RISK_PENALTY * len(high))
    todo = [(f"close or lower risk {ref} (score {score})", RISK_PENALTY) for ref, score in high]
    counts = f"{len(high)} open risk(s) scoring {HIGH_RISK} or more"
    # Units are points of the part here: 100 in all, RISK_PENALTY per high risk (capped).
    return Part(100 - lost, 100, counts, todo)
