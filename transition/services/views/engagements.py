"""Read models: engagements."""

from __future__ import annotations

from datetime import date

from transition.services.views.base import View


class EngagementRow(View):
    """``engagement list``: one engagement with its progress figures."""

    name: str
    slug: str
    client: str
    incumbent: str
    provider: str
    model: str
    location: str
    start_date: date
    status: str
    playbook: str
    playbook_version: int
    playbook_hash: str
    current_phase: str | None
    phases: list[str]
    phase_index: int
    tasks_total: int
    tasks_done: int
    tasks_overdue: int
    tasks_blocked: int
    cutover_date: date | None
    days_to_cutover: int | None
    version: int


class PhaseRow(View):
    """A phase as ``engagement show`` lists it."""

    key: str
    title: str
    status: str
    planned_start: date
    planned_end: date
    baseline_start: date | None
    baseline_end: date | None
    slip_days: int | None
    actual_start: date | None
    actual_end: date | None
    gate_decision: str | None
    tasks_total: int
    tasks_open: int

    def slip(self) -> str:
        """``+8d`` (ends 8 days after its baseline), ``-2d``, ``+0d``; ``–`` without one."""
        return slip_text(self.slip_days)


def slip_text(days: int | None) -> str:
    """How a slip reads: ``+8d``, ``-2d``, ``+0d``, or ``–`` when there is no baseline."""
    return "–" if days is None else f"{days:+d}d"


class EngagementDetail(EngagementRow):
    """``engagement show``: the list row with its phases in full."""

    phases: list[PhaseRow]  # type: ignore[assignment]
