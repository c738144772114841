"""The Runbooks tab: the service decides the next status and names the field an error is
about; the pane and the form copy neither."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_snapshot_app import demo_app, first_choice, run_async, settle

from transition import db
from transition.models import Runbook

pytest.importorskip("textual")

NW = "northwind-service-desk"


def session(app):
    return db.session_scope(db.get_engine(app.backend.url), actor="tester", write=False)


@run_async
async def test_a_refused_folder_is_shown_beside_the_folder_field(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    (tmp_path / "a-file").write_text("not a folder")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        app.screen.show_tab("runbooks")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert form.id == "runbook"
        form.query_one("#f-system").value = first_choice(form, "system")
        form.query_one("#f-template").value = "service-restart"
        form.query_one("#f-out_dir").value = str(tmp_path / "a-file")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "is not a folder" in str(form.query_one("#e-out_dir").render())


@run_async
async def test_an_accepted_runbook_has_no_next_status(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        app.screen.show_tab("runbooks")
        await settle(pilot)
        pane = app.screen.query_one("#pane-runbooks")
        key, row = next((k, r) for k, r in pane.rows.items() if r.status == "accepted")
        pane.table.move_cursor(row=pane.table.get_row_index(key))
        await pilot.press("p")
        await settle(pilot)
        with session(app) as s:
            assert s.get(Runbook, row.id).version == row.version
        notes = [n.message for n in app._notifications]
        assert f"runbook {row.id} is already accepted" in notes


@run_async
async def test_update_previews_then_merges_and_shows_conflicts(tmp_path, monkeypatch):
    from transition.resources import shipped

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.screen.show_tab("runbooks")
        await settle(pilot)
        pane = app.screen.query_one("#pane-runbooks")
        key, row = next((k, r) for k, r in pane.rows.items() if not r.file_missing)
        path = tmp_path / row.path if not row.path.startswith("/") else Path(row.path)
        # an improved template: one more section; the team edited the first line
        folder = tmp_path / "tpl"
        folder.mkdir()
        source = (shipped("runbook_templates") / f"{row.template}.md.j2").read_text()
        improved = source.rstrip("\n") + "\n\n## Lessons learned\n[[FILL: what we learned]]\n"
        improved = improved.replace("---\n", "---\nversion: 2\n", 1)
        (folder / f"{row.template}.md.j2").write_text(improved)
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(["# Our own title\n", *lines[1:]]))
        pane.table.move_cursor(row=pane.table.get_row_index(key))
        await pilot.press("U")
        await settle(pilot)
        form = app.screen
        assert form.id == "runbook-update"
        form.query_one("#f-template_dirs").value = str(folder)
        before = path.read_text()
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = str(form.query_one("#preview").render())
        assert "clean merge (+3 −0 lines)" in shown
        assert path.read_text() == before  # the preview wrote nothing
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
        text = path.read_text()
        assert text.startswith("# Our own title\n") and "## Lessons learned" in text
        # the template now changes the title too: a conflict, shown in the list
        (folder / f"{row.template}.md.j2").write_text(
            improved.replace("version: 2", "version: 3").replace("\n# ", "\n# Runbook: ", 1)
        )
        await pilot.press("U")
        await settle(pilot)
        app.screen.query_one("#f-template_dirs").value = str(folder)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "1 conflict(s) at line(s) 1" in str(app.screen.query_one("#preview").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        await settle(pilot)
        assert pane.rows[key].conflicts == 1
        cells = [str(c) for c in pane.table.get_row(key)]
        assert any("1 conflict(s)" in c for c in cells)
