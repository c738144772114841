"""A person's agenda across engagements: what they must do in the coming days.

The person is found by name (its slug) or email in every engagement not archived;
``me`` is the acting user (``--actor`` / ``TRANSITION_ACTOR``) matched the same way.
Their agenda lists, due on or before the window's last day (late ones included):

- open tasks assigned to them, or owned by a role they hold with nobody assigned;
- planned KT sessions they present or attend (within the window);
- held KT sessions they attended, waiting for a sign-off;
- grants in force they approved (the approver is their name, email or, for ``me``, the
  actor) that expire;
- releases of people on engagements where they hold the ``transition-manager`` role.

The number of queries does not grow with the number of engagements or rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from transition.dates import today as today_
from transition.errors import BadInput, NotFound
from transition.models import (
    AccessGrant,
    Engagement,
    KTParticipant,
    KTSession,
    Person,
    RoleAssignment,
    System,
    Task,
)
from transition.services import audit
from transition.services.roles import people_matching
from transition.services.views.roles import Agenda, AgendaItem
from transition.text import slugify

#: The role that is responsible for releasing the incumbent's people.
RELEASE_ROLE = "transition-manager"
OPEN = ("todo", "in_progress", "blocked")
#: The longest window an agenda looks ahead.
MAX_DAYS = 366


def agenda(
    session: Session, *, person: str | None = None, me: bool = False, days: int = 14
) -> Agenda:
    """What ``person`` (or the acting user, ``me``, the default) must do in the next
    ``days`` days, across every engagement not archived, soonest first."""
    if person is not None and me:
        raise BadInput("give --me or --person, not both")
    if not 0 <= days <= MAX_DAYS:
        raise BadInput(f"--days takes a number from 0 to {MAX_DAYS}", field="days")
    who = person if person is not None else audit.actor(session)
    found = people_matching(session, who)
    if not found:
        hint = "" if person is not None else " (set --actor or TRANSITION_ACTOR, or use --person)"
        raise NotFound(f"no person {who!r} in any engagement (matched on name or email){hint}")
    ids = [p.id for p in found]
    eids = sorted({p.engagement_id for p in found})
    slugs = dict(
        session.execute(select(Engagement.id, Engagement.slug).where(Engagement.id.in_(eids))).all()
    )
    start = today_()
    until = start + timedelta(days=days)
    items: list[AgendaItem] = []
    roles = {
        (eid, role)
        for eid, role in session.execute(
            select(RoleAssignment.engagement_id, RoleAssignment.role).where(
                RoleAssignment.person_id.in_(ids)
            )
        )
    }
    items += _tasks(session, ids, roles, slugs, start, until)
    items += _sessions(session, ids, slugs, start, until)
    approvers = {found[0].name.casefold()} | {p.email.casefold() for p in found if p.email}
    if person is None:
        approvers.add(who.casefold())
    items += _grants(session, approvers, start, until)
    items += _releases(session, roles, slugs, start, until)
    items.sort(key=lambda i: (i.due or start, i.engagement, i.kind, i.ref))
    return Agenda(
        person=found[0].name,
        engagements=[slugs[e] for e in eids],
        today=start,
        until=until,
        items=items,
    )


def _tasks(session, ids, roles, slugs, start, until) -> list[AgendaItem]:
    role_eids = sorted({eid for eid, _ in roles})
    mine = Task.assignee_id.in_(ids)
    if role_eids:
        mine = mine | (
            Task.assignee_id.is_(None) & Task.engagement_id.in_(role_eids) & (Task.owner_role != "")
        )
    out = []
    for t in session.execute(
        select(
            Task.engagement_id,
            Task.key,
            Task.title,
            Task.due_date,
            Task.assignee_id,
            Task.owner_role,
        )
        .where(
            mine,
            Task.removed_at.is_(None),
            Task.status.in_(OPEN),
            Task.due_date.is_not(None),
            Task.due_date <= until,
        )
        .order_by(Task.due_date, Task.id)
    ):
        if t.assignee_id is not None:
            via = "assignee"
        elif (t.engagement_id, slugify(t.owner_role)) in roles:
            via = f"role {slugify(t.owner_role)}"
        else:
            continue
        out.append(
            AgendaItem(
                engagement=slugs[t.engagement_id],
                kind="task",
                due=t.due_date,
                ref=t.key,
                title=t.title,
                via=via,
                overdue=t.due_date < start,
            )
        )
    return out


def _sessions(session, ids, slugs, start, until) -> list[AgendaItem]:
    begin = datetime.combine(start, time.min, tzinfo=UTC)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC)
    out = []
    for s in session.execute(
        select(
            KTSession.id,
            KTSession.engagement_id,
            KTSession.topic,
            KTSession.kind,
            KTSession.status,
            KTSession.starts_at,
            KTSession.held_at,
            KTParticipant.role,
            System.name.label("system"),
        )
        .join(KTParticipant, KTParticipant.session_id == KTSession.id)
        .join(System, System.id == KTSession.system_id)
        .where(
            KTParticipant.person_id.in_(ids),
            (
                (KTSession.status == "planned")
                & (KTSession.starts_at >= begin)
                & (KTSession.starts_at < end)
            )
            | ((KTSession.status == "held") & (KTParticipant.role == "attendee")),
        )
        .order_by(KTSession.starts_at, KTSession.id)
    ):
        at = audit._utc(s.starts_at)
        if s.status == "planned":
            kind, via, day = "kt", s.role, at.date()
            title = f"{s.kind} on {s.system}: {s.topic}"
        else:
            kind, via, day = (
                "signoff",
                "attendee",
                (audit._utc(s.held_at) if s.held_at else at).date(),
            )
            title = f"sign off the {s.kind} on {s.system}: {s.topic}"
        out.append(
            AgendaItem(
                engagement=slugs[s.engagement_id],
                kind=kind,
                due=day,
                at=at,
                ref=f"kt {s.id}",
                title=title,
                via=via,
                overdue=kind == "signoff" and day < start,
            )
        )
    return out


def _grants(session, approvers, start, until) -> list[AgendaItem]:
    out = []
    for g in session.execute(
        select(
            AccessGrant.id,
            AccessGrant.role,
            AccessGrant.expires_on,
            Engagement.slug,
            Person.name.label("person"),
            System.name.label("system"),
        )
        .join(Engagement, Engagement.id == AccessGrant.engagement_id)
        .join(Person, Person.id == AccessGrant.person_id)
        .join(System, System.id == AccessGrant.system_id)
        .where(
            func.lower(AccessGrant.approver).in_(sorted(approvers)),
            AccessGrant.revoked_at.is_(None),
            AccessGrant.expires_on.is_not(None),
            AccessGrant.expires_on <= until,
            Engagement.archived_at.is_(None),
        )
        .order_by(AccessGrant.expires_on, AccessGrant.id)
    ):
        out.append(
            AgendaItem(
                engagement=g.slug,
                kind="grant-expiry",
                due=g.expires_on,
                ref=f"grant {g.id}",
                title=f"{g.role} on {g.system} for {g.person} expires",
                via="approver",
                overdue=g.expires_on < start,
            )
        )
    return out


def _releases(session, roles, slugs, start, until) -> list[AgendaItem]:
    eids = sorted({eid for eid, role in roles if role == RELEASE_ROLE})
    if not eids:
        return []
    return [
        AgendaItem(
            engagement=slugs[p.engagement_id],
            kind="release",
            due=p.release_date,
            ref=p.slug,
            title=f"release {p.name}",
            via=f"role {RELEASE_ROLE}",
            overdue=p.release_date < start,
        )
        for p in session.execute(
            select(Person.engagement_id, Person.slug, Person.name, Person.release_date)
            .where(
                Person.engagement_id.in_(eids),
                Person.removed_at.is_(None),
                Person.released_on.is_(None),
                Person.release_date.is_not(None),
                Person.release_date <= until,
            )
            .order_by(Person.release_date, Person.slug)
        )
    ]
