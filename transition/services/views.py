"""Typed read models: what the services return to the CLI, the TUI and the report.

Each view is built from selected columns (``model_validate`` of a row mapping) or from an
ORM row (``from_attributes``), never handed out as the live table row. ``--json`` prints
``model_dump(mode="json")``: the field names and their order are the keys scripts read
(pinned by tests/test_json_keys.py), so rename nothing here without a deprecation.
Timestamps dump as ``datetime.isoformat()`` (``+00:00``), as they always have.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer

#: An aware UTC timestamp, dumped to JSON as ``isoformat()`` (pydantic would write ``Z``).
Timestamp = Annotated[datetime, PlainSerializer(lambda v: v.isoformat(), when_used="json")]


class View(BaseModel):
    """Base of every read model: built from attributes or a mapping, read by attribute."""

    model_config = ConfigDict(from_attributes=True)


# --------------------------------------------------------------------------- people


class PersonView(View):
    id: int
    name: str
    slug: str
    side: str
    email: str | None
    role: str | None
    release_date: date | None
    version: int


# --------------------------------------------------------------------------- tasks


class TaskView(View):
    id: int
    key: str
    title: str
    status: str
    owner_role: str | None
    due_date: date | None
    note: str | None
    completed_by: str | None
    completed_at: Timestamp | None
    version: int
    phase: str
    assignee: str | None
    depends_on: list[str] = []
    waiting_on: list[str] = []
    overdue: bool = False


# --------------------------------------------------------------------------- systems


class SystemView(View):
    """A system in scope with its coverage: runbooks, access, KT, readiness, risk."""

    name: str
    slug: str
    tier: int
    runbooks_total: int
    runbooks_required: int
    runbooks_accepted: int
    runbooks_missing: list[str]
    access_active: int
    kt_signed_off: list[str]
    kt_open: int
    kt_missing: list[str]
    ready: bool
    key_person_risk: bool
    key_person_risk_reason: str | None
    version: int


# --------------------------------------------------------------------------- phases


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


# --------------------------------------------------------------------------- engagements


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
    """``engagement show``: the list row with its phases in full."""

    phases: list[PhaseRow]  # type: ignore[assignment]
