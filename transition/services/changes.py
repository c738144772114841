"""The report's "changes since", told as sentences a committee reads.

The audit log records one row per field changed; here the rows since a day are folded
into one *thing* per entity, action and person ("task 41 updated status todo → done by
priya"), and the things into sentences: the tasks one person closed in one phase are
one sentence ("3 tasks closed in Discovery by priya"), a revoked grant or a raised risk
is its own ("grant 12 revoked (Raj Patel on SAP ERP): left the team"), anything else is
counted by kind ("2 runbooks updated by sam"). Five queries, whatever the number of
rows: the events folded by thing, the told fields, the names of tasks, grants and RAID
entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
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


def _recent(engagement_id: int, since: date):
    """The newest ``EVENTS_READ`` audit rows since the start of ``since``."""
    start = datetime.combine(since, time.min, tzinfo=UTC)
    return (
        select(
            AuditEvent.id,
            AuditEvent.at,
            AuditEvent.actor,
            AuditEvent.action,
            AuditEvent.entity,
            AuditEvent.entity_id,
            AuditEvent.field,
            AuditEvent.after,
        )
        .where(AuditEvent.engagement_id == engagement_id, AuditEvent.at >= start)
        .order_by(AuditEvent.id.desc())
        .limit(EVENTS_READ)
        .subquery()
    )


def _things(session: Session, engagement_id: int, since: date) -> list[_Thing]:
    """One thing per entity, action and person, in the order they first appear, folded
    in the database: the time of its last row and the last value of the told fields."""
    recent = _recent(engagement_id, since)
    key = (recent.c.entity, recent.c.entity_id, recent.c.action, recent.c.actor)
    first = func.min(recent.c.id).label("first")
    things: dict[tuple, _Thing] = {}
    for entity, entity_id, action, actor, _, at in session.execute(
        select(*key, first, func.max(recent.c.at)).group_by(*key).order_by(first)
    ):
        things[entity, entity_id, action, actor] = _Thing(
            entity, entity_id, action, actor, _utc(at)
        )
    last = (
        select(
            *key,
            recent.c.field,
            recent.c.after,
            func.row_number()
            .over(partition_by=(*key, recent.c.field), order_by=recent.c.id.desc())
            .label("rank"),
        )
        .where(recent.c.field.in_(_TOLD))
        .subquery()
    )
    for entity, entity_id, action, actor, name, after in session.execute(
        select(last.c.entity, last.c.entity_id, last.c.action, last.c.actor, last.c.field)
        .add_columns(last.c.after)
        .where(last.c.rank == 1)
    ):
        things[entity, entity_id, action, actor].fields[name] = (None, after)
    return list(things.values())


def _names(session: Session, eid: int, since: date) -> tuple[dict, dict, dict]:
    """The names of the tasks, revoked grants and RAID entries the recent rows touch."""
    recent = _recent(eid, since)
    touched = select(recent.c.entity_id)
    tasks = {
        r.id: (r.key, r.title)
        for r in session.execute(
            select(Task.id, Task.key, Phase.title)
            .join(Phase, Phase.id == Task.phase_id)
            .where(Task.engagement_id == eid, Task.id.in_(touched.where(recent.c.entity == "task")))
        )
    }
    revoked = touched.where(recent.c.entity == "access_grant", recent.c.action == "revoke")
    grants = {
        r.id: f"{r.person} on {r.system}"
        for r in session.execute(
            select(AccessGrant.id, Person.name.label("person"), System.name.label("system"))
            .join(Person, Person.id == AccessGrant.person_id)
            .join(System, System.id == AccessGrant.system_id)
            .where(AccessGrant.engagement_id == eid, AccessGrant.id.in_(revoked))
        )
    }
    raid = {
        r.id: (r.kind, ref_of(r.kind, r.number), r.title)
        for r in session.execute(
            select(RaidItem.id, RaidItem.kind, RaidItem.number, RaidItem.title).where(
                RaidItem.engagement_id == eid
            )
        )
    }
    return tasks, grants, raid


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
    first. Five queries."""
    assert engagement.id is not None
    things = _things(session, engagement.id, since)
    tasks, grants, raid = _names(session, engagement.id, since)
    groups: dict[tuple[str, ...], _Group] = {}
    for thing in things:
        described = _describe(thing, tasks, grants, raid)
        group = groups.setdefault(described.key, described)
        group.count += 1
        group.at = max(group.at, described.at)
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
