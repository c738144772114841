"""The replay: the state an engagement's audit log describes, compared with its rows.

Phases and tasks are laid out from the stored playbook on the calendar the engagement had
at creation, then changed by the logged events; grants and KT sessions (with their
participants) are created by their events and changed by later ones. A row edited,
deleted or inserted behind the tool's back no longer matches. Run by ``audit --verify``
(``audit_verify.verify``) and on an export file before it is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from transition.models import Engagement
from transition.services.audit import IMPORT_ACTION, _text, _utc
from transition.workdays import Calendar

#: One engagement of an export document (``transfer.export_data``): its rows by section.
Bundle = Mapping[str, Any]
#: An event as the replay reads it: ``entity``, ``entity_id``, ``action``, ``field``…
LoggedEvent = Mapping[str, Any]


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
    from transition.services.engagements import lay_out

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
            elif e["action"] == "undo":  # an undone creation took the row away: an id
                state = dict(initial)  # used again (SQLite does) starts afresh
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
        # An undone revocation puts revoked_at back to empty, and with it who revoked.
        revoked = revokes and expected["revoked_at"] is not None
        expected["revoked_by"] = revokes[-1]["actor"] if revoked else None
        expires = row["expires_on"]
        if row["expires_rule"]:  # a rule on a grant without an expiry is no state of the log
            shown = _norm(expires) if expires is not None else "none"
            expires = f"{shown} ({row['expires_rule']})"
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
    undone = {e.get("undoes") for e in log if e.get("undoes")}
    problems += _deleted(by, "access_grant", "grant", grant_ids, "grant", undone)

    # Phases and tasks: created from the stored playbook, then changed by logged events.
    try:
        playbook = from_json(_playbook_at_creation(bundle["engagement"], by, problems))
    except Exception:
        problems.append("the engagement's stored playbook cannot be read")
        return problems
    start = bundle["engagement"]["start_date"]
    if not isinstance(start, date):
        start = date.fromisoformat(str(start))
    try:
        calendar = _calendar_at_creation(bundle["engagement"], by)
        layout = lay_out(playbook, calendar, start)
    except Exception:
        problems.append("the engagement's calendar or plan cannot be laid out again")
        return problems
    phase_rows = {row["key"]: row for row in bundle["phases"]}
    phase_keys = {row["id"]: row["key"] for row in bundle["phases"]}
    for position, (spec, (phase_start, phase_end, _)) in enumerate(
        zip(playbook.phases, layout, strict=True)
    ):
        row = phase_rows.pop(spec.key, None)
        initial = {
            "position": position,
            "title": spec.title,
            "status": "active" if position == 0 else "pending",
            "planned_start": phase_start,
            "planned_end": phase_end,
            "actual_start": start if position == 0 else None,
            "actual_end": None,
            "gate_json": "[" + ",".join(c.model_dump_json() for c in spec.gate) + "]",
            "gate_decision": None,
            "gate_decided_by": None,
            "gate_decided_at": None,
            "gate_reason": None,
        }
        if row is None:
            problems.append(f"phase {spec.key}: in the playbook but not in the database (deleted?)")
            continue
        expected = replayed("phase", row["id"], initial)
        compare(f"phase {spec.key}", expected, {k: row[k] for k in initial})
    for key, row in phase_rows.items():
        if not any(e["action"] == "create" for e in by.get(("phase", row["id"]), ())):
            problems.append(f"phase {key}: not in the playbook nor in the log (inserted?)")
            continue
        # A phase a playbook upgrade added: its fields replay from its `create` events.
        initial = dict.fromkeys(_PHASE_FIELDS)
        initial["gate_json"] = "[]"
        expected = replayed("phase", row["id"], initial)
        compare(f"phase {key}", expected, {k: row[k] for k in initial})
    # Tasks by the key they were created with (an upgrade may follow a renamed task).
    task_rows = {_first_key(row, by.get(("task", row["id"]), ())): row for row in bundle["tasks"]}

    def _assignee(person_id: Any) -> set[str] | None:
        """Who a task is assigned to, known by every name they had (events keep the name
        of the moment)."""
        return None if person_id is None else names["person"].get(person_id, {"?"})

    for spec_phase, (_, _, dues) in zip(playbook.phases, layout, strict=True):
        for position, (spec, due) in enumerate(zip(spec_phase.tasks, dues, strict=True)):
            row = task_rows.pop(spec.key, None)
            if row is None:
                problems.append(f"task {spec.key}: in the playbook but not in the database")
                continue
            initial = {
                "title": spec.title,
                "phase": spec_phase.key,
                "position": position,
                "description": spec.description.strip(),
                "owner_role": spec.owner,
                "due_date": due,
                "status": "todo",
                "note": None,
                "completed_by": None,
                "completed_at": None,
                "assignee": None,
                **_TASK_EXTRA,
            }
            expected = replayed("task", row["id"], initial)
            actual = {k: row.get(k) for k in initial}
            actual["phase"] = phase_keys.get(row["phase_id"])
            actual["assignee"] = _assignee(row["assignee_id"])
            _older_file(actual, row)
            compare(f"task {spec.key}", expected, actual)
    for key, row in task_rows.items():
        if not any(e["action"] in ("create", "add") for e in by.get(("task", row["id"]), ())):
            problems.append(f"task {key}: not in the playbook nor in the log (inserted?)")
            continue
        # An ad-hoc task: its fields replay from its `create` events and later changes.
        initial = {
            "title": None,
            "phase": None,
            "position": None,
            "description": "",
            "owner_role": "",
            "due_date": None,
            "status": "todo",
            "note": None,
            "completed_by": None,
            "completed_at": None,
            "assignee": None,
            **_TASK_EXTRA,
            "due_rule": None,
        }
        expected = replayed("task", row["id"], initial)
        actual = {k: row.get(k) for k in initial}
        actual["phase"] = phase_keys.get(row["phase_id"])
        actual["assignee"] = _assignee(row["assignee_id"])
        _older_file(actual, row)
        compare(f"task {key}", expected, actual)

    # KT sessions: each row needs its `schedule` event; participants replay too.
    people = {row["id"]: row["name"] for row in bundle["people"]}
    # Participants are logged by the name they had then: a renamed person is known by all.
    owners: dict[str, set[Any]] = {}
    for person_id, known in names["person"].items():
        for name in known:
            owners.setdefault(name, set()).add(person_id)

    def current_name(name: str) -> str:
        ids = owners.get(name, set())
        return people.get(next(iter(ids)), name) if len(ids) == 1 else name

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
            "cancel_reason": None,
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
                "minutes": row["minutes"],  # compared once an event logged a new length
                **{k: row.get(k) for k in initial},
            },
        )
        logged = _participants(history, current_name)
        if logged != participants.get(row["id"], set()):
            problems.append(f"{what}: its presenters and attendees differ from the log")
    problems += _deleted(by, "kt_session", "schedule", session_ids, "KT session", undone)
    from transition.services.audit_replay_roles import role_problems

    problems += role_problems(bundle.get("role_assignments", []), log, names["person"])
    return problems


def _participants(
    history: Sequence[LoggedEvent], current_name: Callable[[str], str] = str
) -> set[tuple[str, str]]:
    """Who takes part in a KT session, replayed in order: ``schedule``/``attend`` events
    add a presenter or attendee (after = the name); an ``update`` event on ``attendee``
    adds one (after) or removes one (before, with no after). Names logged before a rename
    are read as the person's current name (``current_name``)."""
    people: set[tuple[str, str]] = set()
    for e in history:
        field = e["field"]
        if field not in ("presenter", "attendee"):
            continue
        if e["action"] in ("schedule", "attend") or (e["after"] and not e["before"]):
            people.add((field, current_name(e["after"])))
        elif e["before"] and not e["after"]:
            people.discard((field, current_name(e["before"])))
    return people


