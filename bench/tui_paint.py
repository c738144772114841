"""How fast the TUI paints on a large database (a benchmark, not a timed test).

    python bench/tui_paint.py [--db sqlite:///bench.db] [--size full] [--runs 3]

Without ``--db`` a database is seeded through the services with ``bench/seed.py`` (full
size: 50 engagements, 10,000 tasks, 20,000 grants, 5,000 KT sessions, 2,000 runbooks).
Measured headless, each from a fresh app: the dashboard's first paint (start → every
engagement row shown), switching to an engagement (enter → its tasks on screen) and
opening an inspector (enter on a task → its fields, links, notes and history shown). Wall
time, and the process's CPU time over the same span (all threads: UI and database), which
says how much of the wall time a busy machine added; the load average is printed with it.

The inspector and the filter are timed from the key to the last frame the app renders
for it (``Frames``): the test driver then waits for the app to go idle (each
``pilot.press`` and ``pilot.pause`` sleeps at least 20 ms to see that nothing runs any
more), and those waits are not the app's work. Every read, update, layout and render the
key causes happens before that last frame, so all of it is counted; the figure with the
driver's waits is printed beside it.

Then filtering a 10,000-row list: one engagement with 10,000 tasks ("Bench Big List",
added to the database when missing) on its Tasks tab, every task shown (``o``), ``/`` and
a query typed a key at a time; per keystroke, the time from the key to the filtered first
page painted (the filter's pause after typing, ``PagedTable.DEBOUNCE``, left out: it is a
wait, not work). The query narrows from every row to a handful, so keystrokes that scan
every task without filling a page are measured too.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "bench"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from common import Frames  # noqa: E402

BIG = "Bench Big List"
#: Typed one key at a time into the filter of the 10,000-task list.
QUERY = "item 1999"


def add_big_list(url: str) -> str:
    """The engagement with 10,000 tasks (5 phases of 2,000), added once."""
    from seed import Size, playbook_yaml

    from transition import db
    from transition.dates import today
    from transition.errors import NotFound
    from transition.playbooks import resolve_playbook
    from transition.services import engagements
    from transition.services.common import get_engagement

    engine = db.get_engine(url)
    db.migrate(engine)
    with db.session_scope(engine, actor="bench", write=False) as session:
        try:
            return get_engagement(session, BIG).slug
        except NotFound:
            pass
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "big-list.yaml"
        text = playbook_yaml(Size(1, 5, 2000, 1, 1, 0, 0, 0))
        book.write_text(text.replace("bench-playbook", "bench-big-list"), encoding="utf-8")
        pb, raw, _ = resolve_playbook(str(book))
        with db.session_scope(engine, actor="bench") as session:
            from datetime import timedelta

            eng = engagements.create(
                session,
                name=BIG,
                playbook=pb,
                raw=raw,
                client="Client",
                incumbent="Incumbent Ltd",
                provider="Provider plc",
                start=today() - timedelta(days=20),
            )
            return eng.slug


async def measure_filter(url: str, slug: str) -> tuple[list[float], list[float], int]:
    """Wall and CPU seconds per keystroke typing ``QUERY`` into the big list's filter."""
    from transition.services.views.tasks import TaskView
    from transition.tui.app import make_app
    from transition.tui.widgets.paged_table import PagedTable
    from transition.tui.widgets.tasks_pane import TasksPane

    PagedTable.DEBOUNCE = 0
    app = make_app(url, "bench", slug)
    frames = Frames(app)
    # A page that shows the same rows paints nothing new: the keystroke ends when it has
    # been taken in, if that is after the last frame.
    take_in = TasksPane.on_tasks_pane_page

    def taken_in(pane: TasksPane, message: TasksPane.Page) -> None:
        take_in(pane, message)
        frames.done()

    TasksPane.on_tasks_pane_page = taken_in  # type: ignore[method-assign]
    walls, cpus, waited = [], [], []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one("#pane-tasks")
        await pilot.press("o")  # every task: 10,000 rows to filter
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        for n in range(1, len(QUERY) + 1):
            typed = QUERY[:n]
            frames.start()
            await pilot.press("space" if typed[-1] == " " else typed[-1])
            # (a space between words changes nothing to read again)
            while pane.filters.text.split() != typed.split():
                await pilot.pause()
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()  # the page shown
            await pilot.pause()  # and painted
            wall, cpu = frames.last()
            walls.append(wall)
            cpus.append(cpu)
            waited.append(frames.now())
        matched = sum(1 for r in pane.rows.values() if isinstance(r, TaskView))
    TasksPane.on_tasks_pane_page = take_in  # type: ignore[method-assign]
    return walls, cpus, matched, waited


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def measure(url: str) -> tuple[float, float, int, int, float, float]:
    from transition.tui.app import make_app

    start, cpu = time.perf_counter(), time.process_time()
    app = make_app(url, "bench", None)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one("#engagements")
        while table.row_count == 0:
            await pilot.pause()
        await pilot.pause()  # the refresh that paints the rows
        dashboard = time.perf_counter() - start
        dashboard_cpu = time.process_time() - cpu
        rows = table.row_count
        await settle(pilot)
        start, cpu = time.perf_counter(), time.process_time()
        await pilot.press("enter")
        await pilot.pause()
        tasks = app.screen.query_one("#tasks-table")
        while tasks.row_count == 0:
            await pilot.pause()
        await pilot.pause()
        switch = time.perf_counter() - start
        switch_cpu = time.process_time() - cpu
        loaded = tasks.row_count
    return dashboard, switch, rows, loaded, dashboard_cpu, switch_cpu


