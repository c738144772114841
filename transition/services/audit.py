"""The audit log: append-only, one event per changed field, chained by hash.

Every service mutation calls ``record`` (or ``record_many`` for bulk work) inside the
same transaction as the change itself. Nothing updates or deletes an event. Each event's
``hash`` covers its content and the previous event's hash, so ``verify`` detects a row
edited or removed directly in the database.

Events brought in by ``transition import`` are a separate *segment*: they keep their
original time and actor, are chained among themselves from a root naming the export
file's hash, and the engagement's own log records an ``import`` event (in the main chain)
naming the file's hash, the number of events and rows, the segment's id range and its
final hash. They are therefore told apart from events this database wrote, and shown as
imported.

``verify`` (in ``transition.services.audit_verify``) checks all of that, and replays the
log against the current rows (grants, tasks, phases, KT sessions and their participants):
a row edited, deleted or inserted behind the tool's back no longer matches the state its
events describe.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, TypedDict

from sqlalchemy import event, func, insert, select, text
from sqlmodel import Session

from transition.dates import utcnow
from transition.models import AuditEvent
from transition.services.views.audit import AuditEventView, ChangeView, RecentChanges

if TYPE_CHECKING:
    from transition.services.audit_verify import Bundle, LoggedEvent
    from transition.services.common import EngagementRef
    from transition.services.views.audit import AuditVerification

_CHAIN_KEY = "transition.audit.last_hash"
_PG_LOCK_ID = 7_311_204_001  # advisory lock that serialises appends to the chain
# Built once: a Core insert executed with plain dicts (no per-call statement building).
_INSERT = insert(AuditEvent.__table__)


#: What a change says, in the order lists and checks read it (after who, when, what).
CHANGE_COLUMNS = (
    AuditEvent.actor,
    AuditEvent.action,
    AuditEvent.entity,
    AuditEvent.entity_id,
    AuditEvent.field,
    AuditEvent.before,
    AuditEvent.after,
)


def actor(session: Session) -> str:
    return session.info.get("actor") or "unknown"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _utc(value: datetime) -> datetime:
    """Times are hashed (and stored) as aware UTC, whatever offset they came with."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _digest(prev: str | None, row: dict[str, Any]) -> str:
    # ``change_id`` and ``undoes`` are hashed only when set: events written before they
    # existed keep their hashes, and setting either on such an event breaks its hash.
    grouped = [row.get("change_id"), row.get("undoes")]
    payload = json.dumps(
        [
            prev or "",
            row["engagement_id"],
            _utc(row["at"]).isoformat(),
            row["actor"],
            row["action"],
            row["entity"],
            row["entity_id"],
            row["field"],
            row["before"],
            row["after"],
            *([grouped] if grouped != [None, None] else []),
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


_CHANGE_KEY = "transition.audit.change_id"
_UNDOES_KEY = "transition.audit.undoes"


def change_id(session: Session) -> str:
    """The id of the change this transaction makes: every event it writes carries it, so
    ``undo`` can revert one command's work as a whole."""
    current = session.info.get(_CHANGE_KEY)
    if current is None:
        current = session.info[_CHANGE_KEY] = uuid.uuid4().hex
    return current


def current_change(session: Session) -> str | None:
    """The id of the change this transaction has written events under (None before its
    first event): read it before the commit, which forgets it."""
    return session.info.get(_CHANGE_KEY)


def mark_undo(session: Session, undone: str) -> None:
    """The events this transaction writes from now on undo the change ``undone``."""
    session.info[_UNDOES_KEY] = undone


@event.listens_for(Session, "after_commit")
def _forget_transaction(session: Session) -> None:
    """A new transaction is a new change, and reads the chain's head afresh. A savepoint
    (``begin_nested``) ending is no new transaction: the change goes on (and stays an undo
    if it is one), and a savepoint released keeps its events, so the head is still the
    one known (no second read of it, nor of its lock)."""
    if session.in_nested_transaction():
        return
    for key in (_CHAIN_KEY, _CHANGE_KEY, _UNDOES_KEY):
        session.info.pop(key, None)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    """A savepoint rolled back may have taken events with it: the head is read again."""
    if session.in_nested_transaction():
        session.info.pop(_CHAIN_KEY, None)
        return
    _forget_transaction(session)


def _last_hash(session: Session) -> str | None:
    if _CHAIN_KEY in session.info:
        return session.info[_CHAIN_KEY]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_ID})
    last = session.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    session.info[_CHAIN_KEY] = last
    return last


@dataclass(frozen=True)
class Change:
    entity: str
    entity_id: int | None
    action: str
    field: str | None = None
    before: Any = None
    after: Any = None


