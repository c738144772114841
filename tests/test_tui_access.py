"""The Access tab's forms place what the service refuses beside the field it is about."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, first_choice, run_async, settle

pytest.importorskip("textual")

NW = "northwind-service-desk"


def errors(form) -> dict[str, str]:
    """The form's error labels that show something, by field name (``form``: the foot)."""
    from textual.widgets import Label

    shown = {}
    for label in form.query(Label).filter(".error"):
        text = str(label.render()).strip()
        if text:
            shown[label.id.removeprefix("e-")] = text
    return shown


async def open_grant_form(pilot):
    app = pilot.app
    await settle(pilot)
    app.screen.show_tab("access")
    await settle(pilot)
    pane = app.screen.query_one("#pane-access")
    await pilot.press("n")
    await pilot.pause()
    assert app.screen.id == "grant"
    return pane, app.screen


async def refused(pilot, form, **values: str) -> dict[str, str]:
    """Fill ``form`` with ``values`` and save: the form stays open; its errors."""
    for name, value in values.items():
        form.query_one(f"#f-{name}").value = value
    await pilot.pause()
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert pilot.app.screen is form
    return errors(form)


@run_async
async def test_a_duplicate_grant_is_shown_beside_the_role(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(110, 40)) as pilot:
        pane, form = await open_grant_form(pilot)
        held = next(g for g in pane.rows.values() if g.revoked_at is None)
        shown = await refused(pilot, form, person=held.person, system=held.system, role=held.role)
        assert list(shown) == ["role"], shown
        assert "already holds" in shown["role"]


@run_async
async def test_a_bad_expiry_is_shown_beside_the_expiry(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(110, 40)) as pilot:
        _, form = await open_grant_form(pilot)
        person = first_choice(form, "person")
        system = first_choice(form, "system")
        shown = await refused(
            pilot, form, person=person, system=system, role="read-only", expires="someday+3d"
        )
        assert list(shown) == ["expires"], shown
        assert "invalid expiry" in shown["expires"]


@run_async
async def test_a_reason_the_service_refuses_is_shown_beside_the_reason(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(110, 40)) as pilot:
        pane, form = await open_grant_form(pilot)
        await pilot.press("escape")
        await pilot.pause()
        held = next(g for g in pane.rows.values() if g.revoked_at is None)
        pane.table.move_cursor(row=pane.table.get_row_index(str(held.id)))
        await pilot.press("x")
        await pilot.pause()
        form = app.screen
        assert form.id == "revoke"
        shown = await refused(pilot, form, reason="password=hunter22")
        assert list(shown) == ["reason"], shown
        assert "looks like it contains a password" in shown["reason"]


@run_async
async def test_a_grant_recorded_already_expired_warns_as_the_cli_does(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(110, 40)) as pilot:
        pane, form = await open_grant_form(pilot)
        form.query_one("#f-person").value = "Lena Fischer"
        form.query_one("#f-system").value = "SAP ERP"
        form.query_one("#f-role").value = "auditor"
        form.query_one("#f-expires").value = "2026-11-01"  # before today, 2026-11-20
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
        warned = [n.message for n in app._notifications if n.severity == "warning"]
        assert len(warned) == 1, warned
        assert "expired on 2026-11-01 already" in warned[0]
