"""The RAID tab: the demo's log with the cited risk R-7 and the override's decision; an
entry added and closed through the forms; refusals shown beside their field."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, run_async, settle

from transition import db
from transition.services import raid

pytest.importorskip("textual")

NW = "northwind-service-desk"


@run_async
async def test_raid_tab_adds_and_closes_entries(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.screen.show_tab("raid")
        await settle(pilot)
        pane = app.screen.query_one("#pane-raid")
        assert {"R-7", "DEC-1"} <= set(pane.rows)
        assert "R-07" in pane.rows["DEC-1"].title
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert form.id == "add-raid"
        form.query_one("#f-kind").value = "risk"
        form.query_one("#f-title").value = "[bold]Markup stays text[/bold]"
        form.query_one("#f-probability").value = "5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "both" in str(form.query_one("#e-impact").render())
        form.query_one("#f-impact").value = "4"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
        assert pane.rows["R-8"].score == 20
        pane.table.move_cursor(row=pane.table.get_row_index("R-8"))
        await pilot.press("x")
        await settle(pilot)
        app.screen.query_one("#f-resolution").value = "Accepted by the sponsor"
        await pilot.press("ctrl+s")
        await settle(pilot)
    engine = db.get_engine(app.backend.url)
    with db.session_scope(engine, actor="tester", write=False) as s:
        (closed,) = [i for i in raid.items(s, NW, kind="risk") if i.ref == "R-8"]
    assert closed.status == "closed" and closed.title == "[bold]Markup stays text[/bold]"


@run_async
async def test_the_systems_tab_shows_dependencies_and_linked_risks(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        app.screen.show_tab("systems")
        await settle(pilot)
        note = str(app.screen.query_one("#systems-note").render())
    assert "Active Directory · used by" in note
    assert "R-7 (15) Open AD admin justification" in note
    assert "SAP ERP · depends on Active Directory (auth)" in note
