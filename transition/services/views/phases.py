"""Read models: phases."""

from __future__ import annotations

from datetime import date

from transition.services.views.base import Timestamp, View


class CriterionResult(View):
    """One gate criterion, met or not, and why."""

    criterion: str
    name: str
    met: bool
    reason: str


class PhaseStatus(View):
    key: str
    title: str
    position: int
    status: str
    planned_start: date
    planned_end: date
    #: The plan as first laid, and how many days the phase ends after it (negative: early).
    baseline_start: date | None
    baseline_end: date | None
    slip_days: int | None
    actual_start: date | None
    actual_end: date | None
    tasks_total: int
    tasks_open: int
    gate_met: bool
    gate: list[CriterionResult]
    gate_decision: str | None
    gate_decided_by: str | None
    gate_decided_at: Timestamp | None
    gate_reason: str | None
    version: int


class KeyPersonRisk(View):
    """A system whose only KT presenters are incumbents about to leave."""

    system: str
    presenters: list[str]
    release_date: date
    days_left: int
    missing: list[str]
    reason: str

    def line(self) -> str:
        """``system: reason``, as the dashboard and the panes list it."""
        return f"{self.system}: {self.reason}"


class GateStatus(View):
    """``phase status``: every phase with its gate, and the key-person risks."""

    engagement: str
    status: str
    current_phase: str | None
    phases: list[PhaseStatus]
    key_person_risks: list[KeyPersonRisk]

    def active(self) -> PhaseStatus | None:
        """The phase in progress, if any."""
        return next((p for p in self.phases if p.status == "active"), None)


class CurrentGate(View):
    """The gate ahead: the phase in progress (None once every phase is done) and the one
    after it (None when it is the last)."""

    engagement: str
    phase: PhaseStatus | None
    next: PhaseStatus | None


class MovedPhase(View):
    """One phase a re-lay moved: its planned dates before and after, and how many of its
    open tasks got a new due date."""

    key: str
    title: str
    old_start: date
    old_end: date
    new_start: date
    new_end: date
    tasks_moved: int


class ReplanView(View):
    """What a re-lay did (``phase replan``, or a phase left early or late): the phases
    whose planned dates moved, the open tasks that followed them, and why."""

    engagement: str
    action: str
    reason: str | None
    phases: list[MovedPhase]
    tasks_moved: int
    grants_moved: int


class AdvanceResult(View):
    """What ``phase advance`` did: the phase left, the one entered (None: the engagement is
    completed), passed or overridden, the criteria that were unmet and the reason given."""

    left: str
    entered: str | None
    decision: str
    unmet: list[CriterionResult]
    reason: str | None
    #: The phases ahead re-laid from the day the phase was left, and the open tasks moved.
    replanned: list[MovedPhase] = []
    tasks_moved: int = 0


class PhaseStep(View):
    """A phase as the engagement screen's stepper and task headings show it (no gate)."""

    key: str
    title: str
    position: int
    status: str
    gate_decision: str | None
    tasks_total: int = 0
    tasks_open: int = 0
    planned_start: date | None = None
    planned_end: date | None = None
    #: Days the phase ends after its baseline (negative: before it); None without one.
    slip_days: int | None = None
    version: int | None = None


class ReportPhase(PhaseStatus):
    """A phase as the status report shows it: with the days it runs late, where its bar
    ends on the timeline, and the criteria of its gate still unmet."""

    late_days: int
    bar_end: date | None
    unmet: list[CriterionResult]
