"""The Runbooks tab: the service decides the next status and names the field an error is
about; the pane and the form copy neither."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, first_choice, run_async, settle

from transition import db
from transition.models import Runbook

pytest.importorskip("textual")

NW = "northwind-service-desk"


def session(app):
    return db.session_scope(db.get_engine(app.backend.url), actor="tester", write=False)


@run_async
async def test_a_refused_folder_is_shown_beside_the_folder_field(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    (tmp_path / "a-file").write_text("not a folder")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        app.screen.show_tab("runbooks")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert form.id == "runbook"
        form.query_one("#f-system").value = first_choice(form, "system")
        form.query_one("#f-template").value = "service-restart"
        form.query_one("#f-out_dir").value = str(tmp_path / "a-file")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "is not a folder" in str(form.query_one("#e-out_dir").render())


@run_async
async def test_an_accepted_runbook_has_no_next_status(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        app.screen.show_tab("runbooks")
        await settle(pilot)
        pane = app.screen.query_one("#pane-runbooks")
        key, row = next((k, r) for k, r in pane.rows.items() if r.status == "accepted")
        pane.table.move_cursor(row=pane.table.get_row_index(key))
        await pilot.press("enter")
        await settle(pilot)
        with session(app) as s:
            assert s.get(Runbook, row.id).version == row.version
        notes = [n.message for n in app._notifications]
        assert f"runbook {row.id} is already accepted" in notes