async def measure_inspector(url: str) -> tuple[float, float, float]:
    """Enter on the first task of the first engagement → its inspector filled in."""
    from transition.tui.app import make_app
    from transition.tui.screens.inspectors import TaskInspector

    app = make_app(url, "bench", None)
    frames = Frames(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        tasks = app.screen.query_one("#tasks-table")
        while tasks.row_count == 0:
            await pilot.pause()
        await settle(pilot)  # the cursor on the first task
        frames.start()
        await pilot.press("enter")
        while not (isinstance(app.screen, TaskInspector) and app.screen.data is not None):
            await pilot.pause()
        await pilot.pause()  # the refresh that paints it
        wall, cpu = frames.last()
        return wall, cpu, frames.now()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", metavar="URL", help="an existing database (default: seed one)")
    parser.add_argument("--size", default="full", help="seed size when no --db (full|small)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--no-filter", action="store_true", help="skip filtering the 10,000-row list"
    )
    args = parser.parse_args()
    url = args.db
    if url is None:
        from seed import SIZES, seed

        folder = Path(tempfile.mkdtemp(prefix="transition-tui-bench-"))
        url = f"sqlite:///{folder / 'bench.db'}"
        began = time.perf_counter()
        seed(url, SIZES[args.size], folder / "runbooks", quiet=True)
        print(f"seeded {args.size} database in {time.perf_counter() - began:.1f} s: {url}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    results = [asyncio.run(measure(url)) for _ in range(args.runs)]

    def median(i: int) -> float:
        return statistics.median(r[i] for r in results)

    print(f"{args.runs} runs; load average {load:.1f} before, on {os.cpu_count()} CPUs")
    print(
        f"dashboard first paint ({results[0][2]} engagements): "
        f"median {median(0):.3f} s, max {max(r[0] for r in results):.3f} s "
        f"(CPU {median(4):.3f} s)"
    )
    print(
        f"switch to an engagement ({results[0][3]} rows on first page): "
        f"median {median(1):.3f} s, max {max(r[1] for r in results):.3f} s "
        f"(CPU {median(5):.3f} s)"
    )
    opened = [asyncio.run(measure_inspector(url)) for _ in range(args.runs)]
    print(
        f"open an inspector (enter on a task → last frame): median "
        f"{statistics.median(o[0] for o in opened):.3f} s, max {max(o[0] for o in opened):.3f} s "
        f"(CPU {statistics.median(o[1] for o in opened):.3f} s; with the driver's waits "
        f"{statistics.median(o[2] for o in opened):.3f} s)"
    )
    if args.no_filter:
        return
    began = time.perf_counter()
    slug = add_big_list(url)
    print(f"10,000-task engagement ready in {time.perf_counter() - began:.1f} s")
    walls: list[float] = []
    cpus: list[float] = []
    waits: list[float] = []
    for _ in range(args.runs):
        wall, cpu, matched, waited = asyncio.run(measure_filter(url, slug))
        walls += wall
        cpus += cpu
        waits += waited
    print(
        f"filter a 10,000-row list, per keystroke → last frame ({len(QUERY)} keys of "
        f"{QUERY!r}, {matched} rows left): median {statistics.median(walls) * 1000:.0f} ms, "
        f"max {max(walls) * 1000:.0f} ms (CPU median {statistics.median(cpus) * 1000:.0f} ms, "
        f"max {max(cpus) * 1000:.0f} ms; with the driver's waits "
        f"{statistics.median(waits) * 1000:.0f} ms)"
    )


if __name__ == "__main__":
    main()
