"""The Systems tab's owners (``o``) and topics (``t``) forms, and the KT tab's coverage
by topic (``v``)."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, run_async, settle

from transition import db
from transition.services import system_people

pytest.importorskip("textual")

NW = "northwind-service-desk"


def backend_read(app, fn, *args, **kwargs):
    with db.session_scope(app.backend.engine, actor="tester", write=False) as s:
        return fn(s, *args, **kwargs)


async def save(pilot, form, **values: str) -> None:
    for name, text in values.items():
        form.query_one(f"#f-{name}").value = text
    await pilot.pause()
    await pilot.press("ctrl+s")
    await settle(pilot)


@run_async
async def test_owners_and_topics_forms_and_the_coverage_dialog(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        app.screen.show_tab("systems")
        await settle(pilot)
        pane = app.screen.query_one("#pane-systems")
        row = pane.current()
        assert row is not None and row.topics > 0
        await pilot.press("o")
        await settle(pilot)
        form = app.screen
        assert form.id == "system-owners"
        await save(pilot, form, person="Raj Patel", role="sme", action="add")
        assert app.screen is not form
        held = backend_read(app, system_people.holders, NW)
        assert (row.name, "Raj Patel", "sme") in [(h.system, h.person, h.role) for h in held]
        await settle(pilot)
        assert "Raj Patel (sme)" in pane.rows[row.slug].owners
        # The same again is refused in the form, which stays open.
        await pilot.press("o")
        await settle(pilot)
        form = app.screen
        await save(pilot, form, person="Raj Patel", role="sme", action="add")
        assert app.screen is form
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("t")
        await settle(pilot)
        form = app.screen
        assert form.id == "system-topics"
        await save(pilot, form, title="Password resets", action="add")
        assert app.screen is not form
        topics = backend_read(app, system_people.topics_for, NW)
        assert "Password resets" in [t.title for t in topics if t.system == row.name]
        await settle(pilot)
        assert pane.rows[row.slug].topics == row.topics + 1

        app.screen.show_tab("kt")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        dialog = app.screen
        assert dialog.__class__.__name__ == "CoverageScreen"
        from textual.widgets import Static

        lines = [str(s.render()) for s in dialog.query(Static).filter(".reason")]
        assert any("Password resets" in text and "Raj Patel" in text for text in lines)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not dialog
