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
    actual_start: date | None
    actual_end: date | None
    gate_decision: str | None
    tasks_total: int
    tasks_open: int


class EngagementDetail(EngagementRow):
    """``engagement show``: the list row with its phases in full, and the calendar its
    plan is counted on: the holidays of ``calendar`` (a country/subdivision code; None:
    weekends only), the weekdays of ``workweek`` (``mon-fri``), the ``extra_holidays``;
    its times are shown in ``timezone`` (None: UTC)."""

    phases: list[PhaseRow]  # type: ignore[assignment]
    calendar: str | None = None
    workweek: str = "mon-fri"
    extra_holidays: list[date] = []
    timezone: str | None = None
