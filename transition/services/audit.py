"""The audit log: append-only, one event per changed field, chained by hash.

Every service mutation calls ``record`` (or ``record_many`` for bulk work) inside the
same transaction as the change itself. Nothing updates or deletes an event. Each event's
``hash`` covers its content and the previous event's hash, so ``verify`` detects a row
edited or removed directly in the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlmodel import Session

from transition.dates import utcnow
from transition.models import AuditEvent

_CHAIN_KEY = "transition.audit.last_hash"
_PG_LOCK_ID = 7_311_204_001  # advisory lock that serialises appends to the chain
# Built once: a Core insert executed with plain dicts (no per-call statement building).
_INSERT = insert(AuditEvent.__table__)


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


def _digest(prev: str | None, row: dict[str, Any]) -> str:
    payload = json.dumps(
        [
            prev or "",
            row["engagement_id"],
            row["at"].isoformat(),
            row["actor"],
            row["action"],
            row["entity"],
            row["entity_id"],
            row["field"],
            row["before"],
            row["after"],
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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
        }
        row["prev_hash"] = prev
        row["hash"] = prev = _digest(prev, row)
        rows.append(row)
    if rows:
        session.flush()  # keep ORM-pending rows ahead of their events
        session.connection().execute(_INSERT, rows)  # Core: no per-row ORM work
        session.info[_CHAIN_KEY] = prev
    return len(rows)


def append_events(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Append events that already carry their own time and actor (an import), chaining them
    onto this database's log in the given order with one bulk insert."""
    prev = _last_hash(session)
    chained = []
    for source in rows:
        row = {
            key: source.get(key)
            for key in (
                "engagement_id",
                "at",
                "actor",
                "action",
                "entity",
                "entity_id",
                "field",
                "before",
                "after",
            )
        }
        row["prev_hash"] = prev
        row["hash"] = prev = _digest(prev, row)
        chained.append(row)
    if chained:
        session.flush()
        session.connection().execute(_INSERT, chained)
        session.info[_CHAIN_KEY] = prev
    return len(chained)


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
    engagement_id: int,
    *,
    limit: int | None = None,
    offset: int = 0,
    newest_first: bool = False,
) -> list[dict[str, Any]]:
    order = AuditEvent.id.desc() if newest_first else AuditEvent.id.asc()
    stmt = (
        select(
            AuditEvent.id,
            AuditEvent.at,
            AuditEvent.actor,
            AuditEvent.action,
            AuditEvent.entity,
            AuditEvent.entity_id,
            AuditEvent.field,
            AuditEvent.before,
            AuditEvent.after,
        )
        .where(AuditEvent.engagement_id == engagement_id)
        .order_by(order)
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [dict(row._mapping) for row in session.execute(stmt)]


def count(session: Session, engagement_id: int) -> int:
    return session.execute(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.engagement_id == engagement_id)
    ).scalar_one()


def last_change(session: Session, entity: str, entity_id: int) -> dict[str, Any] | None:
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
    last = dict(row._mapping)
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


def verify(session: Session, batch: int = 5000) -> tuple[int, list[str]]:
    """Recompute the hash chain over every event. Returns (events checked, problems)."""
    problems: list[str] = []
    prev: str | None = None
    checked = 0
    last_id = 0
    cols = (
        AuditEvent.id,
        AuditEvent.engagement_id,
        AuditEvent.at,
        AuditEvent.actor,
        AuditEvent.action,
        AuditEvent.entity,
        AuditEvent.entity_id,
        AuditEvent.field,
        AuditEvent.before,
        AuditEvent.after,
        AuditEvent.prev_hash,
        AuditEvent.hash,
    )
    while True:
        rows: Sequence = session.execute(
            select(*cols).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            data = dict(row._mapping)
            if data["prev_hash"] != prev:
                problems.append(f"event {data['id']}: does not chain to the event before it")
            expected = _digest(data["prev_hash"], data)
            if data["hash"] != expected:
                problems.append(f"event {data['id']}: content does not match its hash (edited?)")
            prev = data["hash"]
            checked += 1
            last_id = data["id"]
    return checked, problems
