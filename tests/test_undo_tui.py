"""``u`` in the TUI undoes the newest change made in that session, then reloads."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tui_snapshot_app import demo_app, run_async, settle

from transition import db
from transition.models import AuditEvent, Engagement, Task
from transition.services.views import TaskView

pytest.importorskip("textual")

NW = "northwind-service-desk"


def session(app):
    return db.session_scope(db.get_engine(app.backend.url), actor="tester", write=False)


def status_of(app, key: str) -> str:
    with session(app) as s:
        return s.execute(
            select(Task.status)
            .join(Engagement, Engagement.id == Task.engagement_id)
            .where(Task.key == key, Engagement.slug == NW)
        ).scalar_one()


@run_async
async def test_u_undoes_the_changes_made_here_newest_first(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    notes: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kw: (notes.append(message), notify(message, **kw))[1]
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one("#pane-tasks")
        table = pane.table
        first, second = [
            k
            for k, r in pane.rows.items()
            if isinstance(r, TaskView) and r.status != "done" and not r.waiting_on
        ][:2]
        was = {key: status_of(app, key) for key in (first, second)}
        for key in (first, second):
            table.move_cursor(row=table.get_row_index(key))
            await pilot.press("space")
            await settle(pilot)
        assert status_of(app, first) == status_of(app, second) == "done"
        await pilot.press("u")
        await settle(pilot)
        assert (status_of(app, first), status_of(app, second)) == ("done", was[second])
        assert any(n.startswith("undone: ") and f"task {second} status" in n for n in notes)
        assert table.get_row(second)[0].plain != "✓"  # the screen reloaded
        await pilot.press("u")
        await settle(pilot)
        assert status_of(app, first) == was[first]
        # Nothing made here is left: the demo's own changes are not this session's.
        await pilot.press("u")
        await settle(pilot)
        assert "left to undo" in notes[-1]
    with session(app) as s:
        undone = s.execute(select(AuditEvent.undoes).where(AuditEvent.undoes.is_not(None)))
        assert len(set(undone.scalars())) == 2


@run_async
async def test_u_undoes_a_dependency_change_made_here(tmp_path, monkeypatch):
    from transition.services import dependencies

    app = demo_app(tmp_path, monkeypatch, NW)
    notes: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kw: (notes.append(message), notify(message, **kw))[1]

    def edges() -> set[tuple[str, str, str]]:
        with session(app) as s:
            return {(d.system, d.depends_on, d.kind) for d in dependencies.dependencies(s, NW)}

    was = edges()
    assert ("Veeam Backup", "SAP ERP", "batch") in was
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        # Changes written through the session's backend, as its screens write them.
        app.backend.write(dependencies.depends, NW, "Veeam Backup", on="Exchange Online")
        app.backend.write(dependencies.depends, NW, "Veeam Backup", on="SAP ERP", remove=True)
        assert edges() == (was | {("Veeam Backup", "Exchange Online", "data")}) - {
            ("Veeam Backup", "SAP ERP", "batch")
        }
        await pilot.press("u")
        await settle(pilot)
        assert edges() == was | {("Veeam Backup", "Exchange Online", "data")}
        assert any(
            n.startswith("undone: ") and "Veeam Backup kind: (none) → batch" in n for n in notes
        )
        await pilot.press("u")
        await settle(pilot)
        assert edges() == was
        assert "depends_on: Exchange Online (data) → (none)" in notes[-1]
