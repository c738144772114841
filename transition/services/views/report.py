"""Read models of the committee report: the executive summary, top risks, decisions, the
next 14 days and the changes told as sentences."""

from __future__ import annotations

from datetime import date

from transition.services.views.base import Timestamp, View


class WeekFigure(View):
    """One line of the summary: this week (the last 7 days) against the 7 before."""

    label: str
    this_week: int
    last_week: int


class RiskLine(View):
    """An open RAID risk, by score."""

    ref: str
    title: str
    score: int | None
    owner: str | None
    mitigation: str


class DecisionLine(View):
    """A RAID decision recorded since the report's ``since`` day."""

    ref: str
    title: str
    decided_at: Timestamp
    by: str
    phase: str | None


class DatedItem(View):
    """Something due in the next 14 days: ``kind`` is meeting, kt, task, release, expiry,
    phase or cutover."""

    day: date
    kind: str
    text: str


class Upcoming(View):
    """An engagement's next days (``upcoming``): what falls on each day, soonest first,
    and how many of each kind (``counts``: cutover, phase, kt, task, release, expiry;
    kinds with none left out). ``late``: open tasks already past their due date."""

    engagement: str
    today: date
    until: date
    items: list[DatedItem]
    counts: dict[str, int]
    late: int = 0
    cutover: date | None = None

    def first(self, kind: str) -> DatedItem | None:
        return next((i for i in self.items if i.kind == kind), None)


class ChangeSentence(View):
    """Changes of the same kind by the same person told as one sentence."""

    text: str
    count: int
    actor: str
    last_at: Timestamp


class ReportSummary(View):
    """The committee's first page: figures this week against last week, the open findings
    now, the top five risks, the decisions, the next 14 days and the changes as sentences."""

    week_start: date
    figures: list[WeekFigure]
    open_findings: int
    top_risks: list[RiskLine]
    decisions: list[DecisionLine]
    next_days: list[DatedItem]
    sentences: list[ChangeSentence]
