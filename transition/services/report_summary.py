"""The committee's first page of the report, computed from the facts.

- Figures: this week (the 7 days up to today) against the 7 before: tasks closed, RAID
  issues (the log's findings) opened and closed, risks raised and closed.
- Top risks: the five open RAID risks of highest score (probability × impact).
- Decisions since the report's ``since`` day (a week ago unless ``--since`` says): the
  RAID decisions recorded since then, gate overrides among them.
- The next 14 days: meetings, KT sessions, open tasks due, people's releases, access
  expiries, phase ends and the cutover, by day.
- The changes since ``since`` as sentences (``services.changes``).

Bounded: the tasks' completion times, phases and meetings come from what the report
already read; RAID entries, KT sessions, open tasks due, releases and expiries are one
query each (with ``top``, the days up to where the first ``top`` items end are read, after
one query counting each kind by day), the changes one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlmodel import Session

from transition.models import AccessGrant, Engagement, KTSession, Person, Phase, System, Task
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

if TYPE_CHECKING:
    from transition.services.views.golive import DecisionView

AHEAD_DAYS = 14
TOP_RISKS = 5
CLOSED_TASKS = ("done", "skipped")


def _day(value: datetime | date | None) -> date | None:
    if isinstance(value, datetime):
        return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).date()
    return value


def _weeks(days: Sequence[date | None] | Mapping[date | None, int], now: date) -> tuple[int, int]:
    """How many of ``days`` (or of a count by day) fall in this week (now-6 … now) and in
    the week before."""
    counted = days if isinstance(days, Mapping) else Counter(days)
    this = sum(n for d, n in counted.items() if d is not None and now - timedelta(6) <= d <= now)
    last = sum(
        n
        for d, n in counted.items()
        if d is not None and now - timedelta(days=13) <= d <= now - timedelta(7)
    )
    return this, last


def summary(
    session: Session,
    engagement: Engagement,
    *,
    now: date,
    since: date,
    task_rows: Sequence[TaskView] = (),
    phases: Sequence[ReportPhase],
    meetings: Sequence[MeetingView],
    open_findings: int,
    cutover: date | None = None,
    completed: Mapping[datetime | None, int] | None = None,
    top: int | None = None,
    counted: dict[str, int] | None = None,
) -> ReportSummary:
    """The report's summary of ``engagement`` on ``now`` (see the module's docstring).
    ``completed``: the closed tasks by completion time (else counted from ``task_rows``);
    ``top``: the next days are read only up to the day their first ``top`` items end,
    and ``counted["next_days"]`` says how many there are in all."""
    assert engagement.id is not None
    if completed is None:
        completed = Counter(t.completed_at for t in task_rows if t.status in CLOSED_TASKS)
    closed_on: Counter[date | None] = Counter()
    for at, n in completed.items():
        closed_on[_day(at)] += n
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
            ("Tasks closed", closed_on),
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
    top_risks = [
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
    ahead, total = _ahead(session, engagement, now, phases, meetings, cutover, top)
    if counted is not None:
        counted["next_days"] = total
    return ReportSummary(
        week_start=now - timedelta(days=6),
        figures=figures,
        open_findings=open_findings,
        top_risks=top_risks,
        decisions=decisions,
        next_days=ahead,
        sentences=changes.sentences(session, engagement, since),
    )


def latest_decision(session: Session, engagement: Engagement) -> DecisionView | None:
    """The latest go/no-go decision, or None: looked for by table
    name first, so that a report of an engagement without one does not load the
    decisions' models."""
    from sqlalchemy import column, exists, table

    decisions = table("golive_decision", column("engagement_id"))
    if not session.execute(
        select(exists().where(decisions.c.engagement_id == engagement.id))
    ).scalar():
        return None
    from transition.services import golive

    return golive.show(session, engagement).latest


