"""The People tab's release readiness: the readiness column, ``d`` the readiness dialog,
``r`` release (a reason needed while not ready) and ``m`` move to the provider side."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, run_async, settle

from transition import db
from transition.services import access, release

pytest.importorskip("textual")

NW = "northwind-service-desk"


def errors(form) -> dict[str, str]:
    from textual.widgets import Label

    shown = {}
    for label in form.query(Label).filter(".error"):
        text = str(label.render()).strip()
        if text:
            shown[label.id.removeprefix("e-")] = text
    return shown


async def save(pilot, form, **values: str) -> None:
    for name, text in values.items():
        form.query_one(f"#f-{name}").value = text
    await pilot.pause()
    await pilot.press("ctrl+s")
    await settle(pilot)


def backend_read(app, fn, *args, **kwargs):
    with db.session_scope(app.backend.engine, actor="tester", write=False) as s:
        return fn(s, *args, **kwargs)


async def highlight(pilot, pane, slug: str) -> None:
    pane.table.move_cursor(row=pane.table.get_row_index(slug))
    await pilot.pause()
    assert pane.current().slug == slug


@run_async
async def test_people_tab_readiness_release_and_move(tmp_path, monkeypatch):
    from transition.tui.screens.readiness import ReadinessScreen

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        app.screen.show_tab("people")
        await settle(pilot)
        pane = app.screen.query_one("#pane-people")
        sofia = pane.rows["sofia-novak"]
        assert sofia.readiness.startswith("not ready")
        assert pane.rows["olivia-grant"].readiness == ""

        await highlight(pilot, pane, "sofia-novak")
        await pilot.press("d")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ReadinessScreen)
        lines = [str(s.render()) for s in dialog.query(".reason")]
        assert any("KT not signed off for SAP ERP" in line for line in lines)
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("r")
        await settle(pilot)
        form = app.screen
        assert form.id == "release-person"
        await save(pilot, form)
        assert app.screen is form
        assert "not ready to be released" in errors(form)["override"]
        await save(pilot, form, override="Leaves early; SAP Basis KT recorded")
        await settle(pilot)
        assert app.screen is not form
        assert pane.rows["sofia-novak"].readiness.startswith("released")
        (state,) = backend_read(app, release.readiness, NW, "Sofia Novak")
        assert state.release_override == "Leaves early; SAP Basis KT recorded"

        await highlight(pilot, pane, "tom-becker")
        await pilot.press("m")
        await settle(pilot)
        form = app.screen
        assert form.id == "move-person"
        await save(pilot, form, role="Messaging engineer")
        await settle(pilot)
        tom = pane.rows["tom-becker"]
        assert (tom.side, tom.moved_from, tom.role) == (
            "provider",
            "incumbent",
            "Messaging engineer",
        )
        assert tom.release_date is None
        grants = backend_read(app, access.list_grants, NW, active=True)
        assert all(g.side == "provider" for g in grants if g.person == "Tom Becker")
