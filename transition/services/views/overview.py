"""Read models: the engagement screen's header."""

from __future__ import annotations

from transition.services.views.base import View
from transition.services.views.engagements import EngagementRow
from transition.services.views.people import PersonView
from transition.services.views.phases import PhaseStep
from transition.services.views.report import Upcoming


class EngagementOverview(View):
    """One engagement at a glance: its summary, phases (with task counts), the names of its
    systems and its people (for filters and forms), and what falls on its next 14 days."""

    summary: EngagementRow
    phases: list[PhaseStep]
    current_phase: str | None
    systems: list[str]
    people: list[PersonView]
    upcoming: Upcoming | None = None
