"""Moving recorded times to the days a sample's story says they happened (``demo``).

The services stamp every change with the real clock; a sample engagement built through
them in a second needs its task completions, phase ends, sessions held and grants given
spread over the weeks its story covers, so that burndown and timeline have a shape.
Each moved value is a ``backdate`` event, so the log still replays to the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

from transition.models import AccessGrant, Engagement, Phase, Task
from transition.services import audit


def any_engagement(session: Session, slugs: Iterable[str]) -> bool:
    """Whether an engagement with one of ``slugs`` exists."""
    found = session.execute(select(Engagement.slug).where(Engagement.slug.in_(list(slugs)))).first()
    return found is not None


def backdate(
    session: Session,
    engagement_id: int,
    model: Any,
    entity: str,
    values: Mapping[str, object],
    **match: object,
) -> None:
    """Set ``values`` on the engagement's rows of ``model`` whose columns equal ``match``,
    on the record: one ``backdate`` event per row and column (``entity`` names the rows in
    the log). Moving a phase's dates lays the meeting cadence out again, as a re-plan does.
    """
    where = [model.engagement_id == engagement_id]
    where += [getattr(model, name) == value for name, value in match.items()]
    columns = [getattr(model, name) for name in values]
    rows = session.execute(select(model.id, *columns).where(*where).order_by(model.id)).all()
    if not rows:
        return
    session.execute(update(model).where(model.id.in_([r[0] for r in rows])).values(**values))
    audit.record_many(
        session,
        engagement_id,
        [
            audit.Change(entity, row[0], "backdate", name, row[n + 1], value)
            for row in rows
            for n, (name, value) in enumerate(values.items())
        ],
    )
    if model is Phase:  # a phase's start or end moved: the cadence's meetings follow it
        from transition.services import meetings

        meetings.sync(session, session.get(Engagement, engagement_id))


def grant_given(session: Session, grant_id: int, at: datetime) -> None:
    """When a grant was given (``granted_at`` is not part of the log)."""
    session.execute(update(AccessGrant).where(AccessGrant.id == grant_id).values(granted_at=at))


def closed_tasks(session: Session, engagement_id: int) -> list[tuple[int, date | None]]:
    """Id and due date of each done or skipped task, in id order."""
    rows = session.execute(
        select(Task.id, Task.due_date)
        .where(Task.engagement_id == engagement_id, Task.status.in_(("done", "skipped")))
        .order_by(Task.id)
    )
    return [(task_id, due) for task_id, due in rows]
