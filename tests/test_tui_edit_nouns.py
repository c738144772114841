"""Editing in the TUI: the engagement form (``E``), archive (once confirmed) and unarchive
from the dashboard (``A``, ``H``), the People tab (``n`` add, ``e`` edit, ``x`` remove) and the
system form (``e``). Forms are prefilled; a stale form is refused naming who changed the
row; errors show under their field."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, run_async, settle

from transition import db
from transition.services import engagements, people, systems

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


def value(form, name: str) -> str:
    return form.query_one(f"#f-{name}").value


async def save(pilot, form, **values: str) -> None:
    for name, text in values.items():
        form.query_one(f"#f-{name}").value = text
    await pilot.pause()
    await pilot.press("ctrl+s")
    await settle(pilot)


def backend_write(app, fn, *args, actor: str = "alice", **kwargs):
    with db.session_scope(app.backend.engine, actor=actor, write=True) as s:
        return fn(s, *args, **kwargs)


def backend_read(app, fn, *args, **kwargs):
    with db.session_scope(app.backend.engine, actor="tester", write=False) as s:
        return fn(s, *args, **kwargs)


@run_async
async def test_the_engagement_form_is_prefilled_saves_and_refuses_a_stale_read(
    tmp_path, monkeypatch
):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = backend_read(app, engagements.settings, NW)
        await pilot.press("E")
        await settle(pilot)
        form = app.screen
        assert form.id == "edit-engagement"
        assert value(form, "name") == before.name
        assert value(form, "client") == before.client
        assert value(form, "workweek") == "mon,tue,wed,thu,fri"
        await save(pilot, form, timezone="Mars/Base")
        assert app.screen is form
        assert "unknown time zone" in errors(form)["timezone"]
        await save(pilot, form, timezone="Europe/Berlin", client="Northwind Group")
        assert app.screen is not form
        after = backend_read(app, engagements.settings, NW)
        assert (after.client, after.timezone) == ("Northwind Group", "Europe/Berlin")

        # Someone else changes it while the form is open: saving is refused, naming them.
        await pilot.press("E")
        await settle(pilot)
        form = app.screen
        backend_write(app, engagements.update, NW, incumbent="Other Co")
        await save(pilot, form, provider="Mine")
        assert app.screen is form
        assert "alice" in errors(form)["form"]
        assert backend_read(app, engagements.settings, NW).provider != "Mine"


@run_async
async def test_archive_and_unarchive_from_the_dashboard(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch)
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        first = screen.current()
        assert first is not None
        await pilot.press("A")  # asks first: escape keeps it as it was
        await settle(pilot)
        assert app.screen.id == "archive" and first.name in app.screen.title_text
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and first.slug in screen.rows
        assert backend_read(app, engagements.settings, first.slug).archived_at is None
        await pilot.press("A")
        await settle(pilot)
        await pilot.press("enter")  # yes
        await settle(pilot)
        assert app.screen is screen
        assert first.slug not in screen.rows
        assert backend_read(app, engagements.settings, first.slug).archived_at is not None
        await pilot.press("H")
        await settle(pilot)
        assert list(screen.rows) == [first.slug]
        await pilot.press("A")  # unarchiving takes back nothing: no question asked
        await settle(pilot)
        assert app.screen is screen
        assert screen.rows == {}
        assert backend_read(app, engagements.settings, first.slug).archived_at is None
        await pilot.press("H")
        await settle(pilot)
        assert first.slug in screen.rows


@run_async
async def test_the_people_tab_adds_edits_and_removes(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        app.screen.show_tab("people")
        await settle(pilot)
        pane = app.screen.query_one("#pane-people")
        assert pane.rows, "the demo has people"
        shown = len(pane.rows)

        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert form.id == "add-person"
        await save(pilot, form, name="Zoe [Temp]", side="client", role="auditor")
        await settle(pilot)
        assert "zoe-temp" in pane.rows and len(pane.rows) == shown + 1

        pane.table.move_cursor(row=pane.table.get_row_index("zoe-temp"))
        await pilot.pause()
        assert pane.current().slug == "zoe-temp"
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert form.id == "edit-person"
        assert (value(form, "name"), value(form, "role")) == ("Zoe [Temp]", "auditor")
        await save(pilot, form, release="2027-02-30")
        assert "release date" in errors(form)["release"]
        await save(pilot, form, release="2027-02-26", timezone="Asia/Kolkata", role="")
        await settle(pilot)
        zoe = pane.rows["zoe-temp"]
        assert (str(zoe.release_date), zoe.timezone, zoe.role) == (
            "2027-02-26",
            "Asia/Kolkata",
            None,
        )

        pane.table.move_cursor(row=pane.table.get_row_index("zoe-temp"))
        await pilot.pause()
        await pilot.press("x")
        await settle(pilot)
        assert "zoe-temp" not in pane.rows
        names = [p.slug for p in backend_read(app, people.list_people, NW)]
        assert "zoe-temp" not in names


@run_async
async def test_removing_someone_who_holds_access_is_refused_with_a_notification(
    tmp_path, monkeypatch
):
    from transition.services import access

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        holder = next(
            g.person for g in backend_read(app, access.list_grants, NW) if g.revoked_at is None
        )
        app.screen.show_tab("people")
        await settle(pilot)
        pane = app.screen.query_one("#pane-people")
        slug = next(p.slug for p in pane.rows.values() if p.name == holder)
        pane.table.move_cursor(row=pane.table.get_row_index(slug))
        await pilot.pause()
        notes = []
        monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append(message))
        await pilot.press("x")
        await settle(pilot)
        assert slug in pane.rows
        assert any("active grant" in n for n in notes), notes


@run_async
async def test_the_system_form_is_prefilled_and_renames(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        app.screen.show_tab("systems")
        await settle(pilot)
        pane = app.screen.query_one("#pane-systems")
        row = pane.current()
        assert row is not None
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert form.id == "edit-system"
        assert (value(form, "name"), value(form, "tier")) == (row.name, str(row.tier))
        await save(pilot, form, name=row.name + " Cloud", tier="3")
        await settle(pilot)
        assert app.screen is not form
        renamed = backend_read(app, systems.details, NW, row.name + " Cloud")
        assert renamed.tier == 3
