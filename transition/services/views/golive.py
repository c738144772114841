"""Read models: tabletop exercises and go/no-go decisions."""

from __future__ import annotations

from datetime import date

from transition.services.views.base import Timestamp, View
from transition.services.views.phases import CriterionResult
from transition.services.views.tasks import TaskView


class ExerciseView(View):
    """One row of ``exercise list``: a tabletop exercise, who took part and the tasks its
    findings became. ``held`` once its day has come."""

    id: int
    key: str
    scenario: str
    held_on: date
    held: bool
    participants: list[str]
    findings: list[str]
    created_by: str


class FindingView(View):
    """What ``exercise finding`` did: the task that follows the finding up."""

    exercise_id: int
    scenario: str
    task: TaskView


class EvidenceFigure(View):
    """One figure of the evidence at a decision: ``value`` (of ``of`` when a share)."""

    key: str
    label: str
    value: float | None
    of: int | None = None
    note: str = ""


class Evidence(View):
    """The evidence at the moment of a go/no-go decision: the gate of the phase in
    progress, and figures (access, KT, runbooks, exercises; others add theirs)."""

    at: Timestamp
    phase: str | None
    gate_met: bool | None
    gate: list[CriterionResult]
    figures: list[EvidenceFigure]


class DecisionView(View):
    """A go/no-go decision as recorded."""

    id: int
    decision: str  # go | no-go
    phase: str | None
    client: str
    provider: str
    decided_at: Timestamp
    recorded_by: str
    conditions: list[str]
    rollback_triggers: list[str]
    evidence: Evidence


class GoLiveStatus(View):
    """``golive show``: the latest decision (None before any) and the history, newest
    first."""

    engagement: str
    latest: DecisionView | None
    history: list[DecisionView]


class GoLiveRow(View):
    """One row of the TUI's Go-live tab: an exercise or a decision."""

    key: str  # exercise-ID | decision-ID
    kind: str  # exercise | decision
    id: int
    on: date
    what: str
    who: str
    detail: str
