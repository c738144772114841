"""Checking the audit log: its hashes and links, its imported segments, and that the rows
are the state the log replays to.

``verify`` reads every event without trusting any cell, checks each one's hash and its link
to the event before it (in the main chain or its imported segment), and then replays each
engagement's log against its current rows (grants, tasks, phases, KT sessions and their
participants): a row edited, deleted or inserted behind the tool's back no longer matches
the state its events describe. ``replay_problems`` is that replay, also run on an export
file before it is imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, select, type_coerce
from sqlmodel import Session

from transition.models import AuditEvent, Engagement
from transition.services.audit import (
    CHANGE_COLUMNS,
    _digest,
    _segments,
    segment_root,
)
from transition.services.audit_replay import (  # noqa: F401 (the replay's public names)
    Bundle,
    LoggedEvent,
    _norm,
    replay_problems,
)
from transition.services.common import EngagementRef, engagement_of
from transition.services.views.audit import AuditVerification


def _raw_events(session: Session, batch: int) -> Iterable[dict[str, Any]]:
    """Every event in id order, read without trusting any cell: a time that is not a time
    comes back as its text."""
    at = type_coerce(AuditEvent.at, String).label("at")
    cols = (AuditEvent.id, AuditEvent.engagement_id, at, *CHANGE_COLUMNS)
    cols += (AuditEvent.change_id, AuditEvent.undoes, AuditEvent.prev_hash, AuditEvent.hash)
    last_id = None
    while True:
        stmt = select(*cols).order_by(AuditEvent.id).limit(batch)
        if last_id is not None:
            stmt = stmt.where(AuditEvent.id > last_id)
        rows: Sequence = session.execute(stmt).all()
        if not rows:
            return
        for row in rows:
            last_id = row.id
            yield dict(row._mapping)


def _parse_at(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def _content_ok(data: dict[str, Any]) -> bool:
    at = _parse_at(data["at"])
    if at is None:
        return False
    try:
        return data["hash"] == _digest(data["prev_hash"], {**data, "at": at})
    except (TypeError, ValueError):
        return False


def verify(
    session: Session, engagement: EngagementRef | None = None, *, batch: int = 5000
) -> AuditVerification:
    """Check the log: every event's hash, every link of the chain, every imported segment,
    and (per engagement) that the current rows are the state the log replays to.

    ``engagement`` scopes the check to one engagement: its events, the links that touch
    them, and its rows; without it, the whole database is checked."""
    engagement_id = None if engagement is None else engagement_of(session, engagement).id
    checked, problems = _check_log(session, engagement_id, batch)
    problems += _state_problems(session, engagement_id)
    return AuditVerification(events=checked, intact=not problems, problems=problems)


def _check_log(session: Session, engagement_id: int | None, batch: int) -> tuple[int, list[str]]:
    """The events of the scope checked, and the problems of their hashes and links."""
    problems: list[str] = []
    declared, invalid = _segments(session)
    for event in invalid:
        if engagement_id is None or event["engagement_id"] == engagement_id:
            problems.append(f"event {event['id']}: an import event that declares no valid segment")
    in_segment: dict[int, dict[str, Any]] = {}
    for seg, _event in declared:
        for n in range(seg["first"], seg["last"] + 1):
            in_segment[n] = seg
    seg_prev: dict[int, str] = {id(seg): segment_root(seg["file_sha256"]) for seg, _ in declared}
    seg_count: dict[int, int] = {}
    prev: str | None = None
    previous: dict[str, Any] | None = None
    checked = 0
    outside_breaks = 0
    try:
        for data in _raw_events(session, batch):
            mine = engagement_id is None or data["engagement_id"] == engagement_id
            seg = in_segment.get(data["id"])
            if seg is not None:
                seg_count[id(seg)] = seg_count.get(id(seg), 0) + 1
                if mine and data["prev_hash"] != seg_prev[id(seg)]:
                    problems.append(
                        f"event {data['id']}: does not chain to the imported event before it"
                    )
                seg_prev[id(seg)] = data["hash"]
            else:
                if data["prev_hash"] != prev:
                    touches = mine or (
                        previous is not None
                        and (engagement_id is None or previous["engagement_id"] == engagement_id)
                    )
                    if touches:
                        problems.append(
                            f"event {data['id']}: does not chain to the event before it "
                            "(an event edited, removed or reordered)"
                        )
                    else:
                        outside_breaks += 1
                prev = data["hash"]
                previous = data
            checked += mine
            # Every event's content is checked whatever the scope: an edited engagement id
            # would otherwise move an event out of sight.
            whose = "" if mine else " (of another engagement, or moved away from this one)"
            if _parse_at(data["at"]) is None:
                problems.append(f"event {data['id']}{whose}: its time {data['at']!r} is not a time")
            elif not _content_ok(data):
                problems.append(
                    f"event {data['id']}{whose}: content does not match its hash (edited?)"
                )
    except Exception as exc:  # a cell the database driver cannot even return
        problems.append(f"the log cannot be read past event {previous and previous['id']}: {exc}")
    if outside_breaks:
        problems.append(
            f"the chain is broken in {outside_breaks} place(s) outside this engagement's events; "
            "an event removed there may have been this engagement's (check with --all)"
        )
    for seg, event in declared:
        mine = engagement_id is None or event["engagement_id"] == engagement_id
        if not mine:
            continue
        found = seg_count.get(id(seg), 0)
        if found != seg["events"]:
            problems.append(
                f"import event {event['id']}: declares {seg['events']} imported events, "
                f"{found} are there"
            )
        elif seg_prev[id(seg)] != seg["head"]:
            problems.append(
                f"import event {event['id']}: the imported events do not end in the hash it "
                "records (edited, removed or reordered)"
            )
    return checked, problems


def _state_problems(session: Session, engagement_id: int | None) -> list[str]:
    from transition.services import transfer

    out: list[str] = []
    ids = (
        [engagement_id]
        if engagement_id is not None
        else list(session.execute(select(Engagement.id).order_by(Engagement.slug)).scalars())
    )
    for eid in ids:
        eng = session.get(Engagement, eid)
        label = eng.slug if eng is not None else str(eid)
        try:
            document = transfer.export_data(session, eng, with_audit=False)
            bundle = document["engagements"][0]
            evs = [
                dict(row._mapping)
                for row in session.execute(
                    select(AuditEvent.id, *CHANGE_COLUMNS, AuditEvent.change_id, AuditEvent.undoes)
                    .where(AuditEvent.engagement_id == eid)
                    .order_by(AuditEvent.id)
                )
            ]
        except Exception as exc:  # a cell that cannot be read as its column's type
            out.append(f"{label}: its rows cannot be read ({str(exc).splitlines()[0][:200]})")
            continue
        prefix = "" if engagement_id is not None else f"{label}: "
        out += [prefix + p for p in replay_problems(bundle, evs)]
    return out


# --------------------------------------------------------------------------- replay
