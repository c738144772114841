"""Bounded query counts: the core list/status commands issue the same number of SQL
statements for an engagement of 50 tasks as for one of 1,000 (no N+1)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.core_books import write_many
from transition.playbooks import load_playbook
from transition.services import engagements, gates, people, systems, tasks
from transition.services.common import get_engagement


def _start(session_scope, path, name: str, extras: int) -> str:
    """An engagement from ``path`` with ``extras`` systems and people, some tasks done,
    blocked and assigned, so that every joined table has rows to (not) iterate over."""
    with session_scope() as s:
        eng = engagements.create(
            s,
            name=name,
            playbook=load_playbook(path),
            raw=path.read_bytes(),
            start=date(2026, 1, 5),
        )
        for i in range(extras):
            systems.add(s, eng, f"System {i}", tier=1 + i % 3)
            people.add(s, eng, f"Person {i}", side=("client", "incumbent", "provider")[i % 3])
        rows = tasks.list_tasks(s, eng)
        for i, row in enumerate(rows[:: max(1, len(rows) // 10)]):
            if i % 2:
                tasks.set_status(s, eng, row.key, "blocked")
            else:
                tasks.assign(s, eng, row.key, f"Person {i % extras}")
        first = next(r for r in rows if not r.depends_on)
        tasks.set_status(s, eng, first.key, "done")
        return eng.slug


@pytest.fixture
def sizes(session_scope, tmp_path) -> dict[int, str]:
    return {
        50: _start(session_scope, write_many(tmp_path, 50, "small"), "Small", 2),
        1000: _start(session_scope, write_many(tmp_path, 1000, "big"), "Big", 12),
    }


def _count(count_queries, session_scope, slug, call) -> tuple[int, int]:
    with session_scope(write=False) as s:
        eng = get_engagement(s, slug)
        with count_queries() as q:
            result = call(s, eng)
    return q.count, len(result)


SERVICE_CALLS = {
    "task list": lambda s, e: tasks.list_tasks(s, e),
    "task list --phase --status": lambda s, e: tasks.list_tasks(
        s, e, phase="phase-1", status="todo"
    ),
    "task list --overdue": lambda s, e: tasks.list_tasks(s, e, overdue=True),
    "phase status": lambda s, e: gates.status(s, e).phases,
    "system list": lambda s, e: systems.coverage(s, e),
    "person list": lambda s, e: people.list_people(s, e),
    "engagement show": lambda s, e: engagements.summaries(s, e.id),
}


CLI_COMMANDS = [
    ("task", "list", "{eng}", "--json"),
    ("task", "list", "{eng}"),
    ("task", "list", "{eng}", "--overdue", "--json"),
    ("phase", "status", "{eng}", "--json"),
    ("system", "list", "{eng}", "--json"),
    ("person", "list", "{eng}", "--json"),
    ("engagement", "show", "{eng}", "--json"),
    ("audit", "{eng}", "--json"),
]


def test_query_counts_do_not_grow_with_rows(
    sizes, cli, count_queries, session_scope, clock, monkeypatch
):
    """One test (one pair of engagements) for every service call and command: building a
    1,000-task engagement is the expensive part."""
    clock.pin(today="2026-03-01")
    for name, call in SERVICE_CALLS.items():
        small, small_rows = _count(count_queries, session_scope, sizes[50], call)
        big, big_rows = _count(count_queries, session_scope, sizes[1000], call)
        assert small == big, (name, small, big)
        assert small <= 12, (name, small)
        if name == "task list":
            assert (small_rows, big_rows) == (50, 1000)
    for args in CLI_COMMANDS:
        counts = {}
        for size, slug in sizes.items():
            with count_queries() as q:
                result = cli(*(a.format(eng=slug) for a in args))
            assert result.exit_code == 0, result.stderr
            counts[size] = q.count
        assert counts[50] == counts[1000], (args, counts)
        if args[:2] == ("task", "list") and args[-1] == "--json" and len(args) == 4:
            assert len(result.json()) == 1000


def test_engagement_list_query_count_does_not_grow_with_engagements(
    cli, count_queries, session_scope, tmp_path
):
    path = write_many(tmp_path, 30, "few")
    _start(session_scope, path, "First", 1)
    with count_queries() as q:
        one = cli("engagement", "list", "--json")
    single = q.count
    for i in range(4):
        _start(session_scope, path, f"Other {i}", 2)
    with count_queries() as q:
        five = cli("engagement", "list", "--json")
    assert (len(one.json()), len(five.json())) == (1, 5)
    assert q.count == single, (single, q.count)
