"""Read models: engagements."""

from __future__ import annotations

from datetime import date

from transition.services.views.base import Timestamp, View


class FieldChange(View):
    """One field a ``set`` command changed: its value before and after, as text."""

    field: str
    before: str | None
    after: str | None


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
    archived_at: Timestamp | None = None
    version: int
    #: A newer version of its playbook among the shipped and the user's (None: newest).
    playbook_latest: int | None = None


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
    """``engagement show``: the list row with its phases in full, and the calendar its
    plan is counted on: the holidays of ``calendar`` (a country/subdivision code; None:
    weekends only), the weekdays of ``workweek`` (``mon-fri``), the ``extra_holidays``;
    its times are shown in ``timezone`` (None: UTC); the client's ``notice_date`` of exit
    and the ``exit_date`` (None: not given); the engagement it is the exit of
    (``exit_of``) and the exit started from it (``exit_engagement``), by slug."""

    phases: list[PhaseRow]  # type: ignore[assignment]
    calendar: str | None = None
    workweek: str = "mon-fri"
    extra_holidays: list[date] = []
    timezone: str | None = None
    notice_date: date | None = None
    exit_date: date | None = None
    exit_of: str | None = None
    exit_engagement: str | None = None


class EngagementChange(View):
    """What ``engagement set``, ``archive`` and ``unarchive`` left: the engagement and
    the fields they changed (none: nothing changed)."""

    name: str
    slug: str
    archived_at: Timestamp | None
    version: int
    changes: list[FieldChange]


class EngagementDeleted(View):
    """``engagement delete``: what went, and where its final export is."""

    name: str
    slug: str
    rows: int
    export_path: str


class EngagementSettings(View):
    """What the engagement edit form shows: the fields ``engagement set`` changes, as
    stored (the work week as day names), and the version they were read at."""

    name: str
    slug: str
    client: str
    incumbent: str
    provider: str
    model: str
    location: str
    calendar: str | None
    timezone: str | None
    workweek: str
    notice_date: date | None = None
    exit_date: date | None = None
    archived_at: Timestamp | None
    version: int
