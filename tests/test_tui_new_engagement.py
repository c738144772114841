"""The dashboard's new-engagement form: the service's defaults, its errors by field."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, run_async, settle

from transition import db
from transition.services import engagements

pytest.importorskip("textual")


async def open_form(pilot):
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)  # the playbook names are read in a worker, then the form opens
    form = pilot.app.screen
    assert form.id == "new-engagement"
    return form


@run_async
async def test_a_new_engagement_starts_with_the_service_defaults(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch)
    async with app.run_test(size=(100, 32)) as pilot:
        form = await open_form(pilot)
        assert form.query_one("#f-model").value == "managed-service"
        assert form.query_one("#f-location").value == "onshore"
        form.query_one("#f-name").value = "Contoso Desk"
        form.query_one("#f-playbook").value = "managed-service-onboarding"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"
        assert app.screen.slug == "contoso-desk"
    engine = db.get_engine(app.backend.url)
    with db.session_scope(engine, actor="tester", write=False) as s:
        row = engagements.detail(s, "contoso-desk")
    assert (row.model, row.location, row.playbook) == (
        "managed-service",
        "onshore",
        "managed-service-onboarding",
    )


@run_async
async def test_a_refused_name_is_shown_beside_the_name(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch)
    async with app.run_test(size=(100, 32)) as pilot:
        form = await open_form(pilot)
        form.query_one("#f-name").value = "Northwind Service Desk"  # exists in the demo
        form.query_one("#f-playbook").value = "managed-service-onboarding"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "already exists" in str(form.query_one("#e-name").render())
        assert str(form.query_one("#e-form").render()) == ""
