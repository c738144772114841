"""How fast the TUI paints on a large database (a benchmark, not a timed test).

    python bench/tui_paint.py [--db sqlite:///bench.db] [--size full] [--runs 3]

Without ``--db`` a database is seeded through the services with ``bench/seed.py`` (full
size: 50 engagements, 10,000 tasks, 20,000 grants, 5,000 KT sessions, 2,000 runbooks).
Measured headless, each from a fresh app: the dashboard's first paint (start → every
engagement row shown) and switching to an engagement (enter → its tasks on screen).
"""

from __future__ import annotations

import argparse
import asyncio
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


async def measure(url: str) -> tuple[float, float, int, int]:
    from transition.tui.app import make_app

    start = time.perf_counter()
    app = make_app(url, "bench", None)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one("#engagements")
        while table.row_count == 0:
            await pilot.pause()
        await pilot.pause()  # the refresh that paints the rows
        dashboard = time.perf_counter() - start
        rows = table.row_count
        await settle(pilot)
        start = time.perf_counter()
        await pilot.press("enter")
        await pilot.pause()
        tasks = app.screen.query_one("#tasks-table")
        while tasks.row_count == 0:
            await pilot.pause()
        await pilot.pause()
        switch = time.perf_counter() - start
        loaded = tasks.row_count
    return dashboard, switch, rows, loaded


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
    results = [asyncio.run(measure(url)) for _ in range(args.runs)]
    dash = [r[0] for r in results]
    switch = [r[1] for r in results]
    print(
        f"dashboard first paint ({results[0][2]} engagements): "
        f"median {statistics.median(dash):.3f} s, max {max(dash):.3f} s"
    )
    print(
        f"switch to an engagement ({results[0][3]} rows on first page): "
        f"median {statistics.median(switch):.3f} s, max {max(switch):.3f} s"
    )


if __name__ == "__main__":
    main()
