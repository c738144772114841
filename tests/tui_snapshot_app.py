"""The TUI as ``transition demo`` shows it, on a fixed day with frozen clocks, built
through the same factory ``transition tui`` uses (``make_app``)."""

from __future__ import annotations

import asyncio
import functools
import os
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from transition import db
from transition.tui.app import TransitionApp, make_app

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def freeze(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin today, the clock every service stamps changes with, and the display time zone."""
    from transition import dates

    dates.CLOCK.pin(today=TODAY, now=NOW)  # undone after each test (conftest)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


#: Settings that change what the demo holds: a demo is kept per combination of them.
_DEMO_SETTINGS = ("TRANSITION_PLAYBOOKS", "TRANSITION_TEMPLATES", "TRANSITION_ADMIN_ROLES")
#: Settings → (the working folder the demo was built in, a pristine copy of it).
_DEMOS: dict[tuple[str | None, ...], tuple[Path, Path]] = {}


def _demo_folders(monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The demo built on ``TODAY`` once per test process, in a working folder of its own
    (``demo.db`` and its ``runbooks``), and a pristine copy of that folder. The demo is the
    same every time on a pinned day; its runbook paths name the folder it was built in."""
    import shutil
    import tempfile

    from transition.demo import load_demo

    key = tuple(os.environ.get(name) for name in _DEMO_SETTINGS)
    if key not in _DEMOS:
        folder = Path(tempfile.mkdtemp(prefix="transition-demo-"))
        monkeypatch.chdir(folder)  # runbook paths are stored relative to it
        engine = db.get_engine(f"sqlite:///{folder / 'demo.db'}")
        db.migrate(engine)
        with db.session_scope(engine, actor="demo", write=True) as session:
            load_demo(session, today=TODAY, runbook_dir=Path("runbooks"))
        db.reset_engines()  # closed: the write-ahead log is folded into the file
        pristine = folder.with_name(folder.name + "-pristine")
        shutil.copytree(folder, pristine)
        _DEMOS[key] = (folder, pristine)
    return _DEMOS[key]


def demo_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite file holding the demo engagements, built on ``TODAY``: a fresh copy of the
    process's demo in the folder it was built in, which becomes the working folder."""
    import shutil

    freeze(monkeypatch)
    folder, pristine = _demo_folders(monkeypatch)
    db.reset_engines()  # no engine of an earlier test keeps the replaced file open
    shutil.rmtree(folder)
    shutil.copytree(pristine, folder)
    (folder / "demo.db").chmod(0o600)
    monkeypatch.chdir(folder)
    return f"sqlite:///{folder / 'demo.db'}"


def demo_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engagement: str | None = None
) -> TransitionApp:
    url = demo_database(tmp_path, monkeypatch)
    os.environ.setdefault("TRANSITION_ACTOR", "tester")
    return make_app(url, "tester", engagement)


def run_async(test):
    """Run an async test body in its own event loop (no asyncio plugin needed)."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        asyncio.run(test(*args, **kwargs))

    return wrapper


async def workers_done(app) -> None:
    """Wait until the workers running now have ended, however they end.

    ``app.workers.wait_for_complete()`` raises when a worker it waits on is cancelled or
    fails: a read superseded by a newer one (``exclusive``), a worker whose screen closed,
    a save the service refused (shown next to its field). Each of these is an end like
    any other here; what the test expects is asserted on the screen afterwards."""
    from textual.worker import WorkerCancelled, WorkerFailed

    ends = await asyncio.gather(
        *(w.wait() for w in app.workers if not w.is_finished), return_exceptions=True
    )
    for end in ends:
        if isinstance(end, BaseException) and not isinstance(end, WorkerCancelled | WorkerFailed):
            raise end


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and their messages land: at least ``rounds`` times (a worker's
    result can start another), then until no worker is running (bounded: a screen that
    looks for changes every few milliseconds is never still for long)."""
    app = pilot.app
    for round_ in range(rounds + 20):
        await workers_done(app)
        await pilot.pause()
        if round_ + 1 >= rounds and not any(w.is_running for w in app.workers):
            break


def first_choice(form, name: str):
    """The value of the first choice a form's select field offers (from the form's own
    field list, as the user sees it listed)."""
    return next(f for f in form.fields if f.name == name).options[0][1]
