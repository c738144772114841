"""Read models: the parallel-run scorecard (KPI scores per party and ISO week)."""

from __future__ import annotations

from transition.services.views.base import View


class ScoreView(View):
    """One row of ``score list``: a KPI's value for a party in an ISO week, against the
    target the playbook declares (``met``: the value meets it)."""

    kpi: str
    title: str
    unit: str
    party: str
    period: str
    value: float
    target: float
    better: str
    met: bool
    note: str | None = None


class ScoreChange(View):
    """What ``score record`` did: ``replaced`` holds the value it replaced, if any."""

    kpi: str
    party: str
    period: str
    value: float
    target: float
    met: bool
    replaced: float | None = None


class ScoreImport(View):
    """What ``score import`` did: values added, and values replaced (same KPI, party and
    week recorded before)."""

    added: int
    replaced: int


class InterventionView(View):
    """A week in which the incumbent had to step in."""

    id: int
    period: str
    note: str


class KPISeries(View):
    """One KPI over the weeks that have scores: one value (or None) per week and party."""

    key: str
    title: str
    unit: str
    target: float
    better: str
    incumbent: list[float | None]
    provider: list[float | None]
    #: Per week: the provider met the target (False where it has no value).
    provider_met: list[bool]


class Scorecard(View):
    """The whole scorecard: the weeks that have scores (oldest first), each KPI's series,
    and the interventions (TUI tab and report)."""

    periods: list[str]
    kpis: list[KPISeries]
    interventions: list[InterventionView]
