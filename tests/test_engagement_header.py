"""The engagement screen's header (``overview.header``): what it holds, and a query count
that does not grow with tasks, systems or people."""

from __future__ import annotations

from tests.core_books import write_many
from tests.test_performance_core import _start
from transition.services import engagements, gates, overview, people
from transition.services.common import get_engagement


def test_header_holds_the_summary_phases_systems_and_people(cli, acme, session_scope):
    assert cli("system", "add", acme, "Service Desk", "--tier", "1").exit_code == 0
    assert cli("person", "add", acme, "Priya Shah", "--side", "provider").exit_code == 0
    with session_scope() as s:
        head = overview.header(s, acme)
        status = gates.status(s, acme)
        eng = get_engagement(s, acme)
        (summary,) = engagements.summaries(s, eng.id)
        listed = people.list_people(s, eng)
    assert head.summary == summary
    assert head.current_phase == status.current_phase == "discovery"
    assert [(p.key, p.title, p.position, p.status) for p in head.phases] == [
        (p.key, p.title, p.position, p.status) for p in status.phases
    ]
    assert [(p.tasks_total, p.tasks_open) for p in head.phases] == [
        (p.tasks_total, p.tasks_open) for p in status.phases
    ]
    assert head.systems == ["Service Desk"] and head.people == listed


def test_header_query_count_does_not_grow_with_rows(session_scope, count_queries, tmp_path, clock):
    clock.pin(today="2026-03-01")
    small = _start(session_scope, write_many(tmp_path, 50, "small"), "Small", 2)
    big = _start(session_scope, write_many(tmp_path, 600, "big"), "Big", 12)
    counts = {}
    for slug in (small, big):
        with session_scope(write=False) as s, count_queries() as q:
            head = overview.header(s, slug)
        counts[slug] = q.count
        assert len(head.phases) == 5
    assert counts[small] == counts[big], counts
    # the engagement, summary (3), phases (2), systems, people; the next 14 days (5)
    assert counts[small] <= 13, counts
