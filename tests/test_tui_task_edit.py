"""The Tasks tab adds ad-hoc tasks (n), edits (e), removes with a reason (x / delete),
notes (N) and shows a task in full (i / enter), through the same services as the CLI."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, first_choice, run_async, settle

pytest.importorskip("textual")

NW = "northwind-service-desk"


def service(app, fn, *args, **kwargs):
    from transition import db

    with db.session_scope(db.get_engine(app.backend.url), actor="other", write=True) as s:
        return fn(s, *args, **kwargs)


def shown_errors(form) -> dict[str, str]:
    from textual.widgets import Label

    out = {}
    for label in form.query(Label).filter(".error"):
        text = str(label.render()).strip()
        if text:
            out[label.id.removeprefix("e-")] = text
    return out


async def on_task(pilot, pick):
    """The tasks pane with the cursor on the first task ``pick(task)`` accepts."""
    await settle(pilot)
    pane = pilot.app.screen.query_one("#pane-tasks")
    key = next(k for k, r in pane.rows.items() if not k.startswith("phase:") and pick(r))
    pane.table.move_cursor(row=pane.table.get_row_index(key))
    await pilot.pause()
    return pane, pane.rows[key]


async def fill_and_save(pilot, **values: str):
    form = pilot.app.screen
    for name, value in values.items():
        form.query_one(f"#f-{name}").value = value
    await pilot.pause()
    await pilot.press("ctrl+s")
    await settle(pilot)
    return form


@run_async
async def test_n_adds_an_adhoc_task_shown_as_such(tmp_path, monkeypatch):
    from transition.services import task_edit

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 40)) as pilot:
        pane, _ = await on_task(pilot, lambda r: True)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen.id == "task-add"
        form = app.screen
        phase = first_choice(form, "phase")
        await fill_and_save(
            pilot, phase=phase, key="extra-dr-test", title="Extra DR test", due="+2bd"
        )
        assert app.screen is not form
        task = service(app, task_edit.show, NW, "extra-dr-test")
        assert (task.origin, task.phase, task.due_rule) == ("adhoc", phase, "+2bd")
        assert "extra-dr-test" in pane.rows
        row = pane.table.get_row("extra-dr-test")
        assert "(ad hoc) Extra DR test" in str(row[-1])


@run_async
async def test_a_clashing_key_is_shown_beside_the_key(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 40)) as pilot:
        _, row = await on_task(pilot, lambda r: True)
        await pilot.press("n")
        await pilot.pause()
        form = await fill_and_save(pilot, phase=row.phase, key=row.key, title="Again")
        assert app.screen is form
        errors = shown_errors(form)
        assert list(errors) == ["key"] and "already exists" in errors["key"]


@run_async
async def test_e_edits_prefilled_and_a_stale_form_names_who_changed_it(tmp_path, monkeypatch):
    from transition.services import task_edit

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 40)) as pilot:
        _, row = await on_task(pilot, lambda r: r.status == "todo")
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert form.id == "task-edit"
        assert form.query_one("#f-title").value == row.title
        await fill_and_save(pilot, title="Retitled in the TUI", due="2026-12-04")
        task = service(app, task_edit.show, NW, row.key)
        assert (task.title, str(task.due_date)) == ("Retitled in the TUI", "2026-12-04")

        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        service(app, task_edit.update, NW, row.key, title="Changed meanwhile")
        await fill_and_save(pilot, title="Mine")
        assert app.screen is form
        assert "changed by other" in shown_errors(form)["form"]
        assert service(app, task_edit.show, NW, row.key).title == "Changed meanwhile"


@run_async
async def test_x_removes_with_a_reason_and_the_row_leaves_the_list(tmp_path, monkeypatch):
    from transition.services import task_edit, tasks

    app = demo_app(tmp_path, monkeypatch, NW)
    first = service(app, tasks.list_tasks, NW)[0].phase  # on the first page of the list
    service(app, task_edit.add, NW, phase=first, key="spare", title="Spare task")
    async with app.run_test(size=(120, 40)) as pilot:
        pane, _ = await on_task(pilot, lambda r: r.key == "spare")
        await pilot.press("x")
        await pilot.pause()
        form = app.screen
        assert form.id == "task-remove"
        await pilot.press("ctrl+s")  # no reason: refused in the form
        await settle(pilot)
        assert app.screen is form and "reason is required" in shown_errors(form)["reason"]
        await fill_and_save(pilot, reason="Not needed after all")
        assert app.screen is not form
        assert "spare" not in pane.rows
        assert service(app, task_edit.show, NW, "spare").removed_reason == "Not needed after all"


@run_async
async def test_delete_on_a_started_playbook_task_is_refused_in_the_form(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("o")  # every task: the tab opens on the open ones
        _, row = await on_task(pilot, lambda r: r.status == "done" and r.origin == "playbook")
        await pilot.press("delete")
        await pilot.pause()
        form = await fill_and_save(pilot, reason="tidy up")
        assert app.screen is form
        assert "comes from the playbook and is done" in shown_errors(form)["form"]


@run_async
async def test_shift_n_notes_and_i_or_enter_show_fields_notes_and_history(tmp_path, monkeypatch):
    from textual.widgets import Static

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 40)) as pilot:
        _, row = await on_task(pilot, lambda r: r.status == "todo")
        await pilot.press("N")
        await pilot.pause()
        assert app.screen.id == "task-note"
        await fill_and_save(pilot, text="[bold]Vendor[/] confirmed — 確認済み")
        await pilot.press("i")
        await settle(pilot)
        detail = app.screen
        assert type(detail).__name__ == "TaskInspector"
        notes = str(detail.query_one("#task-notes", Static).render())
        assert "tester: [bold]Vendor[/] confirmed — 確認済み" in notes
        fields = str(detail.query_one("#task-fields", Static).render())
        assert f"Phase {row.phase}" in fields
        assert "assign assignee" in str(detail.query_one("#task-history", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not detail
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "TaskInspector"
