"""Playbook owner roles (``transition-manager``, ``incumbent-lead``) resolved to people.

A role is matched on its slug (``Transition Manager`` ≡ ``transition-manager``). A task
owned by a role with nobody assigned is carried by the people holding that role.
Assigning a role no task of the engagement is owned by is recorded with a warning (a role
may be assigned before the tasks that use it are added). Each assignment is audited as
entity ``role_assignment`` with the fields ``role`` and ``person``: action ``assign``
when it is made, ``remove`` when it is taken away (the row goes; the log keeps it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlmodel import Session

from transition.errors import BadInput, NotFound, Refused, about
from transition.models import Engagement, Person, RoleAssignment, Task
from transition.services import audit
from transition.services.access_rules import check_not_released
from transition.services.common import EngagementRef, add_unique, engagement_of, get_person
from transition.services.views.roles import RoleChange, RoleView
from transition.text import clean_line, field_limit, slugify

ENTITY = "role_assignment"
#: Task statuses still to be done.
OPEN = ("todo", "in_progress", "blocked")


def role_slug(value: str) -> str:
    """A role as given (``Transition Manager``) → its stored form (``transition-manager``)."""
    with about("role"):
        text = clean_line(value, "role", field_limit(RoleAssignment, "role"), required=True)
        slug = slugify(text)
        if not slug:
            raise BadInput(f"invalid role {value!r}: it needs letters or digits", field="role")
        if len(slug) > (field_limit(RoleAssignment, "role") or 100):
            raise BadInput(f"role {value!r} is too long", field="role")
    return slug


def _task_roles(session: Session, engagement: Engagement) -> set[str]:
    """The roles the engagement's tasks (removed ones left out) are owned by, as slugs."""
    rows = session.execute(
        select(Task.owner_role)
        .where(
            Task.engagement_id == engagement.id,
            Task.removed_at.is_(None),
            Task.owner_role != "",
        )
        .distinct()
    ).scalars()
    return {slugify(r) for r in rows if r and slugify(r)}


def assign(session: Session, engagement: EngagementRef, role: str, person: str) -> RoleChange:
    """Give ``person`` the playbook role ``role``. Refused (exit 1) when they hold it
    already or have left (released: their roles ended with them); a role no task is owned
    by is assigned with a warning."""
    engagement = engagement_of(session, engagement)
    slug = role_slug(role)
    with about("person"):
        holder = get_person(session, engagement, person)
    check_not_released(holder, "take a role")
    if _row(session, engagement, slug, holder) is not None:
        raise Refused(
            f"{holder.name} already holds the role {slug} in {engagement.slug}", field="person"
        )
    row = RoleAssignment(engagement_id=engagement.id, role=slug, person_id=holder.id)
    # Worded before the insert: a lost race leaves the rows read so far unreadable.
    clash = (
        f"{holder.name} already holds the role {slug} in {engagement.slug} "
        "(another change saved it a moment ago); nothing was saved"
    )
    if not add_unique(session, row):  # another writer assigned it since the check above
        raise Refused(clash, field="person")
    audit.record_fields(
        session,
        engagement.id,
        ENTITY,
        row.id,
        {"role": (None, slug), "person": (None, holder.name)},
        action="assign",
    )
    warnings = []
    known = _task_roles(session, engagement)
    if slug not in known:
        used = ", ".join(sorted(known)) or "none"
        warnings.append(
            f"no task of {engagement.slug} is owned by the role {slug} (task roles: {used})"
        )
    return RoleChange(role=slug, person=holder.name, assigned=True, warnings=warnings)


def unassign(session: Session, engagement: EngagementRef, role: str, person: str) -> RoleChange:
    """Take the role ``role`` from ``person``; refused when they do not hold it."""
    engagement = engagement_of(session, engagement)
    slug = role_slug(role)
    with about("person"):
        holder = get_person(session, engagement, person)
    row = _row(session, engagement, slug, holder)
    if row is None:
        raise Refused(f"{holder.name} does not hold the role {slug} in {engagement.slug}")
    row_id = row.id
    session.delete(row)
    session.flush()
    audit.record_fields(
        session,
        engagement.id,
        ENTITY,
        row_id,
        {"role": (slug, None), "person": (holder.name, None)},
        action="remove",
    )
    return RoleChange(role=slug, person=holder.name, assigned=False)


