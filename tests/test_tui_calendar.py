"""The TUI and the engagement's calendar: the new-engagement form takes a calendar and a
time zone; the tasks pane flags a due date on a non-working day, literally."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, run_async, settle

from transition import db
from transition.services import engagements, tasks
from transition.services.views import TaskView

pytest.importorskip("textual")

NW = "northwind-service-desk"


async def open_form(pilot):
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    form = pilot.app.screen
    assert form.id == "new-engagement"
    return form


@run_async
async def test_the_new_engagement_form_takes_a_calendar_and_a_time_zone(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch)
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot)
        form.query_one("#f-name").value = "Contoso Desk"
        form.query_one("#f-playbook").value = "managed-service-onboarding"
        form.query_one("#f-start").value = "2026-12-19"
        form.query_one("#f-calendar").value = "gb-eng"
        form.query_one("#f-timezone").value = "Europe/London"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"
    engine = db.get_engine(app.backend.url)
    with db.session_scope(engine, actor="tester", write=False) as s:
        row = engagements.detail(s, "contoso-desk")
    assert (row.calendar, row.workweek, row.timezone) == ("GB-ENG", "mon-fri", "Europe/London")


@run_async
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("calendar", "XX", "unknown calendar"), ("timezone", "Mars/Base", "unknown time zone")],
)
async def test_a_bad_calendar_or_zone_is_shown_beside_its_field(
    tmp_path, monkeypatch, field, value, message
):
    app = demo_app(tmp_path, monkeypatch)
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot)
        form.query_one("#f-name").value = "Contoso Desk"
        form.query_one("#f-playbook").value = "managed-service-onboarding"
        form.query_one(f"#f-{field}").value = value
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert message in str(form.query_one(f"#e-{field}").render())
    engine = db.get_engine(app.backend.url)
    with db.session_scope(engine, actor="tester", write=False) as s:
        assert "contoso-desk" not in [e.slug for e in engagements.summaries(s)]


@run_async
async def test_the_tasks_pane_flags_a_due_date_on_a_non_working_day(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one("#pane-tasks")
        table = pane.table
        due = [c.key.value for c in table.columns.values()].index("due")
        rows = {k: r for k, r in pane.rows.items() if isinstance(r, TaskView)}
        flagged = [r for r in rows.values() if r.due_non_working]
        assert flagged and len(flagged) < len(rows)
        for key, row in rows.items():
            cell = table.get_row(key)[due]
            shown = cell if isinstance(cell, str) else cell.plain
            if row.due_non_working:
                assert f"({row.due_non_working})" in shown, shown
                assert shown.startswith(row.due_date.isoformat())
            else:
                assert "(" not in shown
    engine = db.get_engine(app.backend.url)
    with db.session_scope(engine, actor="tester", write=False) as s:
        listed = {t.key: t.due_non_working for t in tasks.list_tasks(s, NW)}
    assert {r.key: r.due_non_working for r in rows.values()} == {
        k: v for k, v in listed.items() if k in rows
    }
