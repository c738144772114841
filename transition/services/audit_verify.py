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

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, select, type_coerce
from sqlmodel import Session

from transition.models import AuditEvent, Engagement
from transition.services.audit import (
    CHANGE_COLUMNS,
    IMPORT_ACTION,
    _digest,
    _segments,
    _text,
    _utc,
    segment_root,
)
from transition.services.common import EngagementRef, engagement_of
from transition.services.views.audit import AuditVerification

#: One engagement of an export document (``transfer.export_data``): its rows by section.
Bundle = Mapping[str, Any]
#: An event as the replay reads it: ``entity``, ``entity_id``, ``action``, ``field``…
LoggedEvent = Mapping[str, Any]


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
                    select(AuditEvent.id, *CHANGE_COLUMNS)
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


def _norm(value: Any) -> Any:
    """One text form for a cell and for the text an event recorded about it."""
    if isinstance(value, datetime):
        return _utc(value).isoformat()
    text = _text(value)
    if text is None:
        return None
    if len(text) >= 16 and text[4:5] == "-" and text[10:11] in ("T", " "):
        try:
            return _utc(datetime.fromisoformat(text)).isoformat()
        except ValueError:
            return text
    return text


def replay_problems(bundle: Bundle, log: Sequence[LoggedEvent]) -> list[str]:
    """Compare an engagement's rows (an export bundle) with the state its events replay
    to: grants, tasks, phases, KT sessions and participants. Returns one line per
    difference."""
    from transition.playbooks import from_json

    problems: list[str] = []
    log = [e for e in log if not (e["entity"] == "engagement" and e["action"] == IMPORT_ACTION)]
    if not log:
        return ["the engagement's audit log is empty (events deleted?)"]
    if not any(e["entity"] == "engagement" and e["action"] == "create" for e in log):
        problems.append("the engagement's audit log has no `create` event (events deleted?)")
    by: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    for e in log:
        entity = "access_grant" if e["entity"] == "grant" else e["entity"]
        by.setdefault((entity, e["entity_id"]), []).append(e)

    names: dict[str, dict[Any, set[str]]] = {"person": {}, "system": {}}
    for section, entity in (("people", "person"), ("systems", "system")):
        for row in bundle[section]:
            known = {row["name"]}
            for e in by.get((entity, row["id"]), ()):
                if e["field"] == "name":
                    known |= {v for v in (e["before"], e["after"]) if v}
            names[entity][row["id"]] = known

    def replayed(entity: str, row_id: Any, initial: dict[str, Any]) -> dict[str, Any]:
        state = dict(initial)
        for e in by.get((entity, row_id), ()):
            if e["field"]:
                state[e["field"]] = e["after"]
        return state

    def compare(what: str, expected: dict[str, Any], actual: dict[str, Any]) -> None:
        for field, value in actual.items():
            if field not in expected:
                continue
            want = expected[field]
            if isinstance(value, set):
                ok = want in value
                shown = sorted(value)[0] if value else None
            else:
                ok = _norm(want) == _norm(value)
                shown = value
            if not ok:
                problems.append(
                    f"{what}: {field} is {_norm(shown)!r} but the log says {_norm(want)!r}"
                )

    # Grants: each row needs its `grant` event; fields replay from grant/revoke/reschedule.
    grant_ids = {row["id"] for row in bundle["access_grants"]}
    for row in bundle["access_grants"]:
        history = by.get(("access_grant", row["id"]), [])
        created = [e for e in history if e["action"] == "grant"]
        what = f"grant {row['id']}"
        if not created:
            problems.append(f"{what}: not in the log (a row inserted behind the tool's back?)")
            continue
        expected = replayed("access_grant", row["id"], {})
        expected.setdefault("justification", "")
        expected.setdefault("expires_on", None)
        expected.setdefault("revoked_at", None)
        expected.setdefault("revoke_reason", None)
        revokes = [e for e in history if e["action"] == "revoke"]
        expected["approver"] = created[0]["actor"]
        expected["revoked_by"] = revokes[-1]["actor"] if revokes else None
        expires = row["expires_on"]
        if expires is not None and row["expires_rule"]:
            expires = f"{_norm(expires)} ({row['expires_rule']})"
        compare(
            what,
            expected,
            {
                "person": names["person"].get(row["person_id"], set()),
                "system": names["system"].get(row["system_id"], set()),
                "role": row["role"],
                "expires_on": expires,
                "justification": row["justification"] or "",
                "approver": row["approver"],
                "revoked_at": row["revoked_at"],
                "revoked_by": row["revoked_by"],
                "revoke_reason": row["revoke_reason"],
            },
        )
    problems += _deleted(by, "access_grant", "grant", grant_ids, "grant")

    # Phases and tasks: created from the stored playbook, then changed by logged events.
    try:
        playbook = from_json(bundle["engagement"]["playbook_json"])
    except Exception:
        problems.append("the engagement's stored playbook cannot be read")
        return problems
    start = bundle["engagement"]["start_date"]
    if not isinstance(start, date):
        start = date.fromisoformat(str(start))
    phase_rows = {row["key"]: row for row in bundle["phases"]}
    phase_keys = {row["id"]: row["key"] for row in bundle["phases"]}
    planned: dict[str, date] = {}
    phase_start = start
    for position, spec in enumerate(playbook.phases):
        row = phase_rows.pop(spec.key, None)
        initial = {
            "position": position,
            "title": spec.title,
            "status": "active" if position == 0 else "pending",
            "planned_start": phase_start,
            "planned_end": phase_start + spec.length,
            "actual_start": start if position == 0 else None,
            "actual_end": None,
            "gate_json": "[" + ",".join(c.model_dump_json() for c in spec.gate) + "]",
            "gate_decision": None,
            "gate_decided_by": None,
            "gate_decided_at": None,
            "gate_reason": None,
        }
        phase_start += spec.length
        if row is None:
            problems.append(f"phase {spec.key}: in the playbook but not in the database (deleted?)")
            continue
        expected = replayed("phase", row["id"], initial)
        # Tasks were first laid from the phase's first planned start; a re-lay that moved
        # them is in their own events.
        planned[spec.key] = initial["planned_start"]
        compare(f"phase {spec.key}", expected, {k: row[k] for k in initial})
    for key in phase_rows:
        problems.append(f"phase {key}: not in the playbook nor in the log (inserted?)")
    task_rows = {row["key"]: row for row in bundle["tasks"]}
    assignees = {row["id"]: row["name"] for row in bundle["people"]}
    for spec_phase in playbook.phases:
        for position, spec in enumerate(spec_phase.tasks):
            row = task_rows.pop(spec.key, None)
            if row is None:
                problems.append(f"task {spec.key}: in the playbook but not in the database")
                continue
            base = planned.get(spec_phase.key)
            initial = {
                "title": spec.title,
                "phase": spec_phase.key,
                "position": position,
                "description": spec.description.strip(),
                "owner_role": spec.owner,
                "due_date": base + spec.due_offset if base else None,
                "status": "todo",
                "note": None,
                "completed_by": None,
                "completed_at": None,
                "assignee": None,
            }
            expected = replayed("task", row["id"], initial)
            actual = {k: row.get(k) for k in initial}
            actual["phase"] = phase_keys.get(row["phase_id"])
            actual["assignee"] = assignees.get(row["assignee_id"])
            if base is None:
                actual.pop("due_date")
            compare(f"task {spec.key}", expected, actual)
    for key, row in task_rows.items():
        if not any(e["action"] in ("create", "add") for e in by.get(("task", row["id"]), ())):
            problems.append(f"task {key}: not in the playbook nor in the log (inserted?)")

    # KT sessions: each row needs its `schedule` event; participants replay too.
    people = {row["id"]: row["name"] for row in bundle["people"]}
    systems = {row["id"]: row["name"] for row in bundle["systems"]}
    participants: dict[Any, set[tuple[str, str]]] = {}
    for row in bundle["kt_participants"]:
        participants.setdefault(row["session_id"], set()).add(
            (row["role"], people.get(row["person_id"], "?"))
        )
    session_ids = {row["id"] for row in bundle["kt_sessions"]}
    for row in bundle["kt_sessions"]:
        history = by.get(("kt_session", row["id"]), [])
        what = f"KT session {row['id']}"
        if not any(e["action"] == "schedule" for e in history):
            problems.append(f"{what}: not in the log (a row inserted behind the tool's back?)")
            continue
        initial = {
            "status": "planned",
            "held_at": None,
            "signed_off_by_id": None,
            "signed_off_at": None,
            "confidence": None,
            "follow_ups": "",
        }
        expected = replayed("kt_session", row["id"], initial)
        compare(
            what,
            expected,
            {
                "system": names["system"].get(row["system_id"], {systems.get(row["system_id"])}),
                "kind": row["kind"],
                "topic": row["topic"],
                "starts_at": row["starts_at"],
                **{k: row[k] for k in initial},
            },
        )
        logged = {
            (e["field"], e["after"])
            for e in history
            if e["field"] in ("presenter", "attendee") and e["action"] in ("schedule", "attend")
        }
        if logged != participants.get(row["id"], set()):
            problems.append(f"{what}: its presenters and attendees differ from the log")
    problems += _deleted(by, "kt_session", "schedule", session_ids, "KT session")
    return problems


def _deleted(
    by: Mapping[tuple[str, Any], Sequence[LoggedEvent]],
    entity: str,
    created_by: str,
    present: set[Any],
    label: str,
) -> list[str]:
    """Rows of ``entity`` the log created (an event ``created_by``) that are not there."""
    return [
        f"{label} {row_id}: in the log but not in the database (deleted?)"
        for (kind, row_id), history in by.items()
        if kind == entity
        and row_id not in present
        and any(e["action"] == created_by for e in history)
    ]
