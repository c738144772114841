"""A bulk write leaves PostgreSQL's planner knowing the rows it wrote: without statistics
a freshly loaded table is planned as if it held nothing, and the access review's
anti-join ran as nested loops over every pair (seconds on twenty thousand grants)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from test_access import ENG, team, write  # noqa: F401  (fixture)

from transition.models import AccessGrant, HandoverItem, Person, System
from transition.services import access
from transition.services.statistics import BULK_ROWS


def _planner_rows(session, table: str) -> float:
    """The row count the planner believes ``table`` holds (-1: never gathered)."""
    return session.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}
    ).scalar_one()


def test_a_bulk_import_gathers_the_planner_statistics(
    team,  # noqa: F811
    tmp_path,
    session_scope,
    engine,
):
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL plans from gathered statistics; SQLite from its indexes")
    people = 30
    grants = BULK_ROWS + 100
    lines = [
        f"Person {n % people},System {n // people},role-{n},cutover+30d,bulk\n"
        for n in range(grants)
    ]
    path = write(tmp_path, "person,system,role,expires,justification\n" + "".join(lines))
    with session_scope() as s:
        before = _planner_rows(s, AccessGrant.__tablename__)
        result = access.import_csv(s, ENG, path, create_missing=True)
    assert result.imported == grants
    with session_scope(write=False) as s:
        # Gathered in the import's own transaction: the planner counts what it wrote.
        assert _planner_rows(s, AccessGrant.__tablename__) >= grants > before
        # The exit checklist received an item per grant in the same bulk write.
        assert _planner_rows(s, HandoverItem.__tablename__) >= grants


def _until_done_or_waiting(engine, other: dict[str, object]) -> None:
    """Until the other writer (its backend ``pid``) has finished or waits for a lock."""
    with engine.connect() as watch:
        while not other.get("done") and not other.get("error"):
            waiting = watch.execute(
                text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :p"),
                {"p": other.get("pid", 0)},
            ).scalar()
            if waiting:
                return
            watch.rollback()
            time.sleep(0.01)  # polling the other writer's state, not ordering by time


def test_two_bulk_writers_take_their_locks_in_one_order(acme, session_scope, engine):
    """A bulk writer's ``ANALYZE`` holds its table's lock to the end of the transaction,
    and every change holds the audit chain's lock from its first event. A writer that
    analysed a table before its first event (an import) and one that analyses the same
    table after its first event (``exit start``'s systems) would each wait for the
    other's lock: PostgreSQL would end one with a deadlock. Both finish, because an
    ``ANALYZE`` passes over a table another writer is analysing instead of waiting."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's locks; SQLite has one writer at a time")
    from transition.services import audit
    from transition.services.common import get_engagement
    from transition.services.statistics import after_bulk_write

    with session_scope() as s:
        eid = get_engagement(s, acme).id
    first_event = [audit.Change("system", None, "update", "note", None, "b")]
    second: dict[str, object] = {}

    def other_writer() -> None:
        try:
            with session_scope() as s:
                second["pid"] = s.execute(text("SELECT pg_backend_pid()")).scalar_one()
                audit.record_many(s, eid, first_event)  # its first event, then
                after_bulk_write(s, System, BULK_ROWS)  # a bulk write into systems
            second["done"] = True
        except Exception as exc:  # reported by the assertion below
            second["error"] = exc

    with session_scope() as s:
        after_bulk_write(s, System, BULK_ROWS)  # a bulk write before any event
        thread = threading.Thread(target=other_writer)
        thread.start()
        _until_done_or_waiting(engine, second)  # for a lock this one holds
        audit.record_many(s, eid, [audit.Change("system", None, "update", "note", None, "a")])
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert second.get("error") is None, second.get("error")
    assert second.get("done")
    with session_scope() as s:
        assert audit.verify(s).intact  # one chain, the two changes one after the other


def test_statistics_do_not_change_who_waits_for_whose_keys(acme, session_scope, engine):
    """Two imports creating the same system: the later one waits on the earlier one's
    new key and meets the unique index once it commits (a refusal, nothing written).
    Gathering statistics in between takes no lock either would wait on: had the first
    taken the audit chain to analyse its people, the second, waiting for that chain
    while holding the key, would have ended in a deadlock."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's locks; SQLite has one writer at a time")
    from transition.errors import TransitionError
    from transition.services.common import get_engagement
    from transition.services.rows import bulk_insert

    with session_scope() as s:
        eid = get_engagement(s, acme).id

    def systems(numbers: range) -> list[dict[str, object]]:
        return [
            {"engagement_id": eid, "slug": f"s{n:04d}", "name": f"S {n}", "tier": 2}
            for n in numbers
        ]

    people = [
        {"engagement_id": eid, "slug": f"p{n:04d}", "name": f"P {n}", "side": "incumbent"}
        for n in range(BULK_ROWS)
    ]
    other: dict[str, object] = {}

    def other_import() -> None:
        try:
            with session_scope() as s:
                other["pid"] = s.execute(text("SELECT pg_backend_pid()")).scalar_one()
                bulk_insert(s, System, systems(range(BULK_ROWS)))
            other["done"] = True
        except Exception as exc:  # reported by the assertion below
            other["error"] = exc

    with pytest.raises(TransitionError) as refused, session_scope() as s:
        bulk_insert(s, Person, people)  # statistics gathered for the people
        thread = threading.Thread(target=other_import)
        thread.start()
        _until_done_or_waiting(engine, other)  # it waits on nothing here: it commits
        bulk_insert(s, System, systems(range(BULK_ROWS - 1, 2 * BULK_ROWS)))
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert other.get("error") is None, other.get("error")
    assert "deadlock" not in str(refused.value)
    with session_scope() as s:
        slugs = s.execute(
            text("SELECT count(*) FROM system WHERE engagement_id = :e AND slug LIKE 's%'"),
            {"e": eid},
        ).scalar_one()
        assert slugs == BULK_ROWS  # the other import's systems, none of the refused one's
