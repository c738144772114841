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
