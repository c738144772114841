"""`audit --verify` checks the log and the state it describes: generated tamperings of
audited rows (grants, tasks, phases, KT sessions and participants) and of the events
themselves are each reported with exit 1 and a clear line; an untouched database passes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from transition.models import Engagement
from transition.services import audit

ENG = "acme-helpdesk"

#: Audited tables and the columns whose every change the check must see. Left out on
#: purpose (and said so in the README): ``version`` counters, a grant's ``granted_at``,
#: a KT session's ``uid`` and ``minutes`` — nothing in the log records them.
AUDITED: dict[str, tuple[str, ...]] = {
    "accessgrant": (
        "engagement_id",
        "person_id",
        "system_id",
        "role",
        "justification",
        "approver",
        "expires_on",
        "expires_rule",
        "revoked_at",
        "revoked_by",
        "revoke_reason",
    ),
    "task": (
        "engagement_id",
        "phase_id",
        "position",
        "key",
        "title",
        "description",
        "owner_role",
        "assignee_id",
        "due_date",
        "status",
        "note",
        "completed_by",
        "completed_at",
    ),
    "phase": (
        "position",
        "key",
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
    ),
    "kt_session": (
        "engagement_id",
        "system_id",
        "topic",
        "kind",
        "starts_at",
        "status",
        "held_at",
        "signed_off_by_id",
        "signed_off_at",
        "confidence",
        "follow_ups",
    ),
    "kt_participant": ("role", "person_id"),
}
REFERENCE = {
    "engagement_id": "engagement",
    "person_id": "person",
    "assignee_id": "person",
    "signed_off_by_id": "person",
    "system_id": "system",
    "phase_id": "phase",
}
EVENT_COLUMNS = ("engagement_id", "at", "actor", "action", "entity", "entity_id", "field")
EVENT_COLUMNS += ("before", "after", "prev_hash", "hash")


@pytest.fixture
def history(cli, acme) -> str:
    """An engagement with a history in every audited table, and a second engagement."""
    steps = [
        ("person", "add", ENG, "Ann Lee", "--side", "incumbent"),
        ("person", "add", ENG, "Bob Ray", "--side", "provider"),
        ("person", "add", ENG, "Cy Fox", "--side", "provider"),
        ("system", "add", ENG, "Billing", "--tier", "1"),
        ("system", "add", ENG, "CRM"),
        ("access", "grant", ENG, "--person", "Bob Ray", "--system", "Billing", "--role", "ops"),
        ("access", "grant", ENG, "--person", "Cy Fox", "--system", "CRM", "--role", "admin")
        + ("--expires", "2027-01-31", "--justification", "Night shift cover"),
        ("access", "revoke", ENG, "2", "--reason", "Left the team"),
        ("kt", "schedule", ENG, "--system", "Billing", "--topic", "Month end")
        + ("--presenter", "Ann Lee", "--attendee", "Bob Ray", "--at", "2026-11-10T10:00Z"),
        ("kt", "schedule", ENG, "--system", "CRM", "--topic", "Tickets")
        + ("--presenter", "Ann Lee", "--attendee", "Cy Fox", "--at", "2026-11-12T10:00Z"),
        ("kt", "hold", ENG, "1"),
        ("kt", "signoff", ENG, "1", "--by", "Bob Ray", "--confidence", "4"),
        ("kt", "hold", ENG, "2"),
        ("task", "assign", ENG, "kickoff-workshop", "Ann Lee"),
        ("phase", "advance", ENG, "--override", "Agreed at the steering meeting"),
        ("engagement", "new", "Other Co", "--playbook", "dedicated-team-onboarding"),
        ("person", "add", "other-co", "Dee Park", "--side", "client"),
    ]
    for step in steps:
        result = cli(*step)
        assert result.exit_code == 0, (step, result.stderr)
    tasks = cli("task", "list", ENG, "--json").json()
    for task in tasks[:3]:
        result = cli("task", "done", ENG, task["key"], "--note", "Checked with the client")
        assert result.exit_code == 0, result.stderr
    return ENG


def _engagement_id(conn, slug: str) -> int:
    return conn.execute(text("SELECT id FROM engagement WHERE slug = :s"), {"s": slug}).scalar()


def _verify(conn, slug: str | None = ENG) -> list[str]:
    with Session(bind=conn) as session:
        eid = _engagement_id(conn, slug) if slug else None
        engagement = session.get(Engagement, eid) if eid is not None else None
        return audit.verify(session, engagement).problems


def _other_value(conn, table: str, column: str, value: Any, eid: int) -> Any:
    """A different value of the same kind (another existing row for references)."""
    if column in REFERENCE:
        target = REFERENCE[column]
        scope = "" if target == "engagement" else " WHERE engagement_id = :e"
        ids = conn.execute(text(f"SELECT id FROM {target}{scope} ORDER BY id"), {"e": eid})
        return [i for i in ids.scalars() if i != value]
    if value is None:
        return {
            "expires_on": date(2027, 6, 1),
            "expires_rule": "cutover+30d",
            "revoked_at": datetime(2026, 11, 20, 9, 0),
            "revoked_by": "mallory",
            "revoke_reason": "forged",
            "actual_start": date(2026, 11, 20),
            "actual_end": date(2026, 11, 21),
            "gate_decision": "passed",
            "gate_decided_by": "mallory",
            "gate_decided_at": datetime(2026, 11, 20, 9, 0),
            "gate_reason": "forged",
            "due_date": date(2026, 12, 1),
            "note": "forged",
            "completed_by": "mallory",
            "completed_at": datetime(2026, 11, 20, 9, 0),
            "held_at": datetime(2026, 11, 20, 9, 0),
            "signed_off_at": datetime(2026, 11, 20, 9, 0),
            "confidence": 5,
        }.get(column, "forged")
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, datetime):
        return value + timedelta(minutes=7)
    if isinstance(value, date):
        return value + timedelta(days=1)
    if column in ("status", "kind", "role", "gate_decision") and table != "accessgrant":
        choices = {
            "task": ["todo", "in_progress", "blocked", "done", "skipped"],
            "phase": ["pending", "active", "done"],
            "kt_session": ["planned", "held", "signed_off"],
            "kt_participant": ["presenter", "attendee"],
        }.get(table, [])
        if column == "kind":
            choices = ["walkthrough", "shadow", "reverse-shadow", "qa"]
        if column == "gate_decision":
            choices = ["passed", "overridden"]
        return next((c for c in choices if c != value), _changed(value))
    return _changed(value) if value else "forged"


def _changed(value: str) -> str:
    """The same length (columns have limits), one character different."""
    return value[:-1] + ("y" if value.endswith("x") else "x")


def _row_keys(conn, table: str, eid: int) -> list[dict[str, Any]]:
    if table == "kt_participant":
        sql = (
            "SELECT session_id, person_id FROM kt_participant JOIN kt_session "
            "ON kt_session.id = kt_participant.session_id WHERE kt_session.engagement_id = :e "
            "ORDER BY session_id, person_id"
        )
    else:
        sql = f"SELECT id FROM {table} WHERE engagement_id = :e ORDER BY id"
    return [dict(r._mapping) for r in conn.execute(text(sql), {"e": eid})]


def _where(key: dict[str, Any]) -> str:
    return " AND ".join(f"{k} = :k_{k}" for k in key)


def _params(key: dict[str, Any]) -> dict[str, Any]:
    return {f"k_{k}": v for k, v in key.items()}


TAMPERINGS = ("update row", "delete row", "insert row", "edit event", "delete event")
TAMPERINGS += ("reorder events", "garbage cell")


@settings(
    max_examples=35,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_tamperings_are_each_detected(engine, history, data) -> None:
    kinds = TAMPERINGS if engine.dialect.name == "sqlite" else TAMPERINGS[:-1]
    kind = data.draw(st.sampled_from(kinds), label="tampering")
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            eid = _engagement_id(conn, ENG)
            assert _verify(conn) == []
            what = _tamper(conn, eid, kind, data)
            problems = _verify(conn)
            assert problems, f"not detected: {what}"
            assert all(isinstance(p, str) and p and "\n" not in p for p in problems)
        finally:
            outer.rollback()


def _tamper(conn, eid: int, kind: str, data) -> str:
    if kind in ("update row", "delete row", "insert row"):
        table = data.draw(st.sampled_from(sorted(AUDITED)), label="table")
        keys = _row_keys(conn, table, eid)
        key = data.draw(st.sampled_from(keys), label="row")
        if kind == "delete row":
            conn.execute(text(f"DELETE FROM {table} WHERE {_where(key)}"), _params(key))
            return f"{kind} {table} {key}"
        if kind == "insert row":
            return _insert_copy(conn, table, key, eid)
        column = data.draw(st.sampled_from(AUDITED[table]), label="column")
        current = conn.execute(
            text(f"SELECT {column} FROM {table} WHERE {_where(key)}"), _params(key)
        ).scalar()
        new = _other_value(conn, table, column, current, eid)
        for candidate in new if isinstance(new, list) else [new]:
            nested = conn.begin_nested()
            try:
                conn.execute(
                    text(f"UPDATE {table} SET {column} = :v WHERE {_where(key)}"),
                    {"v": candidate, **_params(key)},
                )
            except IntegrityError:  # another row holds that key: try the next one
                nested.rollback()
                continue
            nested.commit()
            new = candidate
            break
        else:
            reject()  # no other value fits the table's constraints
        return f"{kind} {table} {key} {column}: {current!r} -> {new!r}"
    ids = list(
        conn.execute(
            text("SELECT id FROM audit_event WHERE engagement_id = :e ORDER BY id"), {"e": eid}
        ).scalars()
    )
    newest = conn.execute(text("SELECT max(id) FROM audit_event")).scalar()
    # Removing the newest events of the whole log leaves no later link to break: it is
    # detected only when they changed audited state (the README says so). Pick others.
    ids = [i for i in ids if i != newest]
    event = data.draw(st.sampled_from(ids), label="event")
    if kind == "delete event":
        conn.execute(text("DELETE FROM audit_event WHERE id = :i"), {"i": event})
        return f"{kind} {event}"
    if kind == "reorder events":
        other = data.draw(st.sampled_from([i for i in ids if i != event]), label="other")
        rows = {
            i: conn.execute(
                text(f"SELECT {', '.join(EVENT_COLUMNS)} FROM audit_event WHERE id = :i"),
                {"i": i},
            ).one()
            for i in (event, other)
        }
        for target, source in ((event, other), (other, event)):
            values = dict(zip(EVENT_COLUMNS, rows[source], strict=True))
            sets = ", ".join(f"{c} = :{c}" for c in EVENT_COLUMNS)
            conn.execute(
                text(f"UPDATE audit_event SET {sets} WHERE id = :i"), {**values, "i": target}
            )
        return f"{kind} {event} <-> {other}"
    column = data.draw(st.sampled_from(EVENT_COLUMNS), label="column")
    current = conn.execute(
        text(f"SELECT {column} FROM audit_event WHERE id = :i"), {"i": event}
    ).scalar()
    if kind == "garbage cell":
        new: Any = "\x00garbage\x1b[2J"
    elif column == "engagement_id":
        new = _engagement_id(conn, "other-co")
    else:
        new = _other_value(conn, "audit_event", column, current, eid)
        new = new[0] if isinstance(new, list) else new
    conn.execute(
        text(f"UPDATE audit_event SET {column} = :v WHERE id = :i"), {"v": new, "i": event}
    )
    return f"{kind} event {event} {column}: {current!r} -> {new!r}"


def _insert_copy(conn, table: str, key: dict[str, Any], eid: int) -> str:
    row = dict(
        conn.execute(text(f"SELECT * FROM {table} WHERE {_where(key)}"), _params(key))
        .one()
        ._mapping
    )
    cols = list(row)
    if table == "kt_participant":
        people = conn.execute(
            text("SELECT id FROM person WHERE engagement_id = :e ORDER BY id"), {"e": eid}
        ).scalars()
        taken = set(
            conn.execute(
                text("SELECT person_id FROM kt_participant WHERE session_id = :s"),
                {"s": row["session_id"]},
            ).scalars()
        )
        free = [p for p in people if p not in taken]
        if not free:
            reject()  # everyone takes part already
        row["person_id"] = free[0]
    else:
        row.pop("id")
        cols.remove("id")
        if "key" in row:
            row["key"] = f"{row['key']}-copy"
        if "uid" in row:
            row["uid"] = f"{row['uid']}-copy"
        if "role_key" in row:  # one grant in force per role: the copy is another role
            row["role"] = row["role_key"] = f"{row['role_key']}-copy"
        scope = {"task": "phase_id", "handover_item": "engagement_id"}.get(table)
        if scope:  # one row per place: the copy takes the next one
            row["position"] = conn.execute(
                text(f"SELECT MAX(position) + 1 FROM {table} WHERE {scope} = :s"),
                {"s": row[scope]},
            ).scalar_one()
    names = ", ".join(cols)
    values = ", ".join(f":{c}" for c in cols)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({values})"), row)
    return f"insert a copy of {table} {key}"


def test_untouched_database_passes_and_scoping(cli, history, engine) -> None:
    result = cli("audit", ENG, "--verify")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("chain intact: ")
    assert cli("audit", "--verify").exit_code == 0
    # Tampering with another engagement's rows does not fail this one, but fails its own.
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE person SET name = 'Zed' WHERE engagement_id = "
                "(SELECT id FROM engagement WHERE slug = 'other-co')"
            )
        )
        conn.execute(
            text(
                "UPDATE task SET status = 'done' WHERE engagement_id = "
                "(SELECT id FROM engagement WHERE slug = 'other-co') AND position = 0"
            )
        )
    assert cli("audit", ENG, "--verify").exit_code == 0
    other = cli("audit", "other-co", "--verify")
    assert other.exit_code == 1 and "but the log says 'todo'" in other.stderr
    whole = cli("audit", "--verify")
    assert whole.exit_code == 1 and "other-co: task " in whole.stderr

    # A tampered grant stays detected after `handover sync` writes its own events.
    with engine.begin() as conn:
        conn.execute(text("UPDATE accessgrant SET role = 'root' WHERE id = 1"))
        conn.execute(text("DELETE FROM accessgrant WHERE id = 2"))
    for _ in range(2):
        result = cli("audit", ENG, "--verify")
        assert result.exit_code == 1, result.stdout
        assert "error: grant 1: role is 'root' but the log says 'ops'" in result.stderr
        assert "grant 2: in the log but not in the database" in result.stderr
        assert "Traceback" not in result.stderr
        assert cli("handover", "sync", ENG).exit_code == 0
    as_json = cli("audit", ENG, "--verify", "--json")
    assert as_json.exit_code == 1 and as_json.json()["intact"] is False


CASES = [
    (
        "DELETE FROM audit_event WHERE engagement_id = (SELECT id FROM engagement "
        "WHERE slug = 'acme-helpdesk')",
        "the engagement's audit log is empty",
    ),
    (
        "DELETE FROM audit_event WHERE action = 'create' AND entity = 'engagement' "
        "AND engagement_id = (SELECT id FROM engagement WHERE slug = 'acme-helpdesk')",
        "no `create` event",
    ),
    ("UPDATE audit_event SET at = 'garbage' WHERE id = 3", "is not a time"),
    ("UPDATE audit_event SET entity_id = 'x' WHERE id = 3", "content does not match"),
    ("UPDATE audit_event SET hash = NULL WHERE id = 3", "content does not match"),
    ("UPDATE task SET completed_at = 'garbage' WHERE id = 1", "rows cannot be read"),
]


def test_missing_events_and_garbage_cells_are_reported(cli, history, engine) -> None:
    for sql, message in CASES:
        if ("garbage" in sql or "'x'" in sql) and engine.dialect.name != "sqlite":
            continue  # PostgreSQL columns are typed: no garbage fits
        with engine.connect() as conn:
            outer = conn.begin()
            conn.execute(text(sql))
            problems = _verify(conn)
            outer.rollback()
        assert any(message in p for p in problems), (sql, problems)
    # Through the command: one `error:` line per problem, exit 1, no traceback.
    with engine.begin() as conn:
        conn.execute(text(CASES[0][0]))
    result = cli("audit", ENG, "--verify")
    assert result.exit_code == 1, result.stdout
    assert CASES[0][1] in result.stderr
    assert all(line.startswith("error: ") for line in result.stderr.splitlines())


def test_an_expiry_rule_put_on_a_grant_without_an_expiry_is_reported(history, engine) -> None:
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            assert _verify(conn) == []
            conn.execute(text("UPDATE accessgrant SET expires_rule = 'cutover+30d' WHERE id = 1"))
            problems = _verify(conn)
            assert problems and all("grant 1" in p for p in problems), problems
        finally:
            outer.rollback()
