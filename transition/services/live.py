"""The change marker the TUI polls to notice what others changed: the newest audit event
id (of one engagement, or of all), and the changes written after a given one, each with
who made it. One query, on the audit log's primary key (or its engagement index)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from transition.models import AuditEvent, Engagement
from transition.services.views.audit import ChangeMarker, MarkedChange

#: At most this many events are read per look (in id order); the rest come with the next.
EVENTS_READ = 5000


def marker(
    session: Session, engagement: str | None = None, *, since: int | None = None
) -> ChangeMarker:
    """The newest event id of ``engagement`` (its slug; None: every engagement), and with
    ``since`` the changes (one per command's transaction) whose events came after that id,
    oldest first. An engagement that no longer has that slug has no events.

    The events are read in id order from ``since`` on, on the primary key (or the
    engagement's index), and folded here: grouping them in SQL would walk the change-id
    index over the whole log."""
    where = []
    if engagement is not None:
        owner = select(Engagement.id).where(Engagement.slug == engagement).scalar_subquery()
        where.append(AuditEvent.engagement_id == owner)
    if since is None:
        newest = session.execute(select(func.max(AuditEvent.id)).where(*where)).scalar()
        return ChangeMarker(newest=newest or 0, changes=[])
    rows = session.execute(
        select(AuditEvent.id, AuditEvent.change_id, AuditEvent.actor)
        .where(AuditEvent.id > since, *where)
        .order_by(AuditEvent.id)
        .limit(EVENTS_READ)
    ).all()
    changes: dict[str | None, MarkedChange] = {}
    for event_id, change_id, actor in rows:
        found = changes.get(change_id)
        if found is None:
            changes[change_id] = MarkedChange(change_id=change_id, actor=actor, last=event_id)
        else:
            found.last = event_id
    newest = rows[-1][0] if rows else since
    return ChangeMarker(newest=newest, changes=list(changes.values()))


def told(changes: list[MarkedChange]) -> str:
    """``3 changes by maria, 1 by ann``: the changes counted by who made them, most first."""
    by: dict[str, int] = {}
    for change in changes:
        by[change.actor] = by.get(change.actor, 0) + 1
    ranked = sorted(by.items(), key=lambda item: (-item[1], item[0]))
    parts = [f"{n} {'change' if n == 1 else 'changes'} by {who}" for who, n in ranked[:1]]
    parts += [f"{n} by {who}" for who, n in ranked[1:3]]
    if len(ranked) > 3:
        parts.append(f"{sum(n for _, n in ranked[3:])} by others")
    return ", ".join(parts)
