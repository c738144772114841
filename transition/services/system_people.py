"""Who owns a system (owners, subject-matter experts, backups, per side) and what its
knowledge is made of (topics).

A system's topics are, by default, one per runbook template the playbook requires for its
tier (source ``runbook``), plus those the team adds (source ``team``). A default topic is
stored only once something refers to it (a KT session covering it) or it is removed, so
adding a system writes nothing more and reading topics never writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from transition.dates import utcnow
from transition.errors import BadInput, NotFound, Refused, about
from transition.models import Person, System, SystemPerson, SystemTopic
from transition.playbook_stored import parts_of
from transition.services import audit
from transition.services.access_rules import check_not_released
from transition.services.common import EngagementRef, engagement_of, get_person, get_system
from transition.services.views.owners import (
    SYSTEM_ROLES,
    Holding,
    OwnerChange,
    Topic,
    TopicChange,
)
from transition.text import clean_line, field_limit, slugify
from transition.unique_names import unique_violation


def _role(role: str) -> str:
    value = (role or "").strip().lower()
    if value not in SYSTEM_ROLES:
        raise BadInput(f"invalid role {role!r}: choose {', '.join(SYSTEM_ROLES)}", field="role")
    return value


def holders(
    session: Session, engagement: EngagementRef, system_ids: Iterable[int] | None = None
) -> list[Holding]:
    """Every person's role on the engagement's active systems (people not removed), by
    system, role (owner, sme, backup), side and name; one query."""
    engagement = engagement_of(session, engagement)
    stmt = (
        select(
            SystemPerson.system_id,
            System.name,
            SystemPerson.person_id,
            Person.name,
            Person.side,
            SystemPerson.role,
            Person.release_date,
        )
        .join(System, System.id == SystemPerson.system_id)
        .join(Person, Person.id == SystemPerson.person_id)
        .where(
            SystemPerson.engagement_id == engagement.id,
            System.removed_at.is_(None),
            Person.removed_at.is_(None),
        )
    )
    if system_ids is not None:
        stmt = stmt.where(SystemPerson.system_id.in_(sorted(set(system_ids))))
    rows = [
        Holding(
            system_id=sid,
            system=sname,
            person_id=pid,
            person=pname,
            side=side,
            role=role,
            release_date=release,
        )
        for sid, sname, pid, pname, side, role, release in session.execute(stmt)
    ]
    rows.sort(
        key=lambda h: (h.system.lower(), SYSTEM_ROLES.index(h.role), h.side, h.person.lower())
    )
    return rows


class TopicRow(NamedTuple):
    """A ``Topic`` as a plain row (the same fields), for readers that only look at it."""

    id: int | None
    system_id: int
    system: str
    key: str
    title: str
    source: str


def topics_for(
    session: Session,
    engagement: EngagementRef,
    system_ids: Iterable[int] | None = None,
    *,
    removed: bool = False,
) -> list[Topic]:
    """The topics of the engagement's active systems (``system_ids``: only those): the
    default ones (a runbook the playbook requires for the tier) first in the playbook's
    order, then the team's, by title. Removed topics only with ``removed``. Two queries."""
    return [
        Topic(**t._asdict()) for t in topic_rows(session, engagement, system_ids, removed=removed)
    ]


