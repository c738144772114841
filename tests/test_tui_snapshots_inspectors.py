"""What the task and system inspectors look like on the demo data, at 80×24 and 160×50.

Update after an intended change with
``pytest tests/test_tui_snapshots_inspectors.py --snapshot-update`` and review the SVGs."""

from __future__ import annotations

import pytest
from test_tui_snapshots import NW, settle
from tui_snapshot_app import demo_app

pytest.importorskip("pytest_textual_snapshot")

pytestmark = pytest.mark.xdist_group("tui-snapshots")

SIZES = [(80, 24), (160, 50)]


def inspect(tab: str, key: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.screen.show_tab(tab)
        await settle(pilot)
        pane = pilot.app.screen.query_one(f"#pane-{tab}")
        pane.table.move_cursor(row=pane.table.get_row_index(key))
        await pilot.press("enter")
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_task_inspector(snap_compare, tmp_path, monkeypatch, size):
    app = demo_app(tmp_path, monkeypatch, NW)
    assert snap_compare(app, terminal_size=size, run_before=inspect("tasks", "kt-walkthroughs"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_system_inspector(snap_compare, tmp_path, monkeypatch, size):
    app = demo_app(tmp_path, monkeypatch, NW)
    assert snap_compare(app, terminal_size=size, run_before=inspect("systems", "active-directory"))
