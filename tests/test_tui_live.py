"""Team mode: the open screens notice changes made by another process (the CLI), within the
poll interval, and say who made them; changes made in the app itself are not told."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from tui_snapshot_app import demo_app, run_async, settle

from transition import settings
from transition.errors import BadInput
from transition.services import live
from transition.services.views import TaskView
from transition.services.views.audit import MarkedChange

pytest.importorskip("textual")

NW = "northwind-service-desk"
ROOT = Path(__file__).resolve().parent.parent


def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSITION_TUI_POLL", "0.05")
    settings.reset()


def noted(app) -> list[str]:
    notes: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kw: (notes.append(message), notify(message, **kw))[1]
    return notes


async def cli(url: str, *args: str) -> None:
    """``transition --db URL --actor maria ARGS`` in a second process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from transition.cli.main import main; main()",
        "--db",
        url,
        "--actor",
        "maria",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()


async def looks_later(pilot, screen, n: int = 2) -> None:
    """Wait until the screen has looked for changes ``n`` more times (bounded), then let
    what the last look started finish."""
    target = screen.live_looks + n
    for _ in range(400):
        if screen.live_looks >= target:
            break
        await pilot.pause(0.02)
    assert screen.live_looks >= target, "the screen stopped looking for changes"
    await settle(pilot)


def open_task(pane) -> str:
    return next(
        k
        for k, r in pane.rows.items()
        if isinstance(r, TaskView) and r.status != "done" and not r.waiting_on
    )


@run_async
async def test_a_task_done_elsewhere_shows_on_the_open_engagement(tmp_path, monkeypatch):
    fast_polls(monkeypatch)
    app = demo_app(tmp_path, monkeypatch, NW)
    notes = noted(app)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        screen = app.screen
        await looks_later(pilot, screen, 1)
        pane = screen.query_one("#pane-tasks")
        await pilot.press("o")  # every task, done ones too (the tab opens on the open ones)
        await settle(pilot)
        key = open_task(pane)
        done_before = screen.data.summary.tasks_done
        await cli(app.backend.url, "task", "done", NW, key)
        await looks_later(pilot, screen)
        assert pane.table.get_row(key)[0].plain == "✓"
        assert screen.data.summary.tasks_done == done_before + 1  # the header too
        assert "1 change by maria" in notes


@run_async
async def test_the_dashboard_shows_changes_made_elsewhere(tmp_path, monkeypatch):
    fast_polls(monkeypatch)
    app = demo_app(tmp_path, monkeypatch)
    notes = noted(app)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        screen = app.screen
        await looks_later(pilot, screen, 1)
        before = screen.rows[NW].tasks_done
        key = await asyncio.to_thread(elsewhere, app.backend.url)
        await looks_later(pilot, screen)
        assert screen.rows[NW].tasks_done == before + 1, key
        assert "1 change by maria" in notes


def elsewhere(url: str) -> str:
    """maria marks an open task of Northwind done, through an engine of her own."""
    from sqlalchemy import create_engine

    from transition import db
    from transition.services import gates, overview, tasks
    from transition.services.views.tasks import TaskCursor, TaskFilter

    engine = create_engine(url)
    try:
        with db.session_scope(engine, actor="maria", write=True) as s:
            order = gates.phase_order(overview.header(s, NW).phases)
            rows = tasks.page(s, NW, order, TaskFilter(), TaskCursor(), 500).rows
            key = next(
                r.key
                for r in rows
                if isinstance(r, TaskView)
                and r.status not in ("done", "skipped")
                and not r.waiting_on
            )
            tasks.set_status(s, NW, key, "done")
        return key
    finally:
        engine.dispose()


@run_async
async def test_changes_made_here_are_not_told(tmp_path, monkeypatch):
    fast_polls(monkeypatch)
    app = demo_app(tmp_path, monkeypatch, NW)
    notes = noted(app)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        screen = app.screen
        await looks_later(pilot, screen, 1)
        pane = screen.query_one("#pane-tasks")
        pane.table.move_cursor(row=pane.table.get_row_index(open_task(pane)))
        await pilot.press("space")
        await settle(pilot)
        await looks_later(pilot, screen)
        await pilot.press("u")  # an undo is made here too
        await settle(pilot)
        await looks_later(pilot, screen)
        assert not [n for n in notes if " by " in n and "change" in n]


def test_the_marker_counts_changes_by_who_made_them(acme, cli, session_scope):
    with session_scope(write=False) as s:
        first = live.marker(s, acme)
        assert first.newest > 0 and live.marker(s).newest == first.newest
        assert live.marker(s, acme, since=first.newest).changes == []
        assert live.marker(s, "no-such-desk").newest == 0
    cli("--actor", "maria", "task", "done", acme, "kickoff-workshop")
    cli("--actor", "ann", "person", "add", acme, "Ann Live", "--side", "provider")
    with session_scope(write=False) as s:
        after = live.marker(s, acme, since=first.newest)
        assert live.marker(s, "no-such-desk", since=first.newest).changes == []
    assert [c.actor for c in after.changes] == ["maria", "ann"]
    assert after.newest == after.changes[-1].last > first.newest
    assert live.told(after.changes) == "1 change by ann, 1 by maria"


def test_the_notice_names_who_changed_most_first():
    def by(*actors: str) -> list[MarkedChange]:
        return [MarkedChange(change_id=str(i), actor=a, last=i) for i, a in enumerate(actors)]

    assert live.told(by("maria")) == "1 change by maria"
    assert live.told(by("ann", "maria", "maria", "maria")) == "3 changes by maria, 1 by ann"
    many = by("a", "b", "c", "d", "e", "e")
    assert live.told(many) == "2 changes by e, 1 by a, 1 by b, 2 by others"


def test_the_poll_interval_is_a_number_of_seconds(setting):
    setting("TRANSITION_TUI_POLL", None)
    assert settings.get_settings().tui_poll_seconds() == 5.0
    setting("TRANSITION_TUI_POLL", "0")
    assert settings.get_settings().tui_poll_seconds() == 0
    setting("TRANSITION_TUI_POLL", "0.5")
    assert settings.get_settings().tui_poll_seconds() == 0.5
    for bad in ("soon", "-1", "nan", "1e9"):
        setting("TRANSITION_TUI_POLL", bad)
        with pytest.raises(BadInput, match="TRANSITION_TUI_POLL"):
            settings.get_settings().tui_poll_seconds()


def test_a_bad_poll_interval_is_refused_before_the_tui_opens(cli, setting):
    setting("TRANSITION_TUI_POLL", "soon")
    result = cli("tui")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: TRANSITION_TUI_POLL='soon': expected a number of seconds from 0 to 3600"
    )
