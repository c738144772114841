"""The command palette's index: every engagement in use (not archived), and its systems,
people and runbooks a user can jump to, in four queries whatever the number of
engagements."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from transition.models import Engagement, Person, Runbook, System
from transition.services.views.dashboard import PaletteEntry


def palette_index(session: Session) -> list[PaletteEntry]:
    """Engagements (by slug), then for each engagement in that order its systems in scope
    (by tier and name), its people (by side and name) and its runbooks (as ``runbook list``
    orders them)."""
    engagements = session.execute(
        select(Engagement.id, Engagement.slug, Engagement.name)
        .where(Engagement.archived_at.is_(None))
        .order_by(Engagement.slug)
    ).all()
    slug_of = {row.id: row.slug for row in engagements}
    order = {row.id: position for position, row in enumerate(engagements)}
    systems = session.execute(
        select(System.engagement_id, System.name)
        .where(System.removed_at.is_(None))
        .order_by(System.tier, System.slug)
    ).all()
    people = session.execute(
        select(Person.engagement_id, Person.name, Person.side)
        .where(Person.removed_at.is_(None))
        .order_by(Person.side, Person.slug)
    ).all()
    runbooks = session.execute(
        select(Runbook.engagement_id, Runbook.title, Runbook.status)
        .join(System, System.id == Runbook.system_id)
        .where(System.removed_at.is_(None))
        .order_by(System.tier, System.slug, Runbook.template, Runbook.id)
    ).all()

    def by_engagement(rows: list) -> list:  # stable: keeps each engagement's own order
        # (rows of archived engagements are not offered)
        shown = [row for row in rows if row.engagement_id in order]
        return sorted(shown, key=lambda row: order[row.engagement_id])

    out = [
        PaletteEntry(kind="engagement", engagement=row.slug, name=row.name) for row in engagements
    ]
    out += [
        PaletteEntry(kind="system", engagement=slug_of[row.engagement_id], name=row.name)
        for row in by_engagement(systems)
    ]
    out += [
        PaletteEntry(
            kind="person", engagement=slug_of[row.engagement_id], name=row.name, detail=row.side
        )
        for row in by_engagement(people)
    ]
    out += [
        PaletteEntry(
            kind="runbook",
            engagement=slug_of[row.engagement_id],
            name=row.title,
            detail=row.status,
        )
        for row in by_engagement(runbooks)
    ]
    return out
