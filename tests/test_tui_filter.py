"""``/`` filters every list as you type, ``escape`` clears it; ``>`` / ``<`` and a click on
a heading sort; the Tasks tab opens on the open tasks (``o``: every task)."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, run_async, settle

from transition import db
from transition.services import task_edit
from transition.services.views import TaskView
from transition.tui.widgets.paged_table import PagedTable

pytest.importorskip("textual")

NW = "northwind-service-desk"


def keys(table) -> list[str]:
    return [k.value for k in table.rows]


def count(table) -> str:
    return str(table.bar().query_one(".filter-count").render())


def labels(table) -> list[str]:
    return [c.label.plain for c in table.columns.values()]


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)
    await settle(pilot)


async def click_heading(pilot, table, key: str) -> None:
    x = 1
    for column in table.ordered_columns:
        if column.key.value == key:
            break
        x += column.get_render_width(table)
    await pilot.click(table, offset=(x, 0))
    await settle(pilot)


@run_async
async def test_slash_filters_the_dashboard_as_you_type_and_escape_clears_it(tmp_path, monkeypatch):
    from textual.widgets import Input

    monkeypatch.setattr(PagedTable, "DEBOUNCE", 0)
    app = demo_app(tmp_path, monkeypatch)
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#engagements")
        every = keys(table)
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.focused, Input)
        await type_text(pilot, "PAYR")  # any case, any column
        assert keys(table) == ["wingtip-payroll"] and count(table) == "1 of 3"
        await type_text(pilot, "zz")
        assert keys(table) == [] and count(table) == "no match among 3"
        await pilot.press("escape")
        await pilot.pause()
        assert keys(table) == every and table.bar() is None and app.focused is table
        # enter keeps the filter and goes back to the list; escape there clears it.
        await pilot.press("slash")
        await type_text(pilot, "ramp northwind")  # every word, each in some column
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is table and keys(table) == [NW] and table.bar() is not None
        await pilot.press("escape")
        await pilot.pause()
        assert keys(table) == every and table.bar() is None
        assert type(app.screen).__name__ == "DashboardScreen"


@run_async
async def test_typing_applies_after_a_pause_and_enter_applies_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(PagedTable, "DEBOUNCE", 3600)  # a pause that never ends in a test
    app = demo_app(tmp_path, monkeypatch)
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#engagements")
        await pilot.press("slash")
        await type_text(pilot, "payroll")
        assert len(keys(table)) == 3  # still typing
        await pilot.press("enter")
        await pilot.pause()
        assert keys(table) == ["wingtip-payroll"]


@run_async
async def test_the_dashboard_sorts_by_state_and_cutover(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch)
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#engagements")
        listed = keys(table)
        rank = {"red": 0, "amber": 1, "green": 2, "done": 3}

        def states() -> list[int]:
            return [rank[screen.rows[k].state] for k in keys(table)]

        await pilot.press("greater_than_sign")  # by the first column: the state
        await pilot.pause()
        assert states() == sorted(states()) and labels(table)[0] == "State ▲"
        await pilot.press("less_than_sign")
        await pilot.pause()
        assert states() == sorted(states(), reverse=True) and labels(table)[0] == "State ▼"

        def days() -> list[int]:
            return [screen.rows[k].days_to_cutover for k in keys(table)]

        await click_heading(pilot, table, "cutover")
        assert days() == sorted(days()) and "Cutover ▲" in labels(table)
        await click_heading(pilot, table, "cutover")
        assert days() == sorted(days(), reverse=True)
        await click_heading(pilot, table, "cutover")  # a third time: as listed
        assert keys(table) == listed and "Cutover" in labels(table)


@run_async
async def test_tasks_open_on_open_ones_and_filter_every_page_in_any_script(tmp_path, monkeypatch):
    monkeypatch.setattr(PagedTable, "DEBOUNCE", 0)
    app = demo_app(tmp_path, monkeypatch, NW)
    with db.session_scope(db.get_engine(app.backend.url), actor="tester", write=True) as s:
        task_edit.add(s, NW, phase="cutover", key="mail-move", title="Перенос почты в Exchange")
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one("#pane-tasks")
        table = pane.table

        def statuses() -> set[str]:
            return {r.status for r in pane.rows.values() if isinstance(r, TaskView)}

        assert statuses() <= {"todo", "in_progress", "blocked"}
        await pilot.press("o")
        await settle(pilot)
        assert "done" in statuses()
        await pilot.press("o")
        await settle(pilot)
        assert "done" not in statuses()
        # A task closed here stays in sight, so space opens it again.
        key = next(k for k, r in pane.rows.items() if isinstance(r, TaskView))
        table.move_cursor(row=table.get_row_index(key))
        await pilot.press("space")
        await settle(pilot)
        assert pane.rows[key].status == "done" and key in keys(table)
        # The filter goes into the query: a task on no loaded page is found.
        await pilot.press("slash")
        await type_text(pilot, "ПОЧТЫ exchange")
        assert [k for k, r in pane.rows.items() if isinstance(r, TaskView)] == ["mail-move"]
        await type_text(pilot, "x")
        assert keys(table) == ["empty"] and count(table) == "no match"
        await pilot.press("escape")
        await settle(pilot)
        assert "mail-move" in keys(table) and app.focused is table
        # Sorted within each phase by the key, then the other way.
        await pilot.press("greater_than_sign")
        await settle(pilot)
        assert pane.filters.sort == "key" and "Task ▲" in labels(table)
        phase = next(r.phase for r in pane.rows.values() if isinstance(r, TaskView))
        shown = [k for k, r in pane.rows.items() if isinstance(r, TaskView) and r.phase == phase]
        assert shown == sorted(shown)
        await pilot.press("less_than_sign")
        await settle(pilot)
        shown = [k for k, r in pane.rows.items() if isinstance(r, TaskView) and r.phase == phase]
        assert pane.filters.descending and shown == sorted(shown, reverse=True)


@run_async
async def test_the_tasks_tab_opens_on_its_first_task_and_enter_inspects_it(tmp_path, monkeypatch):
    from transition.tui.screens.inspectors import TaskInspector

    monkeypatch.setattr(PagedTable, "DEBOUNCE", 0)
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one("#pane-tasks")
        first = next(k for k, r in pane.rows.items() if isinstance(r, TaskView))
        assert keys(pane.table)[0].startswith("phase:")  # the heading stays above it
        assert pane.table.current_key() == first
        # A filter that leaves the task under the cursor out: on the first task left.
        await pilot.press("slash")
        await type_text(pilot, "shadows incumbent")
        left = next(k for k, r in pane.rows.items() if isinstance(r, TaskView))
        assert left != first and pane.table.current_key() == left
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TaskInspector) and app.screen.ref == left


@run_async
async def test_the_access_list_filters_in_its_query(tmp_path, monkeypatch):
    monkeypatch.setattr(PagedTable, "DEBOUNCE", 0)
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot)
        app.screen.show_tab("access")
        await settle(pilot)
        pane = app.screen.query_one("#pane-access")
        table = pane.table
        person = next(iter(pane.rows.values())).person
        await pilot.press("slash")
        await type_text(pilot, person.split()[-1].upper())
        assert keys(table) and {
            g.person for g in pane.rows.values() if str(g.id) in keys(table)
        } == {person}
        await pilot.press("escape")
        await pilot.press("greater_than_sign")  # the first column shown: the grant's number
        await settle(pilot)
        ids = [int(k) for k in keys(table)]
        assert ids == sorted(ids) and len(ids) == len(pane.rows)
