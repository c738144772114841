"""What falls on an engagement's next days: the cutover, phase ends, people's releases,
grants expiring, planned KT sessions and open tasks due, by day.

``upcoming(session, engagement, days=14)`` is what the dashboard's detail and the
engagement screen's header show; the status report's "next 14 days" shares its queries
(``kt_sessions``, ``releases``, ``expiries``). A fixed number of queries (five, six without the phases) whatever
the number of tasks, grants or sessions; each list is capped at ``LIMIT`` rows, the
counts are not.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlmodel import Session

from transition.dates import today as today_
from transition.errors import BadInput
from transition.models import AccessGrant, KTSession, Person, Phase, System, Task
from transition.services.common import EngagementRef, engagement_of
from transition.services.views.phases import PhaseStep
from transition.services.views.report import DatedItem, Upcoming

#: The default window, in days from today.
DAYS = 14
#: The longest window asked for.
MAX_DAYS = 366
#: At most this many rows of each kind are listed (all are counted).
LIMIT = 50
#: Kinds in the order they are told on one day (the most decisive first).
ORDER = ("cutover", "phase", "meeting", "kt", "task", "release", "expiry")
OPEN_TASKS = ("todo", "in_progress", "blocked")


def _day(value: datetime | date | None) -> date | None:
    if isinstance(value, datetime):
        return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).date()
    return value


def _kt_sessions(engagement_id: int, start: date, end: date) -> Select:
    begin = datetime.combine(start, time.min, tzinfo=UTC)
    return (
        select(KTSession.starts_at, KTSession.kind, KTSession.topic, System.name)
        .join(System, System.id == KTSession.system_id)
        .where(
            KTSession.engagement_id == engagement_id,
            KTSession.status == "planned",
            KTSession.starts_at >= begin,
            KTSession.starts_at < datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
        )
        .order_by(KTSession.starts_at, KTSession.id)
    )


def kt_sessions(
    session: Session, engagement_id: int, start: date, end: date, limit: int | None = None
) -> Iterator[DatedItem]:
    """Planned KT sessions starting from ``start`` to ``end`` (both days included)."""
    stmt = _kt_sessions(engagement_id, start, end)
    for starts, kind, topic, system in session.execute(stmt.limit(limit)):
        yield DatedItem(day=_day(starts), kind="kt", text=f"KT {kind} on {system}: {topic}")


def _releases(engagement_id: int, start: date, end: date) -> Select:
    return (
        select(Person.name, Person.release_date)
        .where(
            Person.engagement_id == engagement_id,
            Person.removed_at.is_(None),
            Person.released_on.is_(None),
            Person.release_date.between(start, end),
        )
        .order_by(Person.release_date, Person.slug)
    )


def releases(
    session: Session, engagement_id: int, start: date, end: date, limit: int | None = None
) -> Iterator[DatedItem]:
    """People not yet released whose release date falls from ``start`` to ``end``."""
    stmt = _releases(engagement_id, start, end)
    for name, day in session.execute(stmt.limit(limit)):
        yield DatedItem(day=day, kind="release", text=f"{name} is released")


def _expiries(engagement_id: int, start: date, end: date) -> Select:
    return (
        select(AccessGrant.id, Person.name, System.name, AccessGrant.role, AccessGrant.expires_on)
        .join(Person, Person.id == AccessGrant.person_id)
        .join(System, System.id == AccessGrant.system_id)
        .where(
            AccessGrant.engagement_id == engagement_id,
            AccessGrant.revoked_at.is_(None),
            AccessGrant.expires_on.between(start, end),
        )
        .order_by(AccessGrant.expires_on, AccessGrant.id)
    )


def expiries(
    session: Session, engagement_id: int, start: date, end: date, limit: int | None = None
) -> Iterator[DatedItem]:
    """Grants in force that expire from ``start`` to ``end``."""
    stmt = _expiries(engagement_id, start, end)
    for gid, person, system, role, day in session.execute(stmt.limit(limit)):
        yield DatedItem(
            day=day, kind="expiry", text=f"grant {gid} expires: {person} on {system} ({role})"
        )


def upcoming(
    session: Session,
    engagement: EngagementRef,
    days: int = DAYS,
    *,
    phases: Sequence[PhaseStep] | None = None,
) -> Upcoming:
    """What falls on the engagement's next ``days`` days (today included), by day: the
    cutover, planned phase ends, releases, grant expiries, planned KT sessions and open
    tasks due (tasks already late are counted apart, as ``late``). ``phases``: the
    engagement's phases when the caller has read them already (``gates.steps``)."""
    if not 0 <= days <= MAX_DAYS:
        raise BadInput(f"days takes a number from 0 to {MAX_DAYS}", field="days")
    eng = engagement_of(session, engagement, writable=False)
    start = today_()
    end = start + timedelta(days=days)
    items: list[DatedItem] = []
    counts: dict[str, int] = dict.fromkeys(ORDER, 0)
    if phases is None:
        phases = list(
            session.execute(
                select(Phase.key, Phase.title, Phase.status, Phase.planned_end, Phase.planned_start)
                .where(Phase.engagement_id == eng.id)
                .order_by(Phase.position)
            )
        )
    cutover = next(
        (p.planned_start for p in phases if p.key == "cutover" and p.status == "pending"), None
    )
    if eng.status == "active":
        if cutover is not None and start <= cutover <= end:
            items.append(DatedItem(day=cutover, kind="cutover", text="cutover"))
        for p in phases:
            if p.status != "done" and p.planned_end and start <= p.planned_end <= end:
                items.append(DatedItem(day=p.planned_end, kind="phase", text=f"{p.title} ends"))
    open_due = (
        Task.engagement_id == eng.id,
        Task.removed_at.is_(None),
        Task.status.in_(OPEN_TASKS),
    )
    for key, title, due in session.execute(
        select(Task.key, Task.title, Task.due_date)
        .where(*open_due, Task.due_date.between(start, end))
        .order_by(Task.due_date, Task.position, Task.id)
        .limit(LIMIT)
    ):
        items.append(DatedItem(day=due, kind="task", text=f"task {key} due: {title}"))
    due_count, late = session.execute(
        select(
            func.count().filter(Task.due_date >= start),
            func.count().filter(Task.due_date < start),
        ).where(*open_due, Task.due_date <= end)
    ).one()
    items += kt_sessions(session, eng.id, start, end, LIMIT)
    items += releases(session, eng.id, start, end, LIMIT)
    items += expiries(session, eng.id, start, end, LIMIT)
    for item in items:
        counts[item.kind] += 1
    counts["task"] = due_count
    # A kind that reached the cap is counted in full (one more query, rarely needed).
    for kind, query in (("kt", _kt_sessions), ("release", _releases), ("expiry", _expiries)):
        if counts[kind] >= LIMIT:
            listed = query(eng.id, start, end).order_by(None).subquery()
            counts[kind] = session.execute(select(func.count()).select_from(listed)).scalar_one()
    items.sort(key=lambda i: (i.day, ORDER.index(i.kind), i.text))
    return Upcoming(
        engagement=eng.slug,
        today=start,
        until=end,
        items=items,
        counts={k: v for k, v in counts.items() if v},
        late=late,
        cutover=cutover,
    )