def _ahead(
    session: Session,
    engagement: Engagement,
    now: date,
    phases: Sequence[ReportPhase],
    meetings: Sequence[MeetingView],
    cutover: date | None,
    top: int | None,
) -> tuple[list[DatedItem], int]:
    """What falls on the next 14 days, by day, and how many there are: every item, or
    (``top``) the items of the days up to the one where the first ``top`` end."""
    end = now + timedelta(days=AHEAD_DAYS)
    items: list[DatedItem] = []

    def add(day: date | None, kind: str, text: str) -> None:
        if day is not None and now <= day <= end:
            items.append(DatedItem(day=day, kind=kind, text=text))

    for m in meetings:
        add(m.occurs_on, "meeting", f"{m.title} ({m.starts_local})")
    for p in phases:
        if p.status != "done":
            add(p.planned_end, "phase", f"phase {p.title} ends (planned)")
    add(cutover, "cutover", "cutover")
    eid = engagement.id
    last, total = end, None
    if top is not None:
        by_day = _by_day(session, eid, now)
        for item in items:
            by_day[(item.day - now).days] += 1
        total, running = sum(by_day), 0
        for offset, n in enumerate(by_day):
            running += n
            if running >= top:
                last = now + timedelta(days=offset)
                break
    items += upcoming.kt_sessions(session, eid, now, last)
    items += _tasks_due(session, eid, now, last)
    items += upcoming.releases(session, eid, now, last)
    items += upcoming.expiries(session, eid, now, last)
    order = ("cutover", "phase", "meeting", "kt", "task", "release", "expiry")
    items.sort(key=lambda i: (i.day, order.index(i.kind), i.text))
    return items, len(items) if total is None else total


def _open_due(eid: int):
    return (
        Task.engagement_id == eid,
        Task.removed_at.is_(None),
        Task.status.not_in(CLOSED_TASKS),
    )


def _tasks_due(session: Session, eid: int, start: date, end: date) -> Iterator[DatedItem]:
    """Open tasks due from ``start`` to ``end``."""
    for key, title, due in session.execute(
        select(Task.key, Task.title, Task.due_date).where(
            *_open_due(eid), Task.due_date.between(start, end)
        )
    ):
        yield DatedItem(day=due, kind="task", text=f"task {key} due: {title}")


def _by_day(session: Session, eid: int, now: date) -> list[int]:
    """How many KT sessions, open tasks due, releases and expiries fall on each of the next
    days (today first), counted in the database: four queries."""
    days = [now + timedelta(days=i) for i in range(AHEAD_DAYS + 1)]
    out = [0] * len(days)

    def add(running: Sequence[int]) -> None:
        before = 0
        for i, n in enumerate(running):
            out[i] += n - before
            before = n

    midnight = [datetime.combine(d + timedelta(days=1), time.min, tzinfo=UTC) for d in days]
    kt = KTSession.starts_at
    add(
        session.execute(
            select(*(func.count().filter(kt < m) for m in midnight))
            .select_from(KTSession)
            .join(System, System.id == KTSession.system_id)
            .where(
                KTSession.engagement_id == eid,
                KTSession.status == "planned",
                kt >= datetime.combine(now, time.min, tzinfo=UTC),
                kt < midnight[-1],
            )
        ).one()
    )
    due = Task.due_date
    add(
        session.execute(
            select(*(func.count().filter(due <= d) for d in days)).where(
                *_open_due(eid), due.between(now, days[-1])
            )
        ).one()
    )
    leaves = Person.release_date
    add(
        session.execute(
            select(*(func.count().filter(leaves <= d) for d in days)).where(
                Person.engagement_id == eid,
                Person.removed_at.is_(None),
                Person.released_on.is_(None),
                leaves.between(now, days[-1]),
            )
        ).one()
    )
    expires = AccessGrant.expires_on
    add(
        session.execute(
            select(*(func.count().filter(expires <= d) for d in days))
            .select_from(AccessGrant)
            .join(Person, Person.id == AccessGrant.person_id)
            .join(System, System.id == AccessGrant.system_id)
            .where(
                AccessGrant.engagement_id == eid,
                AccessGrant.revoked_at.is_(None),
                expires.between(now, days[-1]),
            )
        ).one()
    )
    return out
