"""The audit log with names: each event's row told by what a person calls it (a task's
title, a person's or system's name, a grant as "who on what", a system dependency as
"which on which"), and the people that fields
such as ``accepted_by_id`` point to by name, for the TUI's Audit tab.

One query per kind of row on the page (a dozen at most; two for system dependencies
removed since), whatever the number of events; a row deleted since keeps its number
(``#12``), but a removed dependency is named as its events named it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from transition.models import (
    AccessGrant,
    AuditEvent,
    Engagement,
    HandoverItem,
    KTSession,
    Person,
    Phase,
    RoleAssignment,
    Runbook,
    System,
    Task,
    TaskNote,
)
from transition.models.golive import Exercise
from transition.models.meetings import Meeting
from transition.models.raid import RaidItem, SystemDependency
from transition.services import audit
from transition.services.common import EngagementRef
from transition.services.raid_read import ref_of
from transition.services.views.audit import NamedAuditEvent
from transition.services.views.raid import DEPENDENCY_KINDS

#: How the log names a system dependency (``dependencies.ENTITY``).
DEPENDENCY = "system_dependency"

#: Fields whose values are a person's id.
PERSON_FIELDS = frozenset({"accepted_by_id", "signed_off_by_id", "owner_id", "assignee_id"})


def _simple(model: Any, *label: Any) -> Callable[[Session, list[int]], Iterable[tuple[int, str]]]:
    def read(session: Session, ids: list[int]) -> Iterable[tuple[int, str]]:
        for rid, *parts in session.execute(select(model.id, *label).where(model.id.in_(ids))):
            yield rid, " ".join(str(p) for p in parts)

    return read


def _grants(session: Session, ids: list[int]) -> Iterable[tuple[int, str]]:
    for gid, person, system, role in session.execute(
        select(AccessGrant.id, Person.name, System.name, AccessGrant.role)
        .join(Person, Person.id == AccessGrant.person_id)
        .join(System, System.id == AccessGrant.system_id)
        .where(AccessGrant.id.in_(ids))
    ):
        yield gid, f"{person} on {system} ({role})"


def _sessions(session: Session, ids: list[int]) -> Iterable[tuple[int, str]]:
    for sid, kind, system, topic in session.execute(
        select(KTSession.id, KTSession.kind, System.name, KTSession.topic)
        .join(System, System.id == KTSession.system_id)
        .where(KTSession.id.in_(ids))
    ):
        yield sid, f"{kind} on {system}: {topic}"


def _raid(session: Session, ids: list[int]) -> Iterable[tuple[int, str]]:
    for rid, kind, number, title in session.execute(
        select(RaidItem.id, RaidItem.kind, RaidItem.number, RaidItem.title).where(
            RaidItem.id.in_(ids)
        )
    ):
        yield rid, f"{ref_of(kind, number)} {title}"


def _roles(session: Session, ids: list[int]) -> Iterable[tuple[int, str]]:
    for rid, role, person in session.execute(
        select(RoleAssignment.id, RoleAssignment.role, Person.name)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(RoleAssignment.id.in_(ids))
    ):
        yield rid, f"{role}: {person}"


def _notes(session: Session, ids: list[int]) -> Iterable[tuple[int, str]]:
    task = aliased(Task)
    for nid, title in session.execute(
        select(TaskNote.id, task.title)
        .join(task, task.id == TaskNote.task_id)
        .where(TaskNote.id.in_(ids))
    ):
        yield nid, f"on {title}"


def _dependencies(session: Session, ids: list[int]) -> Iterable[tuple[int, str]]:
    """A system dependency as "Intranet → Active Directory"; one removed since (its row
    is deleted) as its own events named the two systems (a second query, only then)."""
    source, target = aliased(System), aliased(System)
    seen: set[int] = set()
    for did, a, b in session.execute(
        select(SystemDependency.id, source.name, target.name)
        .join(source, source.id == SystemDependency.system_id)
        .join(target, target.id == SystemDependency.depends_on_id)
        .where(SystemDependency.id.in_(ids))
    ):
        seen.add(did)
        yield did, f"{a} → {b}"
    gone = [i for i in ids if i not in seen]
    if not gone:
        return
    logged: dict[int, dict[str, str]] = defaultdict(dict)
    for did, field, before, after in session.execute(
        select(AuditEvent.entity_id, AuditEvent.field, AuditEvent.before, AuditEvent.after)
        .where(
            AuditEvent.entity == DEPENDENCY,
            AuditEvent.entity_id.in_(gone),
            AuditEvent.field.in_(("system", "depends_on")),
        )
        .order_by(AuditEvent.id)
    ):
        value = after or before  # the newest event that names it tells it last
        if value:
            logged[did][field] = _without_kind(value) if field == "depends_on" else value
    for did, told in logged.items():
        yield did, f"{told.get('system', '?')} → {told.get('depends_on', '?')}"


def _without_kind(value: str) -> str:
    """``Active Directory`` of ``Active Directory (auth)``, as an added dependency's
    event names its target."""
    name, _, kind = value.rpartition(" (")
    return name if name and kind.removesuffix(")") in DEPENDENCY_KINDS else value


#: Entity (as the log names it) → how to read the names of rows of it by id.
READERS: dict[str, Callable[[Session, list[int]], Iterable[tuple[int, str]]]] = {
    "task": _simple(Task, Task.title),
    "person": _simple(Person, Person.name),
    "system": _simple(System, System.name),
    "phase": _simple(Phase, Phase.title),
    "runbook": _simple(Runbook, Runbook.title),
    "handover_item": _simple(HandoverItem, HandoverItem.title),
    "meeting": _simple(Meeting, Meeting.title, Meeting.starts_at),
    "exercise": _simple(Exercise, Exercise.scenario),
    "engagement": _simple(Engagement, Engagement.name),
    "access_grant": _grants,
    "kt_session": _sessions,
    "raid_item": _raid,
    "role_assignment": _roles,
    "task_note": _notes,
    DEPENDENCY: _dependencies,
}


def _as_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def named(session: Session, events: list[Any]) -> list[NamedAuditEvent]:
    """``events`` (``AuditEventView``) with the name of each one's row and, for a field
    that holds a person's id, the people before and after by name."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for e in events:
        if e.entity_id is not None and e.entity in READERS:
            wanted[e.entity].add(e.entity_id)
        if e.field in PERSON_FIELDS:
            wanted["person"].update(i for i in (_as_id(e.before), _as_id(e.after)) if i)
    names: dict[tuple[str, int], str] = {}
    for entity, ids in wanted.items():
        for rid, name in READERS[entity](session, sorted(ids)):
            names[(entity, rid)] = name
    out = []
    for e in events:
        update: dict[str, Any] = {"name": names.get((e.entity, e.entity_id or 0))}
        if e.field in PERSON_FIELDS:
            for side in ("before", "after"):
                pid = _as_id(getattr(e, side))
                if pid is not None:
                    update[side] = names.get(("person", pid), getattr(e, side))
        out.append(NamedAuditEvent.model_validate({**e.model_dump(), **update}))
    return out


def events(
    session: Session,
    engagement: EngagementRef,
    *,
    limit: int | None = None,
    offset: int = 0,
    newest_first: bool = False,
    text: str | None = None,
    sort: str | None = None,
    descending: bool = False,
) -> list[NamedAuditEvent]:
    """``audit.events`` with names (see ``named``); ``text`` and ``sort`` as there."""
    page = audit.events(
        session,
        engagement,
        limit=limit,
        offset=offset,
        newest_first=newest_first,
        text=text,
        sort=sort,
        descending=descending,
    )
    return named(session, page)