def record_many(session: Session, engagement_id: int | None, changes: Iterable[Change]) -> int:
    """Append events for ``changes`` with one bulk insert. Returns how many were written."""
    changes = list(changes)
    if not changes:  # nothing to chain: no need to take the chain's lock
        return 0
    now = utcnow()
    who = actor(session)
    prev = _last_hash(session)
    group, undoes = change_id(session), session.info.get(_UNDOES_KEY)
    rows = []
    for change in changes:
        row = {
            "engagement_id": engagement_id,
            "at": now,
            "actor": who,
            "action": change.action,
            "entity": change.entity,
            "entity_id": change.entity_id,
            "field": change.field,
            "before": _text(change.before),
            "after": _text(change.after),
            "change_id": group,
            "undoes": undoes,
        }
        row["prev_hash"] = prev
        row["hash"] = prev = _digest(prev, row)
        rows.append(row)
    if rows:
        session.flush()  # keep ORM-pending rows ahead of their events
        session.connection().execute(_INSERT, rows)  # Core: no per-row ORM work
        session.info[_CHAIN_KEY] = prev
    return len(rows)


IMPORT_ACTION = "import"
_SEGMENT_KEYS = (
    "engagement_id",
    "at",
    "actor",
    "action",
    "entity",
    "entity_id",
    "field",
    "before",
    "after",
    "change_id",
    "undoes",
)


def segment_root(file_hash: str) -> str:
    """The ``prev_hash`` of the first event of a segment imported from a file."""
    return hashlib.sha256(f"import:{file_hash}".encode()).hexdigest()


#: An event read from an export file: its original ``at`` and ``actor``, its ``action``,
#: ``entity``, ``entity_id``, ``field``, ``before`` and ``after`` (other keys are ignored).
ExportedEvent = Mapping[str, Any]


class SegmentInfo(TypedDict, total=False):
    """What an ``import`` event records about the segment it brought in."""

    file_sha256: str
    events: int
    first: int
    last: int
    head: str
    rows: int


def append_segment(
    session: Session, rows: Sequence[ExportedEvent], *, file_hash: str
) -> SegmentInfo:
    """Append events that carry their own time and actor (an import) as a separate
    segment: chained among themselves from ``segment_root(file_hash)``, outside this
    database's own chain. Returns what the ``import`` event records about the segment."""
    _last_hash(session)  # takes the chain's lock: ids stay contiguous
    prev = segment_root(file_hash)
    chained = []
    for source in rows:
        row = {key: source.get(key) for key in _SEGMENT_KEYS}
        row["at"] = _utc(row["at"])
        row["prev_hash"] = prev
        row["hash"] = prev = _digest(prev, row)
        chained.append(row)
    info = SegmentInfo(file_sha256=file_hash, events=len(chained))
    if chained:
        session.flush()
        session.connection().execute(_INSERT, chained)
        ids = sorted(
            session.execute(
                select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(len(chained))
            ).scalars()
        )
        info.update(first=ids[0], last=ids[-1], head=prev)
    return info


def record(
    session: Session,
    engagement_id: int | None,
    entity: str,
    entity_id: int | None,
    action: str,
    field: str | None = None,
    before: Any = None,
    after: Any = None,
) -> None:
    record_many(session, engagement_id, [Change(entity, entity_id, action, field, before, after)])


def record_fields(
    session: Session,
    engagement_id: int | None,
    entity: str,
    entity_id: int | None,
    changes: dict[str, tuple[Any, Any]],
    action: str = "update",
) -> None:
    record_many(
        session,
        engagement_id,
        [Change(entity, entity_id, action, f, b, a) for f, (b, a) in changes.items()],
    )


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
) -> list[AuditEventView]:
    """The engagement's events, oldest first (or newest first), a page of them if asked;
    events brought in by ``transition import`` are marked ``imported``. ``text``: every
    word of it in the time, actor, action, entity, field or values (any case, any
    script). ``sort``: one of ``audit_search.EVENT_SORTS`` first, then the order asked."""
    from transition.services.audit_search import narrowed
    from transition.services.common import engagement_of

    engagement_id = engagement_of(session, engagement).id
    order = AuditEvent.id.desc() if newest_first else AuditEvent.id.asc()
    stmt = (
        select(AuditEvent.id, AuditEvent.at, *CHANGE_COLUMNS)
        .where(AuditEvent.engagement_id == engagement_id)
        .offset(offset)
    )
    stmt = narrowed(stmt, order, text, sort, descending, engagement_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    result = session.execute(stmt)
    names = (*result.keys(), "imported")  # once: a row's own mapping rebuilds its keys
    rows = result.all()
    ranges = [(seg["first"], seg["last"]) for seg, _ in _segments(session, engagement_id)[0]]
    return [
        AuditEventView.model_validate(
            dict(zip(names, (*row, any(a <= row.id <= b for a, b in ranges)), strict=True))
        )
        for row in rows
    ]


def count(session: Session, engagement_id: int) -> int:
    return session.execute(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.engagement_id == engagement_id)
    ).scalar_one()


class LastChange(TypedDict):
    """The newest change of a row: who, when, and every field it set."""

    actor: str
    at: datetime
    field: str | None
    before: str | None
    after: str | None
    changes: list[tuple[str, str | None, str | None]]


