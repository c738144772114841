"""The KT tab's reschedule (r), cancel (c) and edit (e) forms: prefilled from the row, in
the engagement's time zone, refused beside their field, and refused when stale."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, run_async, settle

pytest.importorskip("textual")

NW = "northwind-service-desk"


async def _kt_pane(pilot):
    app = pilot.app
    await settle(pilot)
    app.screen.show_tab("kt")
    await settle(pilot)
    return app.screen.query_one("#pane-kt")


def _planned(pane):
    return next(s for s in pane.rows.values() if s.status == "planned")


async def _open(pilot, pane, row, key: str):
    pane.table.move_cursor(row=pane.table.get_row_index(str(row.id)))
    await pilot.press(key)
    await settle(pilot)  # the edit form reads the system's topics first
    return pilot.app.screen


def _read(app, sid: int):
    from transition.services import kt

    return next(s for s in app.backend.read(kt.list_sessions, NW) if s.id == sid)


def _set_zone(app, zone: str) -> None:
    from transition.services.common import get_engagement

    with app.backend.session() as s:
        eng = get_engagement(s, NW)
        eng.timezone = zone
        s.add(eng)
        s.commit()


@run_async
async def test_reschedule_form_is_prefilled_in_the_engagements_zone(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    _set_zone(app, "Europe/Berlin")
    async with app.run_test(size=(140, 40)) as pilot:
        pane = await _kt_pane(pilot)
        heading = [str(c.label) for c in pane.table.columns.values()]
        assert "When (Europe/Berlin)" in heading
        row = _planned(pane)
        form = await _open(pilot, pane, row, "r")
        assert form.id == "kt-reschedule"
        from transition.services.kt_times import form_value

        assert form.query_one("#f-at").value == form_value(row.starts_at, "Europe/Berlin")
        form.query_one("#f-at").value = "soon"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "invalid start time" in str(form.query_one("#e-at").render())
        form.query_one("#f-at").value = "2026-12-10T09:00"  # CET: 08:00 UTC
        form.query_one("#f-minutes").value = "45"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"
        moved = _read(app, row.id)
        assert moved.starts_at.isoformat() == "2026-12-10T08:00:00+00:00" and moved.minutes == 45


@run_async
async def test_a_stale_reschedule_is_refused_naming_who(tmp_path, monkeypatch):
    from transition.services import kt_edit

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(140, 40)) as pilot:
        pane = await _kt_pane(pilot)
        row = _planned(pane)
        form = await _open(pilot, pane, row, "r")
        app.backend.write(kt_edit.update, NW, row.id, topic="Changed elsewhere")
        form.query_one("#f-at").value = "2026-12-10T09:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "was changed by" in str(form.query_one("#e-form").render())
        assert _read(app, row.id).starts_at == row.starts_at


@run_async
async def test_cancel_shows_the_session_as_cancelled(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(160, 40)) as pilot:
        pane = await _kt_pane(pilot)
        row = _planned(pane)
        form = await _open(pilot, pane, row, "c")
        assert form.id == "kt-cancel"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "reason is required" in str(form.query_one("#e-reason").render())
        form.query_one("#f-reason").value = "[b]vendor[/b] postponed"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _read(app, row.id).status == "cancelled"
        cells = [str(c) for c in pane.table.get_row(str(row.id))]
        assert "cancelled" in cells
        assert any("(cancelled: [b]vendor[/b] postponed)" in c for c in cells)  # literal
        # A cancelled session changes no more: no form opens.
        again = await _open(pilot, pane, _read(app, row.id), "r")
        assert type(again).__name__ == "EngagementScreen"


@run_async
async def test_edit_changes_topic_and_attendees(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(140, 40)) as pilot:
        pane = await _kt_pane(pilot)
        row = _planned(pane)
        form = await _open(pilot, pane, row, "e")
        assert form.id == "kt-edit"
        assert form.query_one("#f-topic").value == row.topic
        assert form.query_one("#f-attendees").value == ", ".join(row.attendees)
        form.query_one("#f-attendees").value = "Nobody Known"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "unknown person" in str(form.query_one("#e-attendees").render())
        form.query_one("#f-topic").value = "Runbook walk-through"
        form.query_one("#f-attendees").value = ", ".join(row.attendees[1:])
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"
        changed = _read(app, row.id)
        assert changed.topic == "Runbook walk-through"
        assert changed.attendees == row.attendees[1:]
