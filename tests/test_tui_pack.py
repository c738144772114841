"""The palette's "Write hand-back pack…": a form for the folder, the pack written, a
notice; a refused target shown beside the field."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, run_async, settle

from transition.services import pack

pytest.importorskip("textual")

NW = "northwind-service-desk"


async def submitted(pilot) -> None:
    """Let the form's worker finish: it dismisses the form from its thread, and the
    form's screen going away may mark the finished worker cancelled."""
    from textual.worker import WorkerCancelled

    try:
        await settle(pilot)
    except WorkerCancelled:
        await settle(pilot)


@run_async
async def test_write_pack_from_the_palette_command(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    target = tmp_path / "exit-pack"
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        app.screen.show_tab("handover")
        await settle(pilot)
        labels = [b.description for b in app.screen.query_one("#pane-handover").BINDINGS]
        assert "Write hand-back pack…" in labels
        await pilot.press("W")
        await settle(pilot)
        form = app.screen
        assert form.id == "handover-pack"
        form.query_one("#f-target").value = str(target)
        await pilot.press("ctrl+s")
        await submitted(pilot)
        assert app.screen is not form
        notes = [n.message for n in app._notifications]
        assert any(f"hand-back pack written to {target}" in n for n in notes), notes
        assert pack.verify_pack(target).engagement == NW
        await pilot.press("W")
        await settle(pilot)
        form = app.screen
        form.query_one("#f-target").value = str(target)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "use --force" in str(form.query_one("#e-target").render())