#: The fields of a phase an upgrade creates, compared like those of a playbook's phase.
_PHASE_FIELDS = (
    "position",
    "title",
    "status",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "gate_json",
    "gate_decision",
    "gate_decided_by",
    "gate_decided_at",
    "gate_reason",
)


def _first_key(row: Mapping[str, Any], history: Sequence[LoggedEvent]) -> str:
    """The key a task had when it was created: before its first logged rename."""
    for e in history:
        if e["field"] == "key" and e["before"]:
            return e["before"]
    return row["key"]


def _playbook_at_creation(
    engagement: Mapping[str, Any],
    by: Mapping[tuple[str, Any], Sequence[LoggedEvent]],
    problems: list[str],
) -> str:
    """The playbook the plan was first laid from: the one an upgrade's ``playbook_json``
    event replaced first, else the stored one. The stored one must be the last an upgrade
    logged."""
    logged = [
        e for e in by.get(("engagement", engagement["id"]), ()) if e["field"] == "playbook_json"
    ]
    if not logged:
        return engagement["playbook_json"]
    if logged[-1]["after"] != engagement["playbook_json"]:
        problems.append("the engagement's stored playbook is not the one its last upgrade logged")
    return logged[0]["before"]


#: The engagement's fields that make its calendar (``engagement set --calendar`` logs them).
_CALENDAR_FIELDS = ("calendar", "workweek", "extra_holidays_json")


def _calendar_at_creation(
    engagement: Mapping[str, Any], by: Mapping[tuple[str, Any], Sequence[LoggedEvent]]
) -> Calendar:
    """The calendar the engagement's plan was laid on: each field's value before its first
    logged change, else its current value."""
    values = {field: engagement.get(field) for field in _CALENDAR_FIELDS}
    changed: set[str] = set()
    for e in by.get(("engagement", engagement["id"]), ()):
        field = e["field"]
        if field in _CALENDAR_FIELDS and field not in changed:
            changed.add(field)
            values[field] = e["before"]
    return Calendar.of(
        Engagement(
            calendar=values["calendar"] or None,
            workweek=values["workweek"] or "0,1,2,3,4",
            extra_holidays_json=values["extra_holidays_json"] or "[]",
        )
    )


#: Task fields added with ad-hoc work and removal: as a playbook lays a task out.
_TASK_EXTRA = {"origin": "playbook", "removed_at": None, "removed_reason": None}


def _older_file(actual: dict[str, Any], row: Mapping[str, Any]) -> None:
    """An export written before tasks had these fields: nothing of them to compare."""
    for key in (*_TASK_EXTRA, "due_rule"):
        if key not in row:
            actual.pop(key, None)


def _deleted(
    by: Mapping[tuple[str, Any], Sequence[LoggedEvent]],
    entity: str,
    created_by: str,
    present: set[Any],
    label: str,
    undone: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[str]:
    """Rows of ``entity`` the log created (an event ``created_by``) that are not there,
    unless the change that created them was undone (undo takes such a row away)."""
    return [
        f"{label} {row_id}: in the log but not in the database (deleted?)"
        for (kind, row_id), history in by.items()
        if kind == entity
        and row_id not in present
        and any(e["action"] == created_by and e.get("change_id") not in undone for e in history)
    ]