def topic_rows(
    session: Session,
    engagement: EngagementRef,
    system_ids: Iterable[int] | None = None,
    *,
    removed: bool = False,
) -> list[TopicRow]:
    """``topics_for`` as plain rows, with no read model per topic (a read: an archived
    engagement's topics are read too)."""
    engagement = engagement_of(session, engagement, writable=False)
    playbook = parts_of(engagement.playbook_json)
    stmt = select(System.id, System.name, System.tier).where(
        System.engagement_id == engagement.id, System.removed_at.is_(None)
    )
    st = SystemTopic
    stored_stmt = select(st.id, st.system_id, st.key, st.title, st.source, st.removed_at).where(
        st.engagement_id == engagement.id
    )
    if system_ids is not None:
        wanted = sorted(set(system_ids))
        stmt = stmt.where(System.id.in_(wanted))
        stored_stmt = stored_stmt.where(SystemTopic.system_id.in_(wanted))
    systems = session.execute(stmt).all()
    stored: dict[int, dict[str, Any]] = {}
    for t in session.execute(stored_stmt):
        stored.setdefault(t.system_id, {})[t.key] = t
    out: list[TopicRow] = []
    slugs: dict[str, str] = {}  # each template's key, worked out once
    for sid, sname, tier in sorted(systems, key=lambda s: (s[1].lower(), s[0])):
        mine = stored.get(sid, {})
        defaults = []
        for template in playbook.required_runbooks(tier):
            key = slugs.get(template) or slugs.setdefault(template, slugify(template))
            row = mine.get(key)
            defaults.append(key)
            if row is None:
                out.append(TopicRow(None, sid, sname, key, template, "runbook"))
            elif removed or row.removed_at is None:
                out.append(_topic(row, sname))
        team = sorted(
            (t for k, t in mine.items() if k not in defaults), key=lambda t: t.title.lower()
        )
        out += [_topic(t, sname) for t in team if removed or t.removed_at is None]
    return out


def _topic(row: Any, system: str) -> TopicRow:
    return TopicRow(row.id, row.system_id, system, row.key, row.title, row.source)


def stored_topics(
    session: Session, engagement: EngagementRef, system: System, titles: Iterable[str]
) -> list[SystemTopic]:
    """The stored rows of the system's topics named ``titles`` (by title, folded), a
    default topic stored on first use; an unknown or removed topic is refused, naming the
    system's topics."""
    engagement = engagement_of(session, engagement)
    current = {t.key: t for t in topics_for(session, engagement, [system.id])}
    out: list[SystemTopic] = []
    for title in titles:
        key = slugify(clean_line(title, "the topic", field_limit(SystemTopic, "title")))
        topic = current.get(key)
        if topic is None:
            known = ", ".join(t.title for t in current.values()) or "none"
            raise NotFound(
                f"system {system.slug} has no topic {title!r} (its topics: {known}); add it "
                f"with `transition system topic {engagement.slug} {system.slug} add TITLE`",
                field="covers",
            )
        row = _stored(session, engagement.id, system, topic)
        if row not in out:
            out.append(row)
    return out


def _stored(session: Session, eid: int, system: System, topic: Topic) -> SystemTopic:
    if topic.id is not None:
        row = session.get(SystemTopic, topic.id)
        assert row is not None
        return row
    row = SystemTopic(
        engagement_id=eid,
        system_id=system.id,
        key=topic.key,
        title=topic.title,
        source=topic.source,
    )
    session.add(row)
    _flush(
        session,
        f"topic {topic.title!r} of system {system.slug} was just stored by someone else; try again",
    )
    return row


