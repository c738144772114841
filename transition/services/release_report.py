"""The report's release readiness and movers tables: for each incumbent with a release
date, what they still hold counted in the database (runbooks not accepted per system,
grants in force per person) and the units of knowledge not signed off counted once per
system, with only the first unmet line read in full."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TypedDict

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from transition.dates import today
from transition.models import AccessGrant, Person, Runbook
from transition.services.common import EngagementRef, engagement_of
from transition.services.release_units import held_units
from transition.services.views.release import (
    Counted,
    MoverView,
    ReleaseRow,
    runbook_line,
    topic_line,
)


class PersonState(TypedDict):
    """What a release readiness row (full or counted) says of the person."""

    person: str
    name: str
    side: str
    role: str | None
    release_date: date | None
    days_left: int | None
    released_on: date | None
    release_override: str | None
    ready: bool
    state: str


def person_state(p: Person, now: date, ready: bool) -> PersonState:
    released = p.released_on is not None
    return PersonState(
        person=p.slug,
        name=p.name,
        side=p.side,
        role=p.role,
        release_date=p.release_date,
        days_left=(p.release_date - now).days if p.release_date else None,
        released_on=p.released_on,
        release_override=p.release_override,
        ready=ready,
        state="released" if released else ("ready" if ready else "not ready"),
    )


def mover(p: Person) -> MoverView:
    return MoverView(
        person=p.slug,
        name=p.name,
        moved_from=p.moved_from or "",
        side=p.side,
        moved_on=p.moved_on,
        role=p.role,
    )


def report_tables(
    session: Session, engagement: EngagementRef
) -> tuple[list[ReleaseRow], list[MoverView]]:
    """The report's release readiness (``ReleaseRow``: what ``release.readiness`` judges,
    counted) and movers tables, reading the people once. A fixed number of queries."""
    eng = engagement_of(session, engagement)
    people = list(
        session.execute(
            select(Person)
            .where(
                Person.engagement_id == eng.id,
                Person.removed_at.is_(None),
                or_(
                    and_(Person.side == "incumbent", Person.release_date.is_not(None)),
                    Person.moved_from.is_not(None),
                ),
            )
            .order_by(Person.slug)
        ).scalars()
    )
    leaving = [p for p in people if p.side == "incumbent" and p.release_date is not None]
    leaving.sort(key=lambda p: (p.release_date, p.slug))
    moved = sorted(
        (p for p in people if p.moved_from is not None),
        key=lambda p: (p.moved_on or date.min, p.slug),
    )
    return _rows(session, eng.id, leaving), [mover(p) for p in moved]


def _rows(session: Session, engagement_id: int, people: list[Person]) -> list[ReleaseRow]:
    if not people:
        return []
    ids = [p.id for p in people]
    now = today()
    link, known = held_units(session, engagement_id, ids)
    names = link.names
    # Runbooks not accepted: how many per system, and the first (lowest id).
    open_runbooks: dict[int, tuple[int, int]] = {}
    if names:
        for sid, count, first in session.execute(
            select(Runbook.system_id, func.count(), func.min(Runbook.id))
            .where(Runbook.system_id.in_(sorted(names)), Runbook.status != "accepted")
            .group_by(Runbook.system_id)
        ):
            open_runbooks[sid] = (count, first)
    grants: dict[int, int] = defaultdict(int)
    for pid, count in session.execute(
        select(AccessGrant.person_id, func.count())
        .where(AccessGrant.person_id.in_(ids), AccessGrant.revoked_at.is_(None))
        .group_by(AccessGrant.person_id)
    ):
        grants[pid] = count
    facts = []
    wanted: set[int] = set()  # the runbooks whose line is the first unmet of someone
    for p in people:
        mine_held = link.of(p.id)
        topics, first_line, first_system = 0, None, "-"
        for sid in mine_held:
            gaps = known.gaps(sid)
            if gaps and first_line is None:
                first_line = topic_line(names[sid], gaps[0][0], gaps[0][1])
                first_system = names[sid]
            topics += len(gaps)
        owned = [s for s in mine_held if s in link.owns.get(p.id, ()) and s in open_runbooks]
        runbooks = sum(open_runbooks[s][0] for s in owned)
        first_runbook = open_runbooks[owned[0]][1] if owned and first_line is None else None
        if first_runbook is not None:
            wanted.add(first_runbook)
        facts.append((p, topics, runbooks, first_line, first_system, first_runbook))
    lines: dict[int, str] = {}
    if wanted:
        for rid, sid, title, status in session.execute(
            select(Runbook.id, Runbook.system_id, Runbook.title, Runbook.status).where(
                Runbook.id.in_(sorted(wanted))
            )
        ):
            lines[rid] = runbook_line(rid, title, names[sid], status)
    out = []
    for p, topics, runbooks, first_line, first_system, first_runbook in facts:
        if first_runbook is not None:
            first_line = lines[first_runbook]
        held_grants = grants.get(p.id, 0)
        ready = not topics and not runbooks and not held_grants
        out.append(
            ReleaseRow(
                **person_state(p, now, ready),
                topics=Counted(topics),
                runbooks=Counted(runbooks),
                grants=Counted(held_grants),
                first_line=first_line,
                first_system=first_system,
            )
        )
    return out
