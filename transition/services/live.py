"""The change marker the TUI polls to notice what others changed: the newest audit event
id (of one engagement, or of all), and the changes written after a given one, each with
who made it. One query, on the audit log's primary key (or its engagement index)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from transition.models import AuditEvent, Engagement
from transition.services.views.audit import ChangeMarker, MarkedChange

#: At most this many changes are read per look; the rest come with the next one.
CHANGES_READ = 200


def marker(
    session: Session, engagement: str | None = None, *, since: int | None = None
) -> ChangeMarker:
    """The newest event id of ``engagement`` (its slug; None: every engagement), and with
    ``since`` the changes (one per command's transaction) whose events came after that id,
    oldest first. An engagement that no longer has that slug has no events."""
    where = []
    if engagement is not None:
        owner = select(Engagement.id).where(Engagement.slug == engagement).scalar_subquery()
        where.append(AuditEvent.engagement_id == owner)
    if since is None:
        newest = session.execute(select(func.max(AuditEvent.id)).where(*where)).scalar()
        return ChangeMarker(newest=newest or 0, changes=[])
    last = func.max(AuditEvent.id).label("last")
    rows = session.execute(
        select(AuditEvent.change_id, func.min(AuditEvent.actor).label("actor"), last)
        .where(AuditEvent.id > since, *where)
        .group_by(AuditEvent.change_id)
        .order_by(last)
        .limit(CHANGES_READ)
    ).all()
    changes = [MarkedChange(change_id=r.change_id, actor=r.actor, last=r.last) for r in rows]
    return ChangeMarker(newest=max((c.last for c in changes), default=since), changes=changes)


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
