"""What one key cannot take back asks first: reopening a done task, blocking or skipping
one take an optional note; a KT session held before its start needs a second save."""

from __future__ import annotations

import pytest
from tui_snapshot_app import NOW, demo_app, run_async, settle

from transition.services.views import TaskView

pytest.importorskip("textual")

NW = "northwind-service-desk"


def noted(app) -> list[str]:
    notes: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kw: (notes.append(message), notify(message, **kw))[1]
    return notes


def task(app, key: str):
    from transition.services import task_edit

    return app.backend.read(task_edit.show, NW, key)


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


async def on_row(pilot, pane, key: str, press: str):
    pane.table.move_cursor(row=pane.table.get_row_index(key))
    await pilot.press(press)
    await settle(pilot)
    return pilot.app.screen


@run_async
async def test_reopen_block_and_skip_ask_for_a_note(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    notes = noted(app)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("o")  # every task: the tab opens on the open ones
        await settle(pilot)
        pane = app.screen.query_one("#pane-tasks")
        done = next(
            k for k, r in pane.rows.items() if isinstance(r, TaskView) and r.status == "done"
        )
        todo = [
            k
            for k, r in pane.rows.items()
            if isinstance(r, TaskView) and r.status == "todo" and not r.waiting_on
        ]
        form = await on_row(pilot, pane, done, "space")
        assert form.id == "task-status" and "done → todo" in form.title_text
        await type_text(pilot, "evidence missing")
        await pilot.press("enter")
        await settle(pilot)
        assert (task(app, done).status, task(app, done).note) == ("todo", "evidence missing")
        assert notes[-1] == f"{done}: done → todo (note kept)"
        assert pane.table.get_row(done)[0].plain == "○"

        form = await on_row(pilot, pane, todo[0], "b")
        assert form.id == "task-status"
        await pilot.press("escape")  # taken back before it is made: nothing changes
        await settle(pilot)
        assert task(app, todo[0]).status == "todo"
        await on_row(pilot, pane, todo[0], "b")
        await pilot.press("enter")  # the note is optional
        await settle(pilot)
        assert task(app, todo[0]).status == "blocked"
        assert notes[-1] == f"{todo[0]}: todo → blocked"

        await on_row(pilot, pane, todo[1], "k")
        await type_text(pilot, "done by the client")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert task(app, todo[1]).status == "skipped"
        assert notes[-1] == f"{todo[1]}: todo → skipped (note kept)"

        # Marking done and starting are taken back by a key: no question asked.
        await on_row(pilot, pane, todo[2], "space")
        assert type(app.screen).__name__ == "EngagementScreen"
        assert task(app, todo[2]).status == "done"


async def kt_pane(pilot):
    await settle(pilot)
    pilot.app.screen.show_tab("kt")
    await settle(pilot)
    return pilot.app.screen.query_one("#pane-kt")


def session_of(app, sid: int):
    from transition.services import kt

    return next(s for s in app.backend.read(kt.list_sessions, NW) if s.id == sid)


@run_async
async def test_holding_a_session_before_its_start_needs_a_confirmation(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    notes = noted(app)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await kt_pane(pilot)
        planned = [s for s in pane.rows.values() if s.status == "planned"]
        ahead = next(s for s in planned if s.starts_at > NOW)
        form = await on_row(pilot, pane, str(ahead.id), "h")
        assert form.id == "kt-hold"
        await pilot.press("enter")
        await settle(pilot)
        assert "save again" in str(form.query_one("#preview").render())
        assert session_of(app, ahead.id).status == "planned"  # not yet
        await pilot.press("enter")
        await settle(pilot)
        assert session_of(app, ahead.id).status == "held"
        assert notes[-1] == f"KT session {ahead.id}: planned → held"

        # Holding it again is refused before anything opens.
        await on_row(pilot, pane, str(ahead.id), "h")
        assert type(app.screen).__name__ == "EngagementScreen"
        assert "only a planned session changes" in notes[-1]