def last_change(session: Session, entity: str, entity_id: int) -> LastChange | None:
    row = session.execute(
        select(
            AuditEvent.actor, AuditEvent.at, AuditEvent.field, AuditEvent.before, AuditEvent.after
        )
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    last = LastChange(**row._mapping, changes=[])
    # One change can touch several fields (status, completed_by…): name them all.
    last["changes"] = [
        (f, b, a)
        for f, b, a in session.execute(
            select(AuditEvent.field, AuditEvent.before, AuditEvent.after)
            .where(
                AuditEvent.entity == entity,
                AuditEvent.entity_id == entity_id,
                AuditEvent.at == last["at"],
                AuditEvent.actor == last["actor"],
            )
            .order_by(AuditEvent.id)
        )
        if f
    ]
    return last


def _segments(
    session: Session, engagement_id: int | None = None
) -> tuple[list[tuple[dict[str, Any], dict[str, Any]]], list[dict[str, Any]]]:
    """The segments declared by ``import`` events (of one engagement, or all): a list of
    (declaration, import event), and the import events of the main chain whose content
    declares no valid segment. An import event inside an imported segment (the file held
    the log of an earlier import) is content, not a declaration."""
    stmt = select(AuditEvent.id, AuditEvent.engagement_id, AuditEvent.after).where(
        AuditEvent.action == IMPORT_ACTION, AuditEvent.entity == "engagement"
    )
    if engagement_id is not None:
        stmt = stmt.where(AuditEvent.engagement_id == engagement_id)
    declared: list[tuple[dict[str, Any], dict[str, Any]]] = []
    invalid: list[dict[str, Any]] = []
    for row in session.execute(stmt.order_by(AuditEvent.id.desc())):
        event = {"id": row.id, "engagement_id": row.engagement_id}
        if any(seg["first"] <= row.id <= seg["last"] for seg, _ in declared):
            continue
        try:
            seg = json.loads(row.after)
            if not isinstance(seg, dict) or not isinstance(seg.get("file_sha256"), str):
                raise ValueError
            count = seg.get("events")
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise ValueError
            if count:
                first, last = seg.get("first"), seg.get("last")
                if not (isinstance(first, int) and isinstance(last, int)):
                    raise ValueError
                if last - first + 1 != count or not (first <= last < row.id):
                    raise ValueError
                if not isinstance(seg.get("head"), str):
                    raise ValueError
        except (TypeError, ValueError):
            invalid.append(event)
            continue
        if count:
            declared.append((seg, event))
    declared.reverse()
    return declared, invalid


def changes_since(
    session: Session, engagement: EngagementRef, since: date, *, shown: int
) -> RecentChanges:
    """The engagement's changes since the start of ``since`` (UTC): all counted by kind
    (``"task update"``), the ``shown`` newest listed. Two queries."""
    from transition.services.common import engagement_of

    start = datetime.combine(since, time.min, tzinfo=UTC)
    eid = engagement_of(session, engagement).id
    where = (AuditEvent.engagement_id == eid, AuditEvent.at >= start)
    counts = {
        f"{entity} {action}": int(n)
        for entity, action, n in session.execute(
            select(AuditEvent.entity, AuditEvent.action, func.count())
            .where(*where)
            .group_by(AuditEvent.entity, AuditEvent.action)
            .order_by(AuditEvent.entity, AuditEvent.action)
        )
    }
    listed = session.execute(
        select(AuditEvent.at, *CHANGE_COLUMNS)
        .where(*where)
        .order_by(AuditEvent.id.desc())
        .limit(shown)
    )
    return RecentChanges(
        since=since,
        count=sum(counts.values()),
        by_kind=counts,
        events=[_shortened(ChangeView.model_validate(row._mapping)) for row in listed],
    )


#: How much of a recorded value a summary shows (a stored playbook is recorded whole).
SHOWN_CHARS = 200


def shorten(value: str | None, limit: int = SHOWN_CHARS) -> str | None:
    """``value`` cut to ``limit`` characters, saying how long it was."""
    if value is None or len(value) <= limit:
        return value
    return f"{value[:limit]}… ({len(value):,} characters)"


def _shortened(view: ChangeView) -> ChangeView:
    return view.model_copy(update={"before": shorten(view.before), "after": shorten(view.after)})


def verify(
    session: Session, engagement: EngagementRef | None = None, *, batch: int = 5000
) -> AuditVerification:
    """Check the log (of one engagement, or the whole database's): see
    ``transition.services.audit_verify.verify``."""
    from transition.services import audit_verify

    return audit_verify.verify(session, engagement, batch=batch)


def replay_problems(bundle: Bundle, log: Sequence[LoggedEvent]) -> list[str]:
    """How an engagement's rows differ from what its log replays to: see
    ``transition.services.audit_verify.replay_problems``."""
    from transition.services import audit_verify

    return audit_verify.replay_problems(bundle, log)
