"""The access finding of a release coming while the person is not ready for it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session

from transition.dates import today
from transition.models import Person
from transition.services.views.access import FindingView
from transition.services.views.release import Readiness, ReleaseRow
from transition.settings import get_settings


def not_on_course(
    session: Session, engagement_ids: list[int], known: Sequence[Readiness | ReleaseRow] = ()
) -> dict[int, list[FindingView]]:
    """Findings (``release_not_ready``, medium) for incumbents released within
    ``TRANSITION_RELEASE_WARNING_DAYS`` days (default 14) whose knowledge is not out yet
    (a topic not signed off, a runbook not accepted), per engagement.
    One query when nobody is leaving that soon, or when ``known`` holds their release
    readiness already (``release.readiness_of``, read by the caller)."""
    from transition.services.release import readiness_of

    now = today()
    horizon = now + timedelta(days=get_settings().release_warning_days())
    leaving: dict[int, list[Person]] = defaultdict(list)
    for person in session.execute(
        select(Person)
        .where(
            Person.engagement_id.in_(engagement_ids),
            Person.side == "incumbent",
            Person.release_date >= now,
            Person.release_date <= horizon,
            Person.released_on.is_(None),
            Person.removed_at.is_(None),
        )
        .order_by(Person.release_date, Person.slug)
    ).scalars():
        leaving[person.engagement_id].append(person)
    out: dict[int, list[FindingView]] = defaultdict(list)
    read: dict[str, Readiness | ReleaseRow] = {state.person: state for state in known}
    for eid, people in leaving.items():
        states: Sequence[Readiness | ReleaseRow]
        if all(p.slug in read for p in people):
            states = [read[p.slug] for p in people]
        else:
            states = readiness_of(session, eid, people)
        for state in states:
            # Grants are revoked by the release itself: knowledge and runbooks are the course.
            first, count = state.first_unmet()
            if first is None:
                continue
            out[eid].append(
                FindingView(
                    kind="release_not_ready",
                    severity="medium",
                    grant_id=None,
                    person=state.name,
                    system=state.first_system,
                    role=None,
                    message=f"{state.name} is released on {state.release_date} "
                    f"({state.days_left} days) and is not ready: {first}"
                    + (f" and {count - 1} more" if count > 1 else ""),
                )
            )
    return dict(out)
