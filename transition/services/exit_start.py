"""Starting the exit: an exit engagement made from a running one (``engagement new
--exit-of``).

The running engagement's provider becomes the outgoing party (the exit's incumbent); the
incoming party is the successor (``provider``), or the client itself when none is named
(the service comes back in house). Carried over, in one transaction and audited:

- people still on the engagement (not removed, not released): the provider's people as
  the outgoing side (``incumbent``), due to leave by the exit date unless they have a
  release date already; client people stay client. The first incumbent's people are not
  party to the exit and stay behind;
- systems (with tier and description), their topics and their owners, SMEs and backups
  among the people carried over;
- every grant in force and every runbook, each as an item of the exit's checklist:
  ``revoke-grant-N`` (due at the exit) and ``hand-back-runbook-N`` (due ten working days
  before it);
- the notice and exit dates, the calendar and the time zone.

The exit records what it is the exit of (``exit_of_id``, one exit per engagement: a
unique index).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from transition.errors import BadInput, Refused, about
from transition.models import (
    AccessGrant,
    Engagement,
    HandoverItem,
    Person,
    Runbook,
    System,
    SystemDependency,
    SystemPerson,
    SystemTopic,
)
from transition.playbooks import resolve_playbook
from transition.services import audit
from transition.services.common import EngagementRef, engagement_of
from transition.services.rows import bulk_insert
from transition.services.views.exits import ExitStart
from transition.text import slugify

__all__ = ["SIDES", "start_exit"]

#: A side in the running engagement → its side in the exit (missing: not carried).
SIDES = {"provider": "incumbent", "client": "client"}
GRANT_SECTION = ("account-termination", "Termination of accounts")
RUNBOOK_SECTION = ("runbook-handback", "Runbook hand-back")


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _people(session: Session, src: Engagement, new: Engagement) -> dict[int, int]:
    """Copy the people who stay party to the exit; their old id → new id."""
    rows = (
        session.execute(
            select(Person)
            .where(
                Person.engagement_id == src.id,
                Person.removed_at.is_(None),
                Person.released_on.is_(None),
                Person.side.in_(tuple(SIDES)),
            )
            .order_by(Person.id)
        )
        .scalars()
        .all()
    )
    values = [
        {
            "engagement_id": new.id,
            "slug": p.slug,
            "name": p.name,
            "side": SIDES[p.side],
            "email": p.email,
            "role": p.role,
            "timezone": p.timezone,
            "release_date": p.release_date
            or (src.exit_date if SIDES[p.side] == "incumbent" else None),
            "version": 1,
        }
        for p in rows
    ]
    ids = bulk_insert(session, Person, values)
    audit.record_many(
        session,
        new.id,
        [
            audit.Change("person", i, "create", "side", None, v["side"])
            for i, v in zip(ids, values, strict=True)
        ],
    )
    return {p.id: i for p, i in zip(rows, ids, strict=True)}


def _systems(session: Session, src: Engagement, new: Engagement) -> dict[int, int]:
    rows = (
        session.execute(
            select(System)
            .where(System.engagement_id == src.id, System.removed_at.is_(None))
            .order_by(System.id)
        )
        .scalars()
        .all()
    )
    values = [
        {
            "engagement_id": new.id,
            "slug": s.slug,
            "name": s.name,
            "tier": s.tier,
            "description": s.description,
            "version": 1,
        }
        for s in rows
    ]
    ids = bulk_insert(session, System, values)
    audit.record_many(
        session,
        new.id,
        [
            audit.Change("system", i, "create", "tier", None, v["tier"])
            for i, v in zip(ids, values, strict=True)
        ],
    )
    return {s.id: i for s, i in zip(rows, ids, strict=True)}


def _dependencies(
    session: Session, src: Engagement, new: Engagement, systems: dict[int, int]
) -> int:
    """The dependency map between the carried systems, audited as ``system depends``."""
    from transition.services.dependencies import ENTITY

    edges = session.execute(
        select(SystemDependency.system_id, SystemDependency.depends_on_id, SystemDependency.kind)
        .where(SystemDependency.engagement_id == src.id)
        .order_by(SystemDependency.id)
    ).all()
    edges = [e for e in edges if e[0] in systems and e[1] in systems]
    if not edges:
        return 0
    rows = session.execute(select(System.id, System.name).where(System.id.in_(systems.values())))
    names = {i: name for i, name in rows}
    values = [
        {
            "engagement_id": new.id,
            "system_id": systems[a],
            "depends_on_id": systems[b],
            "kind": kind,
        }
        for a, b, kind in edges
    ]
    ids = bulk_insert(session, SystemDependency, values)
    audit.record_many(
        session,
        new.id,
        [
            audit.Change(
                ENTITY, i, "add", "depends_on", None, f"{names[v['depends_on_id']]} ({v['kind']})"
            )
            for i, v in zip(ids, values, strict=True)
        ],
    )
    return len(ids)


def _topics_and_owners(
    session: Session,
    src: Engagement,
    new: Engagement,
    people: dict[int, int],
    systems: dict[int, int],
) -> tuple[int, int]:
    topics = [
        {
            "engagement_id": new.id,
            "system_id": systems[t.system_id],
            "key": t.key,
            "title": t.title,
            "source": t.source,
        }
        for t in session.execute(
            select(SystemTopic)
            .where(SystemTopic.engagement_id == src.id, SystemTopic.removed_at.is_(None))
            .order_by(SystemTopic.id)
        ).scalars()
        if t.system_id in systems
    ]
    owners = [
        {
            "engagement_id": new.id,
            "system_id": systems[o.system_id],
            "person_id": people[o.person_id],
            "role": o.role,
        }
        for o in session.execute(
            select(SystemPerson)
            .where(SystemPerson.engagement_id == src.id)
            .order_by(SystemPerson.id)
        ).scalars()
        if o.system_id in systems and o.person_id in people
    ]
    bulk_insert(session, SystemTopic, topics)
    bulk_insert(session, SystemPerson, owners)
    names = {new_id: old_id for old_id, new_id in people.items()}
    person_names = dict(
        session.execute(
            select(Person.id, Person.name).where(Person.id.in_(list(names) or [-1]))
        ).all()
    )
    audit.record_many(
        session,
        new.id,
        [
            *(
                audit.Change("system", t["system_id"], "add", "topic", None, t["title"])
                for t in topics
            ),
            *(
                audit.Change(
                    "system",
                    o["system_id"],
                    "update",
                    o["role"],
                    None,
                    person_names.get(o["person_id"]),
                )
                for o in owners
            ),
        ],
    )
    return len(topics), len(owners)


def _item(
    new: Engagement, key: str, section: tuple[str, str], title: str, **values: Any
) -> dict[str, Any]:
    return {
        "engagement_id": new.id,
        "key": key,
        "section": section[0],
        "section_title": section[1],
        "title": _clip(title),
        "source": "carried",
        "source_kind": None,
        "source_id": None,
        "status": "open",
        "version": 1,
        **values,
    }


def _items(session: Session, src: Engagement, new: Engagement) -> tuple[int, int]:
    """Every grant in force and every runbook as an item of the exit's checklist."""
    from transition.services.handover import next_place

    position = next_place(session, new.id)
    rows: list[dict[str, Any]] = []
    grants = session.execute(
        select(
            AccessGrant.id,
            Person.name,
            System.name,
            AccessGrant.role,
            AccessGrant.justification,
            AccessGrant.expires_on,
        )
        .join(Person, Person.id == AccessGrant.person_id)
        .join(System, System.id == AccessGrant.system_id)
        .where(AccessGrant.engagement_id == src.id, AccessGrant.revoked_at.is_(None))
        .order_by(AccessGrant.id)
    ).all()
    for gid, person, system, role, why, expires in grants:
        detail = f"Grant {gid} of {src.slug}: {person}, {role} on {system}"
        if expires:
            detail += f", expires {expires.isoformat()}"
        if why:
            detail += f". Justification: {why}"
        rows.append(
            _item(
                new,
                f"revoke-grant-{gid}",
                GRANT_SECTION,
                f"Terminate {person}'s {role} access on {system}",
                description=detail,
                owner="security-officer",
                position=position + len(rows),
                checklist=src.slug,
                due_rule="exit",
            )
        )
    runbooks = session.execute(
        select(Runbook.id, Runbook.title, Runbook.status, Runbook.path, System.name)
        .join(System, System.id == Runbook.system_id)
        .where(Runbook.engagement_id == src.id)
        .order_by(Runbook.id)
    ).all()
    for rid, title, status, path, system in runbooks:
        rows.append(
            _item(
                new,
                f"hand-back-runbook-{rid}",
                RUNBOOK_SECTION,
                f"Hand back the runbook {title} ({system}) to the incoming team",
                description=f"Runbook {rid} of {src.slug}, {status}: {path}",
                owner="provider-service-manager",
                position=position + len(rows),
                checklist=src.slug,
                due_rule="exit-10bd",
            )
        )
    ids = bulk_insert(session, HandoverItem, rows)
    audit.record_many(
        session,
        new.id,
        [
            audit.Change("handover_item", i, "create", "key", None, r["key"])
            for i, r in zip(ids, rows, strict=True)
        ],
    )
    return len(grants), len(runbooks)


