"""The TUI's exit: the Handover tab's Due column and readiness figure, and "Start exit of
this engagement…" (``X``, also in the palette) starting an exit engagement."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, run_async, settle

from transition import db
from transition.services import engagements
from transition.services.common import get_engagement

pytest.importorskip("textual")

NW = "northwind-service-desk"


@run_async
async def test_due_dates_show_and_the_exit_starts_from_the_engagement(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    engine = db.get_engine(app.backend.url)
    with db.session_scope(engine, actor="tester", write=True) as s:
        engagements.update(s, NW, notice="2026-10-01", exit="2027-03-31")
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(pilot)
        app.screen.show_tab("handover")
        await settle(pilot)
        pane = app.screen.query_one("#pane-handover")
        row = pane.rows["assistance-terms"]
        assert (str(row.due_date), row.overdue) == ("2026-10-15", True)
        assert "due items done" in str(pane.query_one("#handover-note").render())
        await pilot.press("X")
        await settle(pilot)
        form = app.screen
        assert form.id == "start-exit"
        assert form.query_one("#f-name").value.endswith(" exit")
        form.query_one("#f-provider").value = "Kord Industries"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
        notes = [n.message for n in app._notifications]
        assert any("the exit of northwind-service-desk" in n for n in notes), notes
    with db.session_scope(engine, actor="tester", write=False) as s:
        source = get_engagement(s, NW)
        detail = engagements.detail(s, source)
        assert detail.exit_engagement is not None
        exit_row = get_engagement(s, detail.exit_engagement)
        assert (exit_row.exit_of_id, exit_row.provider) == (source.id, "Kord Industries")
