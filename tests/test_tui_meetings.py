"""The Meetings tab: the demo's cadence listed; held (attendees, minutes), cancelled and
given an action through its forms."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, run_async, settle

pytest.importorskip("textual")

NW = "northwind-service-desk"


@run_async
async def test_meetings_tab_lists_and_its_forms_write(tmp_path, monkeypatch):
    from transition.services import meetings

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        app.screen.show_tab("meetings")
        await settle(pilot)
        pane = app.screen.query_one("#pane-meetings")
        assert any(r.status == "held" for r in pane.rows.values())
        row = next(r for r in pane.rows.values() if r.status == "planned")
        pane.table.move_cursor(row=pane.table.get_row_index(str(row.number)))
        await pilot.press("c")
        await pilot.pause()
        form = app.screen
        assert form.id == "meeting-cancel"
        form.query_one("#f-reason").value = "Board offsite [b]not markup[/b]"
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = {m.number: m for m in app.backend.read(meetings.list_meetings, NW)}
        assert shown[row.number].status == "cancelled"
        assert shown[row.number].cancel_reason == "Board offsite [b]not markup[/b]"

        held = next(r for r in pane.rows.values() if r.status == "held")
        pane.table.move_cursor(row=pane.table.get_row_index(str(held.number)))
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        assert form.id == "meeting-action"
        form.query_one("#f-title").value = "Chase the network supplier"
        form.query_one("#f-owner").value = "Nobody Known"
        form.query_one("#f-due").value = "2026-12-20"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # refused: stays open with the error
        form.query_one("#f-owner").value = "Lena Fischer"
        await pilot.press("ctrl+s")
        await settle(pilot)
        again = {m.number: m for m in app.backend.read(meetings.list_meetings, NW)}
        assert len(again[held.number].actions) == len(held.actions) + 1