def start_exit(
    session: Session,
    *,
    name: str,
    exit_of: EngagementRef,
    playbook: str = "exit-to-successor",
    provider: str = "",
    client: str = "",
    start: str | date | None = None,
) -> ExitStart:
    """Start the exit of ``exit_of`` as a new engagement called ``name`` from
    ``playbook``. ``provider``: the successor taking the service over (empty: the client,
    taking it back); ``client``: default the running engagement's client. ``start``:
    default the notice date, else today. Refused when the engagement has an exit already;
    a successor (or, without one, the client) that is the outgoing provider is bad input."""
    from transition.services import engagements, handover
    from transition.workdays import Calendar, show_workweek

    with about("exit_of"):
        src = engagement_of(session, exit_of)
    with about("playbook"):
        book, raw, _ = resolve_playbook(playbook)
        if book.kind != "exit":
            raise BadInput(
                f"playbook {book.name!r} is not an exit playbook (kind: {book.kind}): "
                "an exit starts from a playbook with `kind: exit`, such as exit-to-successor"
            )
    days = Calendar.of(src)
    client = client.strip() or src.client
    incoming = provider.strip() or client
    if src.provider and slugify(incoming) == slugify(src.provider):
        raise BadInput(
            f"{src.provider} is the outgoing provider of {src.slug}: the service is handed "
            "to someone else; name the successor with --provider",
            field="provider",
        )
    new = engagements.create(
        session,
        name=name,
        playbook=book,
        raw=raw,
        client=client,
        incumbent=src.provider,
        provider=incoming,
        model=src.model,
        location=src.location,
        start=start if start else src.notice_date,
        calendar=src.calendar,
        timezone=src.timezone,
        workweek=show_workweek(src.workweek),
        holidays=sorted(days.extra),
    )
    # Checked once the name, playbook and start are read: bad input is named first.
    taken = session.execute(
        select(Engagement.slug).where(Engagement.exit_of_id == src.id)
    ).scalar_one_or_none()
    if taken is not None:
        raise Refused(
            f"engagement {src.slug} has an exit engagement already: {taken}", field="exit_of"
        )
    new.exit_of_id = src.id
    new.notice_date = src.notice_date
    new.exit_date = src.exit_date
    session.add(new)
    session.flush()
    for eid in (new.id, src.id):
        audit.record(session, eid, "engagement", new.id, "exit", "exit_of", None, src.slug)
    people = _people(session, src, new)
    systems = _systems(session, src, new)
    _dependencies(session, src, new, systems)
    topics, owners = _topics_and_owners(session, src, new, people, systems)
    grant_items, runbook_items = _items(session, src, new)
    handover.reconcile(session, new)  # each system carried over: its reverse-KT item
    return ExitStart(
        slug=new.slug,
        name=new.name,
        exit_of=src.slug,
        playbook=new.playbook_name,
        outgoing=new.incumbent,
        incoming=new.provider,
        people=len(people),
        systems=len(systems),
        topics=topics,
        owners=owners,
        grant_items=grant_items,
        runbook_items=runbook_items,
    )
