"""What the TUI looks like on the demo data, on a fixed day with frozen clocks.

Update after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and review the SVGs."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, workers_done

pytest.importorskip("pytest_textual_snapshot")

pytestmark = pytest.mark.xdist_group("tui-snapshots")

NW = "northwind-service-desk"
SIZE = (100, 32)


def sized(table) -> bool:
    """The table's scrollable size matches its columns and rows: DataTable has caught up
    with the last rows given (PagedTable sizes the columns themselves at once)."""
    width = sum(c.get_render_width(table) for c in table.columns.values())
    height = table.row_count + (table.header_height if table.show_header else 0)
    return table.virtual_size == (width, height)


async def settle(pilot) -> None:
    """Wait until the screen is still: no worker running, every message handled (a
    worker's result arrives as one, and may start another worker), every table sized;
    twice in a row."""
    from textual.widgets import DataTable, Input

    app = pilot.app
    still = 0
    for _ in range(200):
        await workers_done(app)
        await pilot.pause()
        busy = any(w.is_running for w in app.workers) or not all(
            sized(t) for t in app.screen.query(DataTable)
        )
        still = 0 if busy else still + 1
        if still == 2:
            break
    else:
        raise AssertionError("the screen did not settle")
    for field in app.screen.query(Input):  # a blinking cursor is not a change
        field.cursor_blink = False
    await pilot.pause()


def on_tab(tab: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.screen.show_tab(tab)
        await settle(pilot)

    return run_before


def test_dashboard(snap_compare, tmp_path, monkeypatch):
    assert snap_compare(demo_app(tmp_path, monkeypatch), terminal_size=SIZE, run_before=settle)


def test_dashboard_80x24(snap_compare, tmp_path, monkeypatch):
    assert snap_compare(demo_app(tmp_path, monkeypatch), terminal_size=(80, 24), run_before=settle)


@pytest.mark.parametrize(
    "tab",
    ["tasks", "systems", "access", "kt", "runbooks", "handover", "scorecard", "golive", "audit"],
)
def test_engagement_tab(snap_compare, tmp_path, monkeypatch, tab):
    app = demo_app(tmp_path, monkeypatch, NW)
    assert snap_compare(app, terminal_size=SIZE, run_before=on_tab(tab))


def test_engagement_tasks_80x24(snap_compare, tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    assert snap_compare(app, terminal_size=(80, 24), run_before=on_tab("tasks"))


def test_gate_dialog(snap_compare, tmp_path, monkeypatch):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)

    app = demo_app(tmp_path, monkeypatch, NW)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_grant_form_with_inline_errors(snap_compare, tmp_path, monkeypatch):
    async def run_before(pilot) -> None:
        await on_tab("access")(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)

    app = demo_app(tmp_path, monkeypatch, NW)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_people_tab(snap_compare, tmp_path, monkeypatch, size):
    app = demo_app(tmp_path, monkeypatch, NW)
    assert snap_compare(app, terminal_size=size, run_before=on_tab("people"))


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_person_inspector(snap_compare, tmp_path, monkeypatch, size):
    async def run_before(pilot) -> None:
        await on_tab("people")(pilot)
        table = pilot.app.screen.query_one("#people-table")
        table.move_cursor(row=table.get_row_index("sofia-novak"))
        await pilot.press("enter")
        await settle(pilot)

    app = demo_app(tmp_path, monkeypatch, NW)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
