"""Read models: the portfolio dashboard and the command palette's index."""

from __future__ import annotations

from typing import Literal

from transition.services.views.base import View
from transition.services.views.engagements import EngagementRow
from transition.services.views.report import Upcoming

#: An engagement's health: red, amber, green, or done (no longer active).
State = Literal["red", "amber", "green", "done"]


class DashboardRow(EngagementRow):
    """One engagement on the dashboard: its list row, health figures and state."""

    id: int
    systems: int
    kt_covered: int
    runbooks_accepted: int
    runbooks_required: int
    high_findings: int
    key_person_risks: list[str]
    #: Open risks of the RAID log scoring ``dashboard.HIGH_RISK_SCORE`` or more.
    high_risks: int = 0
    #: The latest stored readiness score (``readiness_snapshot``); None before the first.
    readiness: int | None = None
    state: State = "green"
    reasons: list[str] = []


class PaletteEntry(View):
    """Something the command palette can jump to.

    ``kind``: engagement, system, person or runbook; ``engagement``: the slug of the
    engagement it belongs to (its own slug for an engagement); ``detail``: the person's
    side or the runbook's status."""

    kind: Literal["engagement", "system", "person", "runbook"]
    engagement: str
    name: str
    detail: str = ""


class GateReadiness(View):
    """The gate of the phase in progress: how many of its criteria are met, and the
    first unmet one's reason (None when all are met)."""

    phase: str
    title: str
    met: int
    total: int
    first_unmet: str | None = None


class DashboardDetail(View):
    """What the dashboard shows under the list for the highlighted engagement: the gate
    ahead (None once every phase is done) and the next 14 days."""

    engagement: str
    gate: GateReadiness | None
    upcoming: Upcoming
