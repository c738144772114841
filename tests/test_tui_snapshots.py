"""What the TUI looks like on the demo data, on a fixed day with frozen clocks.

Update after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and review the SVGs."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app

pytest.importorskip("pytest_textual_snapshot")

# Rendering under a loaded machine can split identical text into different segments; a
# snapshot that differs three times in a row is a real change.
pytestmark = [pytest.mark.flaky(reruns=2), pytest.mark.xdist_group("tui-snapshots")]

NW = "northwind-service-desk"
SIZE = (100, 32)


async def settle(pilot) -> None:
    """Wait until the screen is still: no worker running, and every DataTable has sized
    its columns for all its rows. A DataTable sizes columns for new rows when its queue
    next runs empty, and on a busy machine a screenshot can catch it before (or after a
    pass that missed rows), every column at its header's width: so ask each table to
    size them all once more, and wait until that is done, three times in a row."""
    from textual.widgets import DataTable, Input

    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    still = 0
    for _ in range(200):
        await pilot.app.workers.wait_for_complete()
        tables = list(pilot.app.screen.query(DataTable))
        if still == 0:
            for table in tables:  # private, but the only way to ask for a full pass
                table._new_rows.update(table.rows)  # noqa: SLF001
                table._require_update_dimensions = True  # noqa: SLF001
                table.refresh()
        await pilot.pause()
        busy = any(t._require_update_dimensions or t._updated_cells for t in tables)  # noqa: SLF001
        still = 0 if busy else still + 1
        if still == 3:
            break
    for field in pilot.app.screen.query(Input):  # a blinking cursor is not a change
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
    "tab", ["tasks", "systems", "access", "kt", "runbooks", "handover", "audit"]
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
