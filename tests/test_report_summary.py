"""The committee report: summary figures, top risks, decisions, the next 14 days and the
changes as sentences (constructed data with known answers), ``--audit``, escaping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from transition import reports
from transition.services import access, people, raid, systems, tasks
from transition.services.common import get_engagement

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)


@pytest.fixture
def facts(acme, session_scope, clock) -> str:
    """Priya closes three Discovery tasks; a grant revoked because its holder left; risks
    of known scores, one closed; a decision."""
    clock.pin(now=NOW, today=NOW.date())
    with session_scope() as session:
        eng = get_engagement(session, acme)
        systems.add(session, eng, "Mail", tier=1)
        people.add(session, eng, "Raj Patel", side="incumbent")
        grant = access.grant(session, eng, person="Raj Patel", system="Mail", role="admin")
        first = tasks.list_tasks(session, eng)[:3]
        raid.add(session, eng, kind="risk", title="Low", probability=1, impact=2)
        raid.add(session, eng, kind="risk", title="High", probability=5, impact=4)
        raid.add(session, eng, kind="risk", title="Gone", probability=3, impact=3)
        raid.add(session, eng, kind="decision", title="Keep the old mail relay")
    with session_scope(actor="priya") as session:
        eng = get_engagement(session, acme)
        for task in first:
            tasks.set_status(session, eng, task.key, "done")
    with session_scope(actor="marcus") as session:
        eng = get_engagement(session, acme)
        access.revoke(session, eng, grant.id, reason="left the team")
        raid.close(session, eng, "R-3", resolution="Retired with the old desk")
    return acme


def test_summary_and_sentences_from_known_facts(facts, session_scope) -> None:
    with session_scope() as session:
        eng = get_engagement(session, facts)
        data = reports.report_data(session, eng)
        phase = tasks.list_tasks(session, eng)[0].phase
    s = data["summary"]
    figures = {f.label: (f.this_week, f.last_week) for f in s.figures}
    assert figures["Tasks closed"] == (3, 0)
    assert figures["Risks raised"] == (3, 0) and figures["Risks closed"] == (1, 0)
    assert [(r.ref, r.score) for r in s.top_risks] == [("R-2", 20), ("R-1", 2)]
    assert [d.title for d in s.decisions] == ["Keep the old mail relay"]
    texts = [c.text for c in s.sentences]
    title = next(p.title for p in data["phases"] if p.key == phase)
    assert f"3 tasks closed in {title} by priya" in texts
    grant = next(t for t in texts if "revoked" in t)
    assert grant.startswith("Grant ")
    assert grant.endswith("(Raj Patel on Mail) revoked by marcus: left the team")
    assert "Risk R-3 closed by marcus: Retired with the old desk" in texts
    # Open tasks due in the next 14 days are listed by day.
    assert s.next_days == sorted(s.next_days, key=lambda i: i.day)
    assert all(0 <= (i.day - NOW.date()).days <= 14 for i in s.next_days)


def test_sentences_fold_only_the_newest_events_read(facts, session_scope, monkeypatch) -> None:
    """Past ``EVENTS_READ`` rows, the oldest are left out: the things of the newest rows
    only, each with the last value of its told fields."""
    from transition.services import changes

    with session_scope() as session:
        eng = get_engagement(session, facts)
        everything = [c.text for c in changes.sentences(session, eng, NOW.date())]
        # The newest rows are marcus's: the RAID close (status, resolution, closed at)
        # after the revoke. Three rows hold the close alone.
        monkeypatch.setattr(changes, "EVENTS_READ", 3)
        newest = [c.text for c in changes.sentences(session, eng, NOW.date())]
    assert newest == ["Risk R-3 closed by marcus: Retired with the old desk"]
    assert newest[0] in everything and len(everything) > 3


def test_cli_report_sentences_by_default_raw_rows_with_audit(cli, facts) -> None:
    md = cli("report", facts).stdout
    assert "## Executive summary" in md and "## Top risks" in md
    assert "## The next 14 days" in md and "## Decisions since" in md
    changes = md.split("## Changes since")[1]
    assert "3 tasks closed in" in changes and "| When (UTC) |" not in changes
    raw = cli("report", facts, "--audit").stdout.split("## Changes since")[1]
    assert "| When (UTC) |" in raw and "revoke\\_reason" in raw
    html = cli("report", facts, "--format", "html", "--audit").stdout
    assert "<h2>Executive summary</h2>" in html and 'class="audit"' in html
    assert 'class="audit"' not in cli("report", facts, "--format", "html").stdout


def test_user_text_in_the_summary_is_escaped(cli, acme, session_scope, clock) -> None:
    clock.pin(now=NOW, today=NOW.date())
    with session_scope() as session:
        eng = get_engagement(session, acme)
        raid.add(
            session, eng, kind="risk", title="<script>x</script> *bold*", probability=2, impact=2
        )
        raid.add(session, eng, kind="decision", title="Use <b>this</b> | that")
    html = cli("report", acme, "--format", "html").stdout
    assert "<script>x" not in html and "&lt;script&gt;x&lt;/script&gt; *bold*" in html
    assert "Use &lt;b&gt;this&lt;/b&gt; | that" in html
    md = cli("report", acme).stdout
    assert "\\<script\\>x\\</script\\> \\*bold\\*" in md
    assert "Use \\<b\\>this\\</b\\> \\| that" in md


def test_summary_statements_do_not_grow_with_rows(facts, session_scope, count_queries) -> None:
    from transition.services import report_summary

    def measure(top: int | None = None) -> int:
        with session_scope() as session:
            eng = get_engagement(session, facts)
            rows = tasks.list_tasks(session, eng)
            with count_queries() as q:
                report_summary.summary(
                    session,
                    eng,
                    now=NOW.date(),
                    since=NOW.date().replace(day=1),
                    task_rows=rows,
                    phases=[],
                    meetings=[],
                    open_findings=0,
                    top=top,
                )
        return q.count

    before, cut = measure(), measure(top=2)
    with session_scope(actor="sam") as session:
        eng = get_engagement(session, facts)
        for n in range(5):
            systems.add(session, eng, f"Extra {n}", tier=2)
            people.add(session, eng, f"Person {n}", side="provider")
            g = access.grant(session, eng, person=f"Person {n}", system=f"Extra {n}", role="user")
            access.revoke(session, eng, g.id, reason=f"reason {n}")
            raid.add(session, eng, kind="risk", title=f"Risk {n}", probability=2, impact=3)
            raid.add(session, eng, kind="decision", title=f"Decision {n}")
    assert measure() == before == 6
    # Only the first rows of the next days: four more, counting each kind by day.
    assert measure(top=2) == cut == 10
