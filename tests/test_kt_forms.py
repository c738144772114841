"""The KT forms pass what the user typed to the services; what they refuse is shown beside
the field it is about, and nothing is written."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, first_choice, run_async, settle

pytest.importorskip("textual")

NW = "northwind-service-desk"


def _count(app) -> int:
    from sqlalchemy import func, select

    from transition.models import KTSession

    with app.backend.session() as s:
        return s.execute(select(func.count()).select_from(KTSession)).scalar_one()


async def _schedule_form(pilot):
    app = pilot.app
    app.screen.show_tab("kt")
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)  # the systems' topics are read first
    form = app.screen
    assert form.id == "kt-schedule"
    form.query_one("#f-system").value = first_choice(form, "system")
    form.query_one("#f-topic").value = "Month-end close"
    form.query_one("#f-presenter").value = first_choice(form, "presenter")
    form.query_one("#f-at").value = "2026-12-03T10:00"
    return form


async def _save(pilot, form, field: str) -> str:
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert pilot.app.screen is form
    return str(form.query_one(f"#e-{field}").render())


@run_async
async def test_kt_schedule_errors_land_beside_their_field(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = _count(app)
        form = await _schedule_form(pilot)
        form.query_one("#f-at").value = "next tuesday"
        assert "invalid start time" in await _save(pilot, form, "at")
        form.query_one("#f-at").value = "2026-12-03T10:00"
        form.query_one("#f-minutes").value = "2"
        assert "between 5 and 1440" in await _save(pilot, form, "minutes")
        assert not str(form.query_one("#e-at").render())
        form.query_one("#f-minutes").value = ""  # the service's default (60) stands
        form.query_one("#f-attendees").value = "Nobody Known"
        assert "unknown person" in await _save(pilot, form, "attendees")
        assert _count(app) == before
        form.query_one("#f-attendees").value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"
        assert _count(app) == before + 1


@run_async
async def test_kt_signoff_by_a_presenter_lands_beside_signed_by(tmp_path, monkeypatch):
    from transition.services import kt
    from transition.tui.forms.kt import kt_signoff_form

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        held = next(s for s in app.backend.read(kt.list_sessions, NW) if s.status == "held")
        choices = [(p, p) for p in held.presenters + held.attendees]
        form = kt_signoff_form(app.backend, NW, held, choices)
        app.push_screen(form)
        await settle(pilot)
        form.query_one("#f-by").value = held.presenters[0]
        message = await _save(pilot, form, "by")
        assert "only an attendee signs off" in message
