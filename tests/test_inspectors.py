"""Inspectors: each noun in full through its service function, in a fixed number of
statements whatever the rows around it, and ``enter`` opening it in the TUI."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import QueryCounter
from tui_snapshot_app import demo_app, demo_database, run_async, settle

from transition import db
from transition.services import inspectors

NW = "northwind-service-desk"
SYSTEM = "active-directory"


@pytest.fixture
def demo(tmp_path, monkeypatch):
    url = demo_database(tmp_path, monkeypatch)
    yield db.get_engine(url)
    db.reset_engines()


def read(engine, fn, *args):
    with db.session_scope(engine, actor="tester") as s, QueryCounter(engine) as q:
        result = fn(s, NW, *args)
    return result, q.count


def write(engine, fn, *args, **kwargs):
    with db.session_scope(engine, actor="tester", write=True) as s:
        return fn(s, NW, *args, **kwargs)


def a_task_with_dependencies(engine) -> str:
    from transition.services import task_edit

    with db.session_scope(engine, actor="tester") as s:
        detail = task_edit.show(s, NW, "kt-walkthroughs")
    assert detail.depends_on and detail.dependents
    return detail.key


def test_the_task_inspector_links_both_sides_and_stays_at_a_fixed_count(demo):
    from transition.services import task_edit

    key = a_task_with_dependencies(demo)
    data, few = read(demo, inspectors.task, key)
    relations = {link.relation for link in data.links}
    assert relations == {"depends on", "needed by"}
    assert all(link.title for link in data.links)
    for i in range(5):
        write(demo, task_edit.note, key, f"note {i}")
    data, more = read(demo, inspectors.task, key)
    assert len(data.task.notes) >= 5 and more == few


def test_the_system_inspector_holds_everything_that_hangs_off_it(demo):
    from transition.services import access, kt

    data, few = read(demo, inspectors.system, SYSTEM)
    assert data.grants and data.sessions and data.runbooks and data.handover
    assert {g.system for g in data.grants} == {data.system.system}
    assert {k.system for k in data.sessions} == {data.system.system}
    assert {r.system for r in data.runbooks} == {data.system.system}
    for i in range(4):
        write(demo, access.grant, person="Lena Fischer", system=SYSTEM, role=f"reader-{i}")
        write(
            demo,
            kt.schedule,
            system=SYSTEM,
            topic=f"Topic {i}",
            presenters="Tom Becker",
            attendees="Lena Fischer",
            at=f"2026-12-1{i}T10:00",
        )
    data2, more = read(demo, inspectors.system, SYSTEM)
    assert len(data2.grants) == len(data.grants) + 4
    assert len(data2.sessions) == len(data.sessions) + 4
    assert len(data2.handover) == len(data.handover) + 4  # each grant's revocation
    assert more == few


def test_grant_kt_runbook_and_raid_inspectors_stay_at_a_fixed_count(demo):
    from transition.services import access, kt, raid, runbook_evidence, runbooks

    with db.session_scope(demo, actor="tester") as s:
        grant = access.list_grants(s, NW)[0]
        session = kt.list_sessions(s, NW)[0]
        book = runbooks.list_runbooks(s, NW)[0]
        entry = raid.items(s, NW)[0]
    counts = {
        "grant": read(demo, inspectors.grant, grant.id)[1],
        "kt": read(demo, inspectors.kt_session, session.id)[1],
        "runbook": read(demo, inspectors.runbook, book.id)[1],
        "raid": read(demo, inspectors.raid_item, entry.ref)[1],
    }
    key = a_task_with_dependencies(demo)
    for i in range(3):
        write(
            demo,
            runbook_evidence.record_exercise,
            book.id,
            on=date(2026, 11, 10 + i),
            by="Lena Fischer",
            outcome="fail",
            deviations=f"step {i}",
        )
    write(demo, raid.link, entry.ref, task=key)
    write(demo, raid.link, entry.ref, system=SYSTEM)
    data, n = read(demo, inspectors.runbook, book.id)
    assert len(data.exercises) >= 3 and n == counts["runbook"]
    assert data.absolute.endswith(book.path.split("/")[-1])
    data, n = read(demo, inspectors.raid_item, entry.ref)
    assert key in data.task_keys.values() and n <= counts["raid"] + 1  # + the task keys
    data, n = read(demo, inspectors.grant, grant.id)
    assert data.grant.id == grant.id and n == counts["grant"]
    data, n = read(demo, inspectors.kt_session, session.id)
    assert data.session.id == session.id and n == counts["kt"]


def test_an_unknown_noun_is_not_found(demo):
    from transition.errors import NotFound

    for fn, ref in (
        (inspectors.task, "nothing"),
        (inspectors.system, "nothing"),
        (inspectors.grant, 99999),
        (inspectors.kt_session, 99999),
        (inspectors.runbook, 99999),
        (inspectors.raid_item, "R-999"),
    ):
        with db.session_scope(demo, actor="tester") as s, pytest.raises(NotFound):
            fn(s, NW, ref)


# -- the TUI ---------------------------------------------------------------------------


def body_text(screen) -> str:
    from textual.widgets import OptionList, Static

    parts = [str(w.render()) for w in screen.query(Static)]
    for options in screen.query(OptionList):
        parts += [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    return "\n".join(parts)


async def open_tab(pilot, tab: str):
    await settle(pilot)
    pilot.app.screen.show_tab(tab)
    await settle(pilot)
    return pilot.app.screen.query_one(f"#pane-{tab}")


@run_async
async def test_enter_on_a_task_opens_it_and_enter_on_a_dependency_jumps_to_it(
    tmp_path, monkeypatch
):
    from transition.tui.screens.inspectors import TaskInspector

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_tab(pilot, "tasks")
        table = pane.table
        for i in range(table.row_count):
            table.move_cursor(row=i)
            row = pane.current()
            if row is not None and row.depends_on:
                break
        await pilot.press("enter")
        await settle(pilot)
        first = app.screen
        assert isinstance(first, TaskInspector) and first.ref == row.key
        text = body_text(first)
        assert "Dependencies" in text and f"depends on {row.depends_on[0]}" in text
        assert "History (" in text
        await pilot.press("enter")  # the first link: a task it depends on
        await settle(pilot)
        assert isinstance(app.screen, TaskInspector) and app.screen.ref == row.depends_on[0]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is first
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"


@run_async
async def test_the_system_inspector_leads_to_a_grant_that_x_revokes(tmp_path, monkeypatch):
    from textual.widgets import OptionList

    from transition.tui.screens.inspectors import GrantInspector, SystemInspector

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_tab(pilot, "systems")
        pane.table.move_cursor(row=list(pane.rows).index(SYSTEM))
        await pilot.press("enter")
        await settle(pilot)
        inspector = app.screen
        assert isinstance(inspector, SystemInspector)
        text = body_text(inspector)
        for heading in ("People", "Grants (", "KT sessions (", "Runbooks (", "Exit checklist ("):
            assert heading in text
        grants = inspector.query_one("#system-grants", OptionList)
        active = next(
            i
            for i in range(grants.option_count)
            if "· active" in str(grants.get_option_at_index(i).prompt)
        )
        grants.focus()
        grants.highlighted = active
        await pilot.press("enter")
        await settle(pilot)
        grant = app.screen
        assert isinstance(grant, GrantInspector) and grant.data.grant.status == "active"
        assert "Justification:" in body_text(grant)
        await pilot.press("x")
        await settle(pilot)
        app.screen.query_one("#f-reason").value = "no longer needed"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is grant
        assert grant.data.grant.status == "revoked"
        assert "Revoke reason: no longer needed" in body_text(grant)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is inspector and inspector.touched


@run_async
async def test_enter_opens_a_kt_session_a_runbook_and_a_raid_entry(tmp_path, monkeypatch):
    from transition.tui.screens.inspectors import KTInspector, RaidInspector, RunbookInspector

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 40)) as pilot:
        for tab, kind, words in (
            ("kt", KTInspector, ("Presenters:", "Attendees:", "Follow-ups:", "Confidence:")),
            ("runbooks", RunbookInspector, ("File:", "Fill:", "Lifecycle:", "Exercises (")),
            ("raid", RaidInspector, ("Owner:", "Links", "History (")),
        ):
            await open_tab(pilot, tab)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, kind), tab
            text = body_text(app.screen)
            assert all(w in text for w in words), (tab, text)
            await pilot.press("escape")
            await settle(pilot)


@run_async
async def test_a_raid_entry_links_to_its_system(tmp_path, monkeypatch):
    from transition.tui.screens.inspectors import RaidInspector, SystemInspector

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_tab(pilot, "raid")
        ref = next(r.ref for r in pane.rows.values() if any(k.kind == "system" for k in r.links))
        pane.table.move_cursor(row=list(pane.rows).index(ref))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RaidInspector)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SystemInspector)


@run_async
async def test_e_edits_the_runbook_file_and_the_fill_is_read_again(tmp_path, monkeypatch):
    import contextlib
    import sys

    from textual.widgets import Static

    from transition.tui.screens.inspectors import RunbookInspector

    editor = tmp_path / "editor.py"
    editor.write_text(
        "import re, sys\n"
        "p = sys.argv[1]\n"
        "t = open(p).read()\n"
        "open(p, 'w').write(re.sub(r'\\[\\[FILL:[^\\]]*\\]\\]', 'done', t))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    monkeypatch.delenv("VISUAL", raising=False)
    app = demo_app(tmp_path, monkeypatch, NW)
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_tab(pilot, "runbooks")
        key = next(k for k, r in pane.rows.items() if r.fill_ratio is not None and r.fill_ratio < 1)
        pane.table.move_cursor(row=list(pane.rows).index(key))
        await pilot.press("enter")
        await settle(pilot)
        inspector = app.screen
        assert isinstance(inspector, RunbookInspector)
        assert "100% filled" not in str(inspector.query_one("#runbook-fields", Static).render())
        await pilot.press("e")
        await settle(pilot)
        assert "Fill: 100% filled" in str(inspector.query_one("#runbook-fields", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert pane.rows[key].fill_ratio == 1.0  # the tab read it again


@run_async
async def test_v_opens_the_one_access_review_where_enter_opens_the_grant(tmp_path, monkeypatch):
    from transition.services import access
    from transition.tui.screens.access_review import AccessReviewScreen
    from transition.tui.screens.inspectors import GrantInspector

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_tab(pilot, "access")
        await pilot.press("v")
        await settle(pilot)
        review = app.screen
        assert isinstance(review, AccessReviewScreen)  # the same screen as V and the palette
        findings = list(review.findings.values())
        table = review.query_one("#review-table")
        assert len(findings) > 4 and table.row_count == len(findings)
        key, finding = next((k, f) for k, f in review.findings.items() if f.grant_id)
        table.move_cursor(row=table.get_row_index(key))
        await pilot.press("enter")
        await settle(pilot)
        inspector = app.screen
        assert isinstance(inspector, GrantInspector) and inspector.ref == str(finding.grant_id)

        # x in the grant's inspector revokes it; the review and then the tab read again.
        await pilot.press("x")
        await settle(pilot)
        app.screen.query_one("#f-reason").value = "seen in the review"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is review and review.changed
        assert all(f.grant_id != finding.grant_id for f in review.findings.values())
        missing = next((k for k, f in review.findings.items() if f.grant_id is None), None)
        if missing is not None:  # a finding about access someone lacks has no grant
            table.move_cursor(row=table.get_row_index(missing))
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is review
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not review and pane.is_attached
        grants = {g.id: g for g in app.backend.read(access.list_grants, NW)}
        assert grants[finding.grant_id].revoke_reason == "seen in the review"


def test_the_gate_dialog_reads_every_name_of_every_reason(demo):
    from transition.services import gates

    with db.session_scope(demo, actor="tester") as s:
        short = {c.name: c.reason for c in gates.ahead(s, NW).phase.gate}
        full = {c.name: c.reason for c in gates.ahead_in_full(s, NW).phase.gate}
    assert "more" in short["tasks_done"]  # the CLI's one line
    assert not any(" more" in reason for reason in full.values())
    assert "exercise-1-finding-1" in full["tasks_done"]


def test_inspectors_on_every_backend(acme, cli, session_scope):
    """The inspectors' queries on each database the tests run on (SQLite, PostgreSQL)."""
    for args in (
        ("system", "add", acme, "Payroll", "--tier", "2"),
        ("person", "add", acme, "Vic New", "--side", "provider"),
        (
            "access",
            "grant",
            acme,
            "--person",
            "Vic New",
            "--system",
            "Payroll",
            "--role",
            "admin",
            "--justification",
            "payroll runs",
        ),
    ):
        assert cli(*args).exit_code == 0
    with session_scope(write=False) as s:
        data = inspectors.system(s, acme, "payroll")
        assert [g.person for g in data.grants] == ["Vic New"]
        assert [h.source_kind for h in data.handover].count("grant") == 1
        grant = inspectors.grant(s, acme, data.grants[0].id)
        assert grant.grant.justification == "payroll runs" and grant.history
