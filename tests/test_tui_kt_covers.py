"""The KT forms say which of the system's topics a session covers: scheduling offers the
chosen system's topics, editing shows the ones covered ticked and replaces them; a held
session changes only what it covers."""

from __future__ import annotations

import pytest
from textual.widgets import SelectionList
from tui_snapshot_app import demo_app, run_async, settle

pytest.importorskip("textual")

NW = "northwind-service-desk"


def _sessions(app):
    from transition.services import kt

    return {s.id: s for s in app.backend.read(kt.list_sessions, NW)}


def _topics(app, system: str) -> list[str]:
    from transition.services.system_people import topics_for

    return [t.title for t in app.backend.read(topics_for, NW) if t.system == system]


async def _kt_pane(pilot):
    await settle(pilot)
    pilot.app.screen.show_tab("kt")
    await settle(pilot)
    return pilot.app.screen.query_one("#pane-kt")


def _options(form) -> list[str]:
    widget = form.query_one("#f-covers", SelectionList)
    return [str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count)]


@run_async
async def test_schedule_offers_the_chosen_systems_topics(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(140, 50)) as pilot:
        await _kt_pane(pilot)
        before = set(_sessions(app))
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert form.id == "kt-schedule" and _options(form) == []
        system = next(f for f in form.fields if f.name == "system").options[0][1]
        form.query_one("#f-system").value = system
        await settle(pilot)
        topics = _topics(app, system)
        assert topics and _options(form) == topics
        covers = form.query_one("#f-covers", SelectionList)
        covers.select(topics[-1])
        form.query_one("#f-topic").value = "Tour of the estate"
        presenter = next(f for f in form.fields if f.name == "presenter").options[0][1]
        form.query_one("#f-presenter").value = presenter
        form.query_one("#f-at").value = "2026-12-03T10:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"
        (new,) = [s for sid, s in _sessions(app).items() if sid not in before]
        assert new.covers == [topics[-1]]


@run_async
async def test_edit_replaces_what_a_session_covers_also_once_held(tmp_path, monkeypatch):
    from transition.services import kt

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(140, 50)) as pilot:
        pane = await _kt_pane(pilot)
        row = next(s for s in pane.rows.values() if s.status == "planned")
        app.backend.write(kt.hold, NW, row.id)
        row = _sessions(app)[row.id]
        assert row.status == "held"
        topics = _topics(app, row.system)
        pane.changed("held")  # reloads the tab
        await settle(pilot)
        pane.table.move_cursor(row=pane.table.get_row_index(str(row.id)))
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert form.id == "kt-edit"
        assert [f.name for f in form.fields] == ["covers"]  # held: only what it covers
        covers = form.query_one("#f-covers", SelectionList)
        assert set(covers.selected) == set(row.covers)
        for title in topics[:2]:
            covers.select(title)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"
        assert set(_sessions(app)[row.id].covers) == set(row.covers) | set(topics[:2])
