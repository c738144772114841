"""The committee's first page of the report, computed from the facts.

- Figures: this week (the 7 days up to today) against the 7 before: tasks closed, RAID
  issues (the log's findings) opened and closed, risks raised and closed.
- Top risks: the five open RAID risks of highest score (probability × impact).
- Decisions since the report's ``since`` day (a week ago unless ``--since`` says): the
  RAID decisions recorded since then, gate overrides among them.
- The next 14 days: meetings, KT sessions, open tasks due, people's releases, access
  expiries, phase ends and the cutover, by day.
- The changes since ``since`` as sentences (``services.changes``).

Bounded: the tasks, phases and meetings come from what the report already read; RAID
entries, KT sessions, releases and expiries are one query each, the changes four.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from transition.models import Engagement, Person, Phase
from transition.models.raid import RaidItem
from transition.services import changes, upcoming
from transition.services.raid_read import ref_of
from transition.services.views import TaskView
from transition.services.views.meetings import MeetingView
from transition.services.views.phases import ReportPhase
from transition.services.views.report import (
    DatedItem,
    DecisionLine,
    ReportSummary,
    RiskLine,
    WeekFigure,
)

AHEAD_DAYS = 14
TOP_RISKS = 5
CLOSED_TASKS = ("done", "skipped")


def _day(value: datetime | date | None) -> date | None:
    if isinstance(value, datetime):
        return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).date()
    return value


def _weeks(days: Sequence[date | None], now: date) -> tuple[int, int]:
    """How many of ``days`` fall in this week (now-6 … now) and in the week before."""
    this = sum(1 for d in days if d is not None and now - timedelta(days=6) <= d <= now)
    last = sum(
        1 for d in days if d is not None and now - timedelta(days=13) <= d <= now - timedelta(7)
    )
    return this, last


def summary(
    session: Session,
    engagement: Engagement,
    *,
    now: date,
    since: date,
    task_rows: Sequence[TaskView],
    phases: Sequence[ReportPhase],
    meetings: Sequence[MeetingView],
    open_findings: int,
    cutover: date | None = None,
) -> ReportSummary:
    """The report's summary of ``engagement`` on ``now`` (see the module's docstring)."""
    assert engagement.id is not None
    raid = session.execute(
        select(RaidItem, Person.name, Phase.title)
        .outerjoin(Person, Person.id == RaidItem.owner_id)
        .outerjoin(Phase, Phase.id == RaidItem.phase_id)
        .where(RaidItem.engagement_id == engagement.id)
        .order_by(RaidItem.id)
    ).all()
    figures = [
        WeekFigure.model_validate(
            dict(
                zip(
                    ("label", "this_week", "last_week"),
                    (label, *_weeks(days, now)),
                    strict=True,
                )
            )
        )
        for label, days in (
            ("Tasks closed", [_day(t.completed_at) for t in task_rows if t.status in CLOSED_TASKS]),
            ("Findings opened", [_day(r.created_at) for r, _, _ in raid if r.kind == "issue"]),
            ("Findings closed", [_day(r.closed_at) for r, _, _ in raid if r.kind == "issue"]),
            ("Risks raised", [_day(r.created_at) for r, _, _ in raid if r.kind == "risk"]),
            ("Risks closed", [_day(r.closed_at) for r, _, _ in raid if r.kind == "risk"]),
        )
    ]
    risks = sorted(
        (r for r in raid if r[0].kind == "risk" and r[0].status == "open"),
        key=lambda r: (-((r[0].probability or 0) * (r[0].impact or 0)), r[0].number),
    )[:TOP_RISKS]
    top = [
        RiskLine(
            ref=ref_of(r.kind, r.number),
            title=r.title,
            score=(r.probability * r.impact) if r.probability and r.impact else None,
            owner=owner,
            mitigation=r.mitigation,
        )
        for r, owner, _ in risks
    ]
    decisions = [
        DecisionLine(
            ref=ref_of(r.kind, r.number),
            title=r.title,
            decided_at=r.created_at,
            by=r.created_by,
            phase=phase,
        )
        for r, _, phase in raid
        if r.kind == "decision" and (_day(r.created_at) or now) >= since
    ]
    return ReportSummary(
        week_start=now - timedelta(days=6),
        figures=figures,
        open_findings=open_findings,
        top_risks=top,
        decisions=decisions,
        next_days=_ahead(session, engagement, now, task_rows, phases, meetings, cutover),
        sentences=changes.sentences(session, engagement, since),
    )


def _ahead(
    session: Session,
    engagement: Engagement,
    now: date,
    task_rows: Sequence[TaskView],
    phases: Sequence[ReportPhase],
    meetings: Sequence[MeetingView],
    cutover: date | None,
) -> list[DatedItem]:
    """What falls on the next 14 days, by day (three queries, shared with
    ``upcoming``)."""
    end = now + timedelta(days=AHEAD_DAYS)
    items: list[DatedItem] = []

    def add(day: date | None, kind: str, text: str) -> None:
        if day is not None and now <= day <= end:
            items.append(DatedItem(day=day, kind=kind, text=text))

    for m in meetings:
        add(m.occurs_on, "meeting", f"{m.title} ({m.starts_local})")
    items += upcoming.kt_sessions(session, engagement.id, now, end)
    for t in task_rows:
        if t.status not in CLOSED_TASKS:
            add(_day(t.due_date), "task", f"task {t.key} due: {t.title}")
    items += upcoming.releases(session, engagement.id, now, end)
    items += upcoming.expiries(session, engagement.id, now, end)
    for p in phases:
        if p.status != "done":
            add(p.planned_end, "phase", f"phase {p.title} ends (planned)")
    add(cutover, "cutover", "cutover")
    order = ("cutover", "phase", "meeting", "kt", "task", "release", "expiry")
    items.sort(key=lambda i: (i.day, order.index(i.kind), i.text))
    return items
