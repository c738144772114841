"""The Go-live tab: exercises and decisions listed, the forms that record them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tui_snapshot_app import demo_app, first_choice, run_async, settle

from transition import db
from transition.models import Exercise, ExerciseFinding, GoLiveDecision

pytest.importorskip("textual")

WT = "wingtip-payroll"


def session(app):
    return db.session_scope(db.get_engine(app.backend.url), actor="tester", write=False)


@run_async
async def test_golive_tab_lists_and_records(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, WT)
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot)
        app.screen.show_tab("golive")
        await settle(pilot)
        pane = app.screen.query_one("#pane-golive")
        kinds = [r.kind for r in pane.rows.values()]
        assert kinds.count("exercise") == 3 and kinds.count("decision") == 1
        decision = pane.rows["decision-1"]
        assert decision.what.startswith("GO") and "Grace Liu (client)" in decision.who

        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert form.id == "exercise"
        form.query_one("#f-scenario").value = "Payroll bureau outage"
        form.query_one("#f-on").value = "2026-11-19"
        form.query_one("#f-participants").value = "Grace Liu, Aiko Tanaka"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"
        with session(app) as s:
            keys = set(s.execute(select(Exercise.key)).scalars())
        assert "payroll-bureau-outage" in keys

        table = pane.table
        table.move_cursor(row=table.get_row_index("exercise-5"))
        await pilot.press("f")
        await settle(pilot)
        form = app.screen
        assert form.id == "exercise-finding"
        form.query_one("#f-title").value = "No fallback bureau contract"
        await pilot.press("ctrl+s")
        await settle(pilot)
        with session(app) as s:
            assert s.execute(select(ExerciseFinding.exercise_id)).scalars().all().count(5) == 1

        await pilot.press("d")
        await settle(pilot)
        form = app.screen
        assert form.id == "golive"
        form.query_one("#f-decision").value = "no-go"
        form.query_one("#f-client").value = first_choice(form, "client")
        form.query_one("#f-provider").value = first_choice(form, "provider")
        form.query_one("#f-conditions").value = "bureau contract signed; <b>literal</b>"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"
        with session(app) as s:
            rows = s.execute(select(GoLiveDecision).order_by(GoLiveDecision.id)).scalars().all()
        assert [r.go for r in rows] == [True, False]
        assert "<b>literal</b>" in rows[-1].conditions_json
        assert pane.rows["decision-2"].what.startswith("NO-GO")