def end_roles(
    session: Session, engagement: Engagement, person: Person, *, prefix: str = ""
) -> list[str]:
    """Take from ``person`` every role they hold (``prefix``: only the roles whose slug
    starts with it), each audited as a ``remove`` so ``undo`` gives it back; returns the
    roles taken, by slug. Part of the caller's transaction (a release, a move)."""
    rows = [
        r
        for r in session.execute(
            select(RoleAssignment)
            .where(
                RoleAssignment.engagement_id == engagement.id,
                RoleAssignment.person_id == person.id,
            )
            .order_by(RoleAssignment.role)
        ).scalars()
        if r.role.startswith(prefix)
    ]
    changes = [
        audit.Change(ENTITY, r.id, "remove", field, before, None)
        for r in rows
        for field, before in (("role", r.role), ("person", person.name))
    ]
    for r in rows:
        session.delete(r)
    session.flush()
    audit.record_many(session, engagement.id, changes)
    return [r.role for r in rows]


def _row(
    session: Session, engagement: Engagement, role: str, person: Person
) -> RoleAssignment | None:
    return session.execute(
        select(RoleAssignment).where(
            RoleAssignment.engagement_id == engagement.id,
            RoleAssignment.role == role,
            RoleAssignment.person_id == person.id,
        )
    ).scalar_one_or_none()


def holders(session: Session, engagement_ids: Iterable[int]) -> dict[tuple[int, str], list[str]]:
    """``(engagement id, role)`` → the names of the people holding it (removed people left
    out), in one query."""
    ids = sorted(set(engagement_ids))
    out: dict[tuple[int, str], list[str]] = defaultdict(list)
    if not ids:
        return out
    for eid, role, name in session.execute(
        select(RoleAssignment.engagement_id, RoleAssignment.role, Person.name)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(RoleAssignment.engagement_id.in_(ids), Person.removed_at.is_(None))
        .order_by(RoleAssignment.role, Person.slug)
    ):
        out[(eid, role)].append(name)
    return out


def owners_of(
    held: dict[tuple[int, str], list[str]], engagement_id: int, owner_role: str | None
) -> list[str]:
    """The people carrying a task owned by ``owner_role`` (none when it has no role)."""
    if not owner_role:
        return []
    return list(held.get((engagement_id, slugify(owner_role)), []))


def list_roles(session: Session, engagement: EngagementRef) -> list[RoleView]:
    """Every role held, with its people, and every role open tasks are owned by that
    nobody holds (``person`` None), by role; with the open unassigned tasks of each."""
    engagement = engagement_of(session, engagement)
    counts: dict[str, int] = defaultdict(int)
    for owner_role, n in session.execute(
        select(Task.owner_role, func.count())
        .where(
            Task.engagement_id == engagement.id,
            Task.removed_at.is_(None),
            Task.assignee_id.is_(None),
            Task.status.in_(OPEN),
            Task.owner_role != "",
        )
        .group_by(Task.owner_role)
    ):
        if slugify(owner_role or ""):
            counts[slugify(owner_role)] += n
    for role in _task_roles(session, engagement):
        counts.setdefault(role, 0)
    rows: list[RoleView] = []
    held: set[str] = set()
    for role, name, slug, side in session.execute(
        select(RoleAssignment.role, Person.name, Person.slug, Person.side)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(RoleAssignment.engagement_id == engagement.id, Person.removed_at.is_(None))
        .order_by(RoleAssignment.role, Person.slug)
    ):
        held.add(role)
        rows.append(
            RoleView(role=role, person=name, slug=slug, side=side, open_tasks=counts.get(role, 0))
        )
    rows += [
        RoleView(role=role, person=None, slug=None, side=None, open_tasks=n)
        for role, n in counts.items()
        if role not in held
    ]
    return sorted(rows, key=lambda r: (r.role, r.person is None, r.slug or ""))


def people_matching(
    session: Session, who: str, *, engagement_ids: Iterable[int] | None = None
) -> list[Person]:
    """The people (not removed) whose name has the slug of ``who`` or whose email is
    ``who`` (ignoring case), in the given engagements or in every one not archived."""
    text = (who or "").strip()
    if not text:
        raise BadInput("name the person")
    stmt = (
        select(Person)
        .join(Engagement, Engagement.id == Person.engagement_id)
        .where(
            Person.removed_at.is_(None),
            (Person.slug == slugify(text)) | (func.lower(Person.email) == text.lower()),
        )
        .order_by(Engagement.slug)
    )
    if engagement_ids is None:
        stmt = stmt.where(Engagement.archived_at.is_(None))
    else:
        stmt = stmt.where(Person.engagement_id.in_(sorted(set(engagement_ids))))
    return list(session.execute(stmt).scalars())


def me_in(session: Session, engagement: Engagement) -> Person:
    """The acting user as a person of ``engagement``: their name or email is the actor
    (``--actor`` or ``TRANSITION_ACTOR``)."""
    who = audit.actor(session)
    found = people_matching(session, who, engagement_ids=[engagement.id])
    if not found:
        raise NotFound(
            f"the acting user {who!r} is not a person of {engagement.slug} (matched on name "
            "or email): set --actor or TRANSITION_ACTOR to your name"
        )
    return found[0]
