"""The engagement screen: slip per phase on the stepper, and the Replan form (``R``)."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, run_async, settle

pytest.importorskip("textual")

NW = "northwind-service-desk"


def _errors(form) -> dict[str, str]:
    from textual.widgets import Label

    shown = {}
    for label in form.query(Label).filter(".error"):
        text = str(label.render()).strip()
        if text:
            shown[label.id.removeprefix("e-")] = text
    return shown


def _steps(app) -> list[str]:
    from transition.tui.widgets.stepper import PhaseStepper

    return app.screen.query_one(PhaseStepper).steps


async def _open_form(pilot):
    await settle(pilot)
    await pilot.press("R")
    await pilot.pause()
    form = pilot.app.screen
    assert form.id == "replan"
    return form


@run_async
async def test_the_stepper_shows_slip_and_the_replan_form_moves_a_phase(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(130, 40)) as pilot:
        await settle(pilot)
        steps = _steps(app)
        # The story left discovery a day late and access setup two days after its baseline.
        assert steps[:3] == ["✓ discovery +1d", "✓ access-setup +2d", "▶ ramp-up +2d"]
        form = await _open_form(pilot)
        phase = next(f for f in form.fields if f.name == "phase")
        assert [value for _, value in phase.options] == ["parallel-run", "cutover", "hypercare"]
        start = form.query_one("#f-start").value
        assert start  # prefilled with the phase's planned start
        form.query_one("#f-phase").value = "cutover"
        form.query_one("#f-start").value = "2027-06-07"
        form.query_one("#f-reason").value = "Client change freeze"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
        assert any(s.startswith("· cutover +") for s in _steps(app)), _steps(app)


@run_async
async def test_an_overlapping_start_is_shown_beside_the_start(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(130, 40)) as pilot:
        form = await _open_form(pilot)
        form.query_one("#f-phase").value = "parallel-run"
        form.query_one("#f-start").value = "2020-01-06"
        form.query_one("#f-reason").value = "too early"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        shown = _errors(form)
        assert list(shown) == ["start"], shown
        assert "phases do not overlap" in shown["start"]


@run_async
async def test_a_stale_replan_form_is_refused_naming_who_changed_the_phase(tmp_path, monkeypatch):
    from transition.services import plan

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(130, 40)) as pilot:
        form = await _open_form(pilot)
        form.query_one("#f-phase").value = "cutover"
        app.backend.write(plan.replan, NW, "cutover", "2027-08-02", "moved elsewhere")
        form.query_one("#f-start").value = "2027-09-06"
        form.query_one("#f-reason").value = "mine"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        shown = _errors(form)
        assert "was changed by tester" in " ".join(shown.values()), shown
