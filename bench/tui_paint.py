"""How fast the TUI paints on a large database (a benchmark, not a timed test).

    python bench/tui_paint.py [--db sqlite:///bench.db] [--size full] [--runs 3]

Without ``--db`` a database is seeded through the services with ``bench/seed.py`` (full
size: 50 engagements, 10,000 tasks, 20,000 grants, 5,000 KT sessions, 2,000 runbooks).
Measured headless, each from a fresh app: the dashboard's first paint (start → every
engagement row shown), switching to an engagement (enter → its tasks on screen) and
opening an inspector (enter on a task → its fields, links, notes and history shown). Wall
time, and the process's CPU time over the same span (all threads: UI and database), which
says how much of the wall time a busy machine added; the load average is printed with it.
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


async def measure_inspector(url: str) -> tuple[float, float]:
    """Enter on the first task of the first engagement → its inspector filled in."""
    from transition.tui.app import make_app
    from transition.tui.screens.inspectors import TaskInspector

    app = make_app(url, "bench", None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        tasks = app.screen.query_one("#tasks-table")
        while tasks.row_count == 0:
            await pilot.pause()
        await settle(pilot)
        await pilot.press("down")  # off the phase heading, onto its first task
        await pilot.pause()
        start, cpu = time.perf_counter(), time.process_time()
        await pilot.press("enter")
        while not (isinstance(app.screen, TaskInspector) and app.screen.data is not None):
            await pilot.pause()
        await pilot.pause()  # the refresh that paints it
        return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", metavar="URL", help="an existing database (default: seed one)")
    parser.add_argument("--size", default="full", help="seed size when no --db (full|small)")
    parser.add_argument("--runs", type=int, default=3)
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
        f"open an inspector (enter on a task): median "
        f"{statistics.median(o[0] for o in opened):.3f} s, max {max(o[0] for o in opened):.3f} s "
        f"(CPU {statistics.median(o[1] for o in opened):.3f} s)"
    )


if __name__ == "__main__":
    main()