def _flush(session: Session, clash: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        # A concurrent writer stored the same row after the check (the transaction is
        # void; nothing is saved).
        if unique_violation(exc) is None:
            raise
        raise Refused(clash) from None


def _mark(session: Session, row: SystemTopic, removed_at: Any, clash: str) -> None:
    """Remove (``removed_at``) or bring back (None) the stored topic ``row``, refused with
    ``clash`` when another writer did the same since it was read: the update applies only
    to a row still in the state it was read in."""
    done = session.execute(
        update(SystemTopic)
        .where(
            SystemTopic.id == row.id,
            SystemTopic.removed_at.is_(None)
            if removed_at is not None
            else SystemTopic.removed_at.is_not(None),
        )
        .values(removed_at=removed_at)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise Refused(f"{clash} (another change saved it a moment ago); nothing was saved")
    set_committed_value(row, "removed_at", removed_at)  # as stored: nothing left to flush


def set_owner(
    session: Session,
    engagement: EngagementRef,
    system: str,
    person: str,
    *,
    role: str = "owner",
    remove: bool = False,
) -> OwnerChange:
    """Make ``person`` an owner, SME or backup of ``system`` (``remove``: no longer).
    Giving a role the person already has, or to a person who has left (released), or
    removing one they do not have, is refused."""
    engagement = engagement_of(session, engagement)
    role = _role(role)
    with about("system"):
        target = get_system(session, engagement, system)
    with about("person"):
        who = get_person(session, engagement, person)
    shown = "an SME" if role == "sme" else f"a{'n' if role == 'owner' else ''} {role}"
    existing = session.execute(
        select(SystemPerson).where(
            SystemPerson.system_id == target.id,
            SystemPerson.person_id == who.id,
            SystemPerson.role == role,
        )
    ).scalar_one_or_none()
    if remove:
        if existing is None:
            raise Refused(f"{who.name} is not {shown} of system {target.slug}", field="person")
        session.delete(existing)
        session.flush()
        audit.record(session, engagement.id, "system", target.id, "update", role, who.name, None)
    else:
        if existing is not None:
            raise Refused(f"{who.name} is already {shown} of system {target.slug}", field="person")
        check_not_released(who, f"become {shown} of a system")
        session.add(
            SystemPerson(
                engagement_id=engagement.id, system_id=target.id, person_id=who.id, role=role
            )
        )
        _flush(session, f"{who.name} is already {shown} of system {target.slug}")
        audit.record(session, engagement.id, "system", target.id, "update", role, None, who.name)
    return OwnerChange(
        system=target.name,
        person=who.name,
        side=who.side,
        role=role,
        removed=remove,
        owners=holders(session, engagement, [target.id]),
    )


def change_topic(
    session: Session,
    engagement: EngagementRef,
    system: str,
    title: str,
    *,
    remove: bool = False,
) -> TopicChange:
    """Add a topic to a system's knowledge (``remove``: take one out, default topics too).
    A title whose folded form is already a topic is refused; a removed topic added again
    comes back."""
    engagement = engagement_of(session, engagement)
    with about("system"):
        target = get_system(session, engagement, system)
    with about("title"):
        title = clean_line(title, "the topic", field_limit(SystemTopic, "title"), required=True)
        key = slugify(title)
        if not key:
            raise BadInput(f"topic {title!r} needs letters or digits", field="title")
    every = {t.key: t for t in topics_for(session, engagement, [target.id], removed=True)}
    row = session.execute(
        select(SystemTopic).where(SystemTopic.system_id == target.id, SystemTopic.key == key)
    ).scalar_one_or_none()
    # A stored row decides (it may have been stored by another writer between the two
    # reads above); without one, a default topic is active.
    active = row.removed_at is None if row is not None else key in every
    if remove:
        if not active:
            raise NotFound(f"system {target.slug} has no topic {title!r}", field="title")
        if row is None:
            row = _stored(session, engagement.id, target, every[key])
            row.removed_at = utcnow()
            session.add(row)
            _flush(session, f"topic {title!r} of system {target.slug} was just changed; try again")
        else:
            _mark(session, row, utcnow(), f"system {target.slug} has no topic {title!r}")
        audit.record(
            session, engagement.id, "system", target.id, "remove", "topic", row.title, None
        )
    else:
        if active:
            shown = row.title if row is not None else every[key].title
            raise Refused(f"system {target.slug} already has the topic {shown!r}", field="title")
        clash = f"system {target.slug} already has the topic {title!r}"
        if row is not None:  # a removed topic comes back
            _mark(session, row, None, clash)
        else:
            row = SystemTopic(
                engagement_id=engagement.id,
                system_id=target.id,
                key=key,
                title=title,
                source="team",
            )
            session.add(row)
            _flush(session, clash)
        audit.record(
            session, engagement.id, "system", target.id, "update", "topic", None, row.title
        )
    return TopicChange(
        system=target.name,
        title=row.title,
        removed=remove,
        topics=topics_for(session, engagement, [target.id]),
    )
