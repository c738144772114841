"""The Scorecard tab: a sparkline per KPI and party beside its target, and the form that
records a value (the service names the field a refusal is about)."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, run_async, settle

pytest.importorskip("textual")

NW = "northwind-service-desk"


@run_async
async def test_sparklines_per_kpi_and_party_then_record_a_value(tmp_path, monkeypatch):
    from textual.widgets import Sparkline

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.show_tab("scorecard")
        await settle(pilot)
        pane = app.screen.query_one("#pane-scorecard")
        assert list(pane.rows) == ["p1-resolution", "first-contact", "backlog-age"]
        spark = pane.query_one("#spark-p1-resolution-provider", Sparkline)
        assert len(spark.data) == 6
        assert len(pane.query(Sparkline)) == 6
        await pilot.press("r")
        await settle(pilot)
        form = app.screen
        assert form.id == "score"
        form.query_one("#f-party").value = "provider"
        form.query_one("#f-period").value = "2025-W53"
        form.query_one("#f-value").value = "97.5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "2025 has weeks 1 to 52" in str(form.query_one("#e-period").render())
        form.query_one("#f-period").value = "2026-W48"  # next week: it has not begun
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        said = str(form.query_one("#e-period").render())
        assert "after the current week, 2026-W47" in said, said
        form.query_one("#f-period").value = "2026-W47"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
        spark = pane.query_one("#spark-p1-resolution-provider", Sparkline)
        assert list(spark.data)[-1] == 97.5
