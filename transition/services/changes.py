"""The report's "changes since", told as sentences a committee reads.

The audit log records one row per field changed; here the rows since a day are folded
into one *thing* per entity, action and person ("task 41 updated status todo → done by
priya"), and the things into sentences: the tasks one person closed in one phase are
one sentence ("3 tasks closed in Discovery by priya"), a revoked grant or a raised risk
is its own ("grant 12 revoked (Raj Patel on SAP ERP): left the team"), anything else is
counted by kind ("2 runbooks updated by sam"). One query, whatever the number of
rows: the recent events with the names of the tasks, grants and RAID entries they touch,
folded here by thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from transition.models import AccessGrant, AuditEvent, Engagement, Person, Phase, System, Task
from transition.models.raid import RaidItem
from transition.services.raid_read import ref_of
from transition.services.views.report import ChangeSentence

#: At most this many audit rows are read (the newest); enough for many weeks.
EVENTS_READ = 20000
#: At most this many sentences are shown, newest first.
SENTENCES_SHOWN = 40

_STATUS_VERB = {
    "done": "closed",
    "skipped": "skipped",
    "in_progress": "started",
    "blocked": "blocked",
    "todo": "reopened",
}
_PAST = {
    "create": "created",
    "add": "added",
    "update": "updated",
    "remove": "removed",
    "schedule": "scheduled",
    "assign": "assigned",
    "release": "released",
    "move": "moved",
    "close": "closed",
    "revoke": "revoked",
    "reschedule": "rescheduled",
    "advance": "advanced",
    "archive": "archived",
    "unarchive": "unarchived",
    "regenerate": "regenerated",
    "grant": "granted",
    "hold": "held",
    "cancel": "cancelled",
    "attend": "attended",
    "link": "linked",
    "backdate": "backdated",
    "derive": "derived",
    "signoff": "signed off",
    "force-status": "forced to a status",
    "status": "moved on",
    "exercise": "exercised",
    "finding": "given a finding",
    "action": "given an action",
}


@dataclass
class _Thing:
    entity: str
    entity_id: int | None
    action: str
    actor: str
    at: datetime
    fields: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


@dataclass
class _Group:
    key: tuple[str, ...]
    actor: str
    at: datetime
    count: int = 0
    singular: str = ""
    plural: str = ""


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: The fields whose last value the sentences tell (a task's status, a revoke's reason, a
#: RAID entry's resolution).
_TOLD = ("status", "revoke_reason", "resolution")


def _things(
    session: Session, eid: int, since: date
) -> tuple[list[_Thing], dict[int, tuple], dict[int, str], dict[int, tuple]]:
    """One thing per entity, action and person of the newest ``EVENTS_READ`` audit rows
    since the start of ``since``, in the order they first appear, with the time of its
    last row and the last value of the told fields; and the names of the tasks, revoked
    grants and RAID entries they touch. The database folds the rows into things (a
    thousand times fewer than the rows on a busy week) and joins each to its names."""
    a = AuditEvent
    start = datetime.combine(since, time.min, tzinfo=UTC)
    recent = (
        select(a.id, a.at, a.entity, a.entity_id, a.action, a.actor, a.field)
        .where(a.engagement_id == eid, a.at >= start)
        .order_by(a.id.desc())
        .limit(EVENTS_READ)
        .subquery()
    )
    r = recent.c
    # The newest row of each told field, by id: its value is read by that id below.
    last_of = [func.max(case((r.field == name, r.id))).label(name) for name in _TOLD]
    thing = (
        select(r.entity, r.entity_id, r.action, r.actor, func.max(r.at).label("at"))
        .add_columns(func.min(r.id).label("first"), *last_of)
        .group_by(r.entity, r.entity_id, r.action, r.actor)
        .subquery()
    )
    t = thing.c
    told = [AuditEvent.__table__.alias(f"told_{name}") for name in _TOLD]
    query = (
        select(t.entity, t.entity_id, t.action, t.actor, t.at)
        .add_columns(Task.key, Phase.id, Phase.title)
        .add_columns(Person.id, Person.name, System.id, System.name)
        .add_columns(RaidItem.kind, RaidItem.number, RaidItem.title)
        # Last: each told field's newest row (None: not told) and its value.
        .add_columns(
            *(c for name, a in zip(_TOLD, told, strict=True) for c in (t[name], a.c.after))
        )
    )
    for name, alias in zip(_TOLD, told, strict=True):
        query = query.outerjoin(alias, alias.c.id == t[name])
    query = (
        query.outerjoin(
            Task, and_(t.entity == "task", Task.id == t.entity_id, Task.engagement_id == eid)
        )
        .outerjoin(Phase, Phase.id == Task.phase_id)
        .outerjoin(
            AccessGrant,
            and_(
                t.entity == "access_grant",
                t.action == "revoke",
                AccessGrant.id == t.entity_id,
                AccessGrant.engagement_id == eid,
            ),
        )
        .outerjoin(Person, Person.id == AccessGrant.person_id)
        .outerjoin(System, System.id == AccessGrant.system_id)
        .outerjoin(
            RaidItem,
            and_(
                t.entity == "raid_item",
                RaidItem.id == t.entity_id,
                RaidItem.engagement_id == eid,
            ),
        )
        .order_by(t.first)
    )
    out: list[_Thing] = []
    tasks: dict[int, tuple] = {}
    grants: dict[int, str] = {}
    raid: dict[int, tuple] = {}
    # Through the connection: plain rows, without the ORM's per-row work.
    for row in session.connection().execute(query).all():
        (entity, entity_id, action, actor, at, task_key, phase_id, phase) = row[:8]
        (person_id, person, system_id, system, kind, number, title, *last) = row[8:]
        found = _Thing(entity, entity_id, action, actor, _utc(at))
        for i, name in enumerate(_TOLD):
            if last[2 * i] is not None:  # told, even when its last value is empty
                found.fields[name] = (None, last[2 * i + 1])
        out.append(found)
        if phase_id is not None:
            tasks[entity_id] = (task_key, phase)
        if person_id is not None and system_id is not None:
            grants[entity_id] = f"{person} on {system}"
        if kind is not None:
            raid[entity_id] = (kind, ref_of(kind, number), title)
    return out, tasks, grants, raid


def _key(thing: _Thing, tasks: dict, raid: dict) -> tuple[str, ...]:
    """The key of the group ``_describe`` puts a thing in, without telling it."""
    entity, action = thing.entity, thing.action
    if entity == "task" and thing.entity_id in tasks:
        if action == "update" and "status" in thing.fields:
            status = thing.fields["status"][1] or ""
            verb = _STATUS_VERB.get(status, f"set to {status.replace('_', ' ')}")
            return ("task", verb, tasks[thing.entity_id][1], thing.actor)
        if action == "create":
            return ("task", "added", tasks[thing.entity_id][1], thing.actor)
    if entity == "access_grant" and action == "revoke":
        return ("grant-revoke", str(thing.entity_id))
    if entity == "raid_item" and thing.entity_id in raid and action in ("add", "close"):
        return ("raid", action, raid[thing.entity_id][1])
    return ("other", entity, action, thing.actor)


def _describe(thing: _Thing, tasks: dict, grants: dict, raid: dict) -> _Group:
    """The group a thing belongs to and how the group reads (once and many times)."""
    by = f"by {thing.actor}"
    entity, action, fields = thing.entity, thing.action, thing.fields
    if entity == "task" and thing.entity_id in tasks:
        key, phase = tasks[thing.entity_id]
        if action == "update" and "status" in fields:
            status = fields["status"][1] or ""
            verb = _STATUS_VERB.get(status, f"set to {status.replace('_', ' ')}")
            return _Group(
                ("task", verb, phase, thing.actor),
                thing.actor,
                thing.at,
                singular=f"task {key} {verb} in {phase} {by}",
                plural=f"tasks {verb} in {phase} {by}",
            )
        if action == "create":
            return _Group(
                ("task", "added", phase, thing.actor),
                thing.actor,
                thing.at,
                singular=f"task {key} added to {phase} {by}",
                plural=f"tasks added to {phase} {by}",
            )
    if entity == "access_grant" and action == "revoke":
        who = grants.get(thing.entity_id)
        reason = fields.get("revoke_reason", (None, None))[1]
        text = f"grant {thing.entity_id}{f' ({who})' if who else ''} revoked {by}"
        return _Group(
            ("grant-revoke", str(thing.entity_id)),
            thing.actor,
            thing.at,
            singular=f"{text}: {reason}" if reason else text,
        )
    if entity == "raid_item" and thing.entity_id in raid and action in ("add", "close"):
        kind, ref, title = raid[thing.entity_id]
        if action == "add":
            verb = "raised" if kind in ("risk", "issue") else "recorded"
            text = f"{kind} {ref} {verb} {by}: {title}"
        else:
            resolution = fields.get("resolution", (None, None))[1]
            text = f"{kind} {ref} closed {by}" + (f": {resolution}" if resolution else "")
        return _Group(("raid", action, ref), thing.actor, thing.at, singular=text)
    noun = entity.replace("_", " ")
    name = str(thing.entity_id) if thing.entity_id is not None else ""
    if entity == "task" and thing.entity_id in tasks:
        name = tasks[thing.entity_id][0]
    elif entity == "raid_item" and thing.entity_id in raid:
        noun, name = raid[thing.entity_id][0], raid[thing.entity_id][1]
    verb = _PAST.get(action, action)
    return _Group(
        ("other", entity, action, thing.actor),
        thing.actor,
        thing.at,
        singular=" ".join(w for w in (noun, name, verb, by) if w),
        plural=f"{_nouns(noun)} {verb} {by}",
    )


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _nouns(noun: str) -> str:
    if noun.endswith("y") and not noun.endswith(("ay", "ey", "oy")):
        return noun[:-1] + "ies"
    return noun if noun.endswith("s") else noun + "s"


def sentences(
    session: Session, engagement: Engagement, since: date, *, shown: int = SENTENCES_SHOWN
) -> list[ChangeSentence]:
    """The engagement's changes since the start of ``since`` (UTC), as sentences, newest
    first. One query."""
    assert engagement.id is not None
    things, tasks, grants, raid = _things(session, engagement.id, since)
    groups: dict[tuple[str, ...], _Group] = {}
    for thing in things:
        # A group reads as its first thing does: only that one is told in words.
        group = groups.get(_key(thing, tasks, raid))
        if group is None:
            group = _describe(thing, tasks, grants, raid)
            groups[group.key] = group
        group.count += 1
        group.at = max(group.at, thing.at)
    ordered = sorted(groups.values(), key=lambda g: g.at, reverse=True)[:shown]
    return [
        ChangeSentence(
            text=_first_upper(
                g.singular if g.count == 1 or not g.plural else f"{g.count} {g.plural}"
            ),
            count=g.count,
            actor=g.actor,
            last_at=g.at,
        )
        for g in ordered
    ]
