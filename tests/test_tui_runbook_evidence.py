"""The Runbooks tab shows each runbook's owner, review date and exercises; forms record an
exercise and sign an acceptance, with the service's refusal shown beside the field."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, run_async, settle

pytest.importorskip("textual")

NW = "northwind-service-desk"


@run_async
async def test_exercise_and_sign_from_the_runbooks_tab(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(140, 36)) as pilot:
        await settle(pilot)
        app.screen.show_tab("runbooks")
        await settle(pilot)
        pane = app.screen.query_one("#pane-runbooks")
        key, row = next((k, r) for k, r in pane.rows.items() if r.status == "validated")
        assert row.owner == "Lena Fischer" and row.exercises == 1
        cells = [str(c) for c in pane.table.get_row(key)]
        assert "Lena Fischer" in cells and any("1/1 passed" in c for c in cells)
        pane.table.move_cursor(row=pane.table.get_row_index(key))

        await pilot.press("X")
        await settle(pilot)
        form = app.screen
        assert form.id == "runbook-exercise"
        form.query_one("#f-on").value = "2099-01-01"
        form.query_one("#f-by").value = "Lena Fischer"
        form.query_one("#f-outcome").value = "fail"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and "in the future" in str(form.query_one("#e-on").render())
        form.query_one("#f-on").value = "2020-01-01"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
        await settle(pilot)
        assert pane.rows[key].exercises == 2

        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert form.id == "runbook-sign"
        form.query_one("#f-by").value = "Lena Fischer"  # its owner
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "its author cannot accept it" in str(form.query_one("#e-by").render())
        form.query_one("#f-by").value = "Daniel Okafor"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
        await settle(pilot)
        assert pane.rows[key].status == "accepted"
        assert pane.rows[key].accepted_by == "Daniel Okafor"
