"""An archived engagement is read-only: what would change it says so as soon as it is
asked for (no form opens to be refused on saving), naming how to bring it back; reading
it still works. Archiving from the dashboard asks first; unarchiving is one key."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, run_async, settle

from transition.services import engagements
from transition.services.views import TaskView

pytest.importorskip("textual")

NW = "northwind-service-desk"
SAID = (
    f"engagement {NW} is archived: it is read-only until it is unarchived (on the "
    "dashboard, H lists the archived engagements and A unarchives the highlighted one)"
)


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


@run_async
async def test_changes_to_an_archived_engagement_are_refused_before_any_form(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    app.backend.write(engagements.archive, NW)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = app.screen
        for key in ("S", "P", "E", "R"):  # the engagement's own forms
            before = len(notes(app))
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is screen, key
            assert notes(app)[before:] == [SAID], key
        pane = screen.query_one("#pane-tasks")
        key, task = next((k, r) for k, r in pane.rows.items() if isinstance(r, TaskView))
        pane.table.move_cursor(row=pane.table.get_row_index(key))
        for press in ("space", "e", "n"):  # a change made at once, and the tab's forms
            await pilot.press(press)
            await settle(pilot)
            assert app.screen is screen and notes(app)[-1] == SAID, press
        assert pane.rows[key].status == task.status
        screen.show_tab("systems")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen and notes(app)[-1] == SAID
        # Reading still works: the next 14 days open.
        await pilot.press("w")
        await settle(pilot)
        assert type(app.screen).__name__ == "UpcomingScreen"


@run_async
async def test_the_same_keys_open_their_forms_once_unarchived(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    app.backend.write(engagements.archive, NW)
    app.backend.write(engagements.unarchive, NW)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        assert app.screen.id == "add-system"
        assert SAID not in notes(app)
