"""Gate criteria of the evidence and governance areas, each judged by its area's module.

An area module gives ``gate_facts(session, engagement) -> Any``, read once per gate check
in a bounded number of queries and only when some phase's gate names one of its criteria,
and ``gate_judge(criterion, phase, facts) -> (met, reason)``.
"""

from __future__ import annotations

import importlib
import json

from sqlmodel import Session

from transition.models import Engagement, Phase
from transition.playbook_criteria import Criterion

#: Criterion name → the module that judges it.
MODULES = {
    "scorecard": "transition.services.scorecard",
    "interventions": "transition.services.scorecard",
    "exercises": "transition.services.exercises",
    "go_decision": "transition.services.golive",
    "no_high_risks": "transition.services.raid_read",
}


def gather(session: Session, engagement: Engagement, phases: list[Phase]) -> dict[str, object]:
    """Module name → the facts it judges by, for the criteria the phases' gates name."""
    used = {c["name"] for p in phases for c in json.loads(p.gate_json or "[]")}
    modules = sorted({MODULES[name] for name in used if name in MODULES})
    return {
        module: importlib.import_module(module).gate_facts(session, engagement)
        for module in modules
    }


def judge(criterion: Criterion, phase: Phase, extras: dict[str, object]) -> tuple[bool, str]:
    module = MODULES[criterion.name]
    return importlib.import_module(module).gate_judge(criterion, phase, extras.get(module))
