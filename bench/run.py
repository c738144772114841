"""Benchmark: whole-process time and SQL query count of the main commands, and TUI first
paint, on a database seeded through the services (``bench/seed.py``).

    python bench/run.py --size full            # 50 engagements, 10k tasks, 20k grants …
    python bench/run.py --size small --runs 3  # seconds; what CI runs
    python bench/run.py --size one-big         # one engagement holding all of it
    python bench/run.py --size one-big --db postgresql+psycopg://…  # seeded by bench/seed.py

For each command: the median wall time of several whole processes (interpreter start,
imports, schema check, queries, output), the ratio to a floor measured beside it (its runs
alternate with runs of ``python -c "import sqlmodel, typer"``: the interpreter and the
imports every command needs), and the number of SQL statements it sends (run in-process with an event
listener). TUI: time from building the app to the dashboard, and to an engagement screen,
showing their data (headless ``App.run_test``), and their query counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common import Frames, process_times, timed_process

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET = 1.5
FLOOR = ["-c", "import sqlmodel, typer"]
CLI = ["-c", "import sys; from transition.cli.main import main; main()"]


def commands(eng: str) -> list[tuple[str, list[str]]]:
    return [
        ("engagement list --json", ["engagement", "list", "--json"]),
        ("task list ENG --json", ["task", "list", eng, "--json"]),
        ("access review ENG", ["access", "review", eng]),
        ("handover sync ENG", ["handover", "sync", eng]),
        ("report ENG --format html", ["report", eng, "--format", "html"]),
    ]


def engagement_commands(eng: str) -> list[tuple[str, list[str]]]:
    """Every per-engagement read and sync command: the table of the one-big size."""
    return [
        ("task list ENG --json", ["task", "list", eng, "--json"]),
        ("access list ENG --json", ["access", "list", eng, "--json"]),
        ("access review ENG --json", ["access", "review", eng, "--json"]),
        ("handover sync ENG", ["handover", "sync", eng]),
        ("handover show ENG", ["handover", "show", eng]),
        ("phase status ENG", ["phase", "status", eng]),
        ("system list ENG", ["system", "list", eng]),
        ("kt coverage ENG", ["kt", "coverage", eng]),
        ("kt list ENG", ["kt", "list", eng]),
        ("runbook list ENG", ["runbook", "list", eng]),
        ("report ENG", ["report", eng]),
        ("report ENG --format html", ["report", eng, "--format", "html"]),
        ("export ENG", ["export", eng]),
    ]


COMMANDS = {"one-big": engagement_commands}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRANSITION_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules compiled once, kept
    env["TRANSITION_ACTOR"] = "bench"
    return env


@contextmanager
def counting(url: str) -> Iterator[list[str]]:
    from sqlalchemy import event

    from transition import db

    engine = db.get_engine(url)
    seen: list[str] = []

    def hook(conn, cursor, statement, parameters, context, executemany) -> None:
        head = statement.lstrip().upper()
        if not head.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", hook)


def query_count(url: str, args: list[str]) -> int:
    from typer.testing import CliRunner

    from transition.cli.main import app

    with counting(url) as seen:
        result = CliRunner().invoke(app, ["--db", url, *args])
    if result.exit_code != 0:
        raise SystemExit(f"{args} failed in-process: {result.stderr or result.exception}")
    return len(seen)


async def _first_paint(url: str, engagement: str | None) -> float:
    """From building the app to the last frame it renders while its screens load (their
    first data, then what that data starts); the test driver's idle waits after that
    frame are left out (``common.Frames``)."""
    from transition.tui.app import make_app

    began = (time.perf_counter(), time.process_time())
    app = make_app(url, "bench", engagement)
    frames = Frames(app)
    frames.began = frames.frame = began
    async with app.run_test(size=(140, 45)) as pilot:
        for _ in range(3):  # screens start further loads once the first data arrives
            await pilot.pause()
            await app.workers.wait_for_complete()
        await pilot.pause()
    return frames.last()[0]


def tui_figures(url: str, eng: str, runs: int) -> list[dict[str, Any]] | str:
    try:
        import transition.tui.app  # noqa: F401
    except ImportError as exc:
        return f"TUI not available ({exc}); skipped"
    out = []
    for label, target in (("TUI dashboard first paint", None), ("TUI engagement first paint", eng)):
        # The counted paint comes first and loads the screen's modules: the timed ones
        # measure the paint itself (starting the interpreter and importing are what the
        # command rows measure).
        with counting(url) as seen:
            asyncio.run(_first_paint(url, target))
        times = [asyncio.run(_first_paint(url, target)) for _ in range(max(3, runs))]
        out.append({"name": label, "median_s": statistics.median(times), "queries": len(seen)})
    return out


def benchmark(url: str, eng: str, runs: int, size: str = "small") -> dict[str, Any]:
    """Each command's runs alternate with runs of the floor, and its ratio is to the floor
    measured beside it: a machine whose load drifts during the benchmark moves both."""
    env, python = _env(), sys.executable
    floors: list[tuple[float, float]] = []
    rows = []
    for label, args in COMMANDS.get(size, commands)(eng):
        argv = [python, *CLI, "--db", url, *args]
        if runs > 1:
            timed_process(argv, env)  # warm the page cache
        times, beside = [], []
        for _ in range(runs):
            beside.append(process_times([python, *FLOOR], env))
            times.append(process_times(argv, env))
        floors += beside
        median = statistics.median(wall for wall, _ in times)
        cpu = statistics.median(cpu for _, cpu in times)
        rows.append(
            {
                "name": label,
                "median_s": median,
                "ratio": median / statistics.median(wall for wall, _ in beside),
                "cpu_s": cpu,
                "cpu_ratio": cpu / statistics.median(cpu for _, cpu in beside),
                "queries": query_count(url, args),
            }
        )
    return {
        "floor_s": statistics.median(wall for wall, _ in floors),
        "floor_cpu_s": statistics.median(cpu for _, cpu in floors),
        "commands": rows,
        "tui": tui_figures(url, eng, runs),
    }


def counts(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from transition import db
    from transition.models import AccessGrant, Engagement, KTSession, Runbook, Task

    with db.session_scope(db.get_engine(url), write=False) as session:
        return {
            model.__tablename__: session.execute(select(func.count()).select_from(model)).scalar()
            for model in (Engagement, Task, AccessGrant, KTSession, Runbook)
        }


def render(result: dict[str, Any]) -> str:
    lines = [
        f"size: {result['size']}; load average {result.get('load', '?')}",
        "data: " + ", ".join(f"{n} {k}" for k, n in result["rows"].items()),
        f"seeding: {result['seed_s']:.1f} s"
        + "".join(f"; {k} {v:.1f} s" for k, v in result["seed_phases"].items()),
        f"floor (python -c 'import sqlmodel, typer'): {result['floor_s'] * 1000:.0f} ms, "
        f"CPU {result['floor_cpu_s'] * 1000:.0f} ms",
        "",
        f"{'command':32s} {'median':>9s} {'× floor':>8s} {'CPU':>9s} {'× floor':>8s} "
        f"{'queries':>8s}",
    ]
    for row in result["commands"]:
        flag = "" if row["ratio"] <= TARGET else f"  over {TARGET}×"
        lines.append(
            f"{row['name']:32s} {row['median_s'] * 1000:7.0f}ms {row['ratio']:7.2f}× "
            f"{row['cpu_s'] * 1000:7.0f}ms {row['cpu_ratio']:7.2f}× {row['queries']:8d}{flag}"
        )
    if isinstance(result["tui"], str):
        lines.append(result["tui"])
    else:
        for row in result["tui"]:
            lines.append(
                f"{row['name']:32s} {row['median_s'] * 1000:7.0f}ms {'':8s} {row['queries']:8d}"
            )
    return "\n".join(lines)


def _seed_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_seed", Path(__file__).with_name("seed.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_seed", module)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> dict[str, Any]:
    seeding = _seed_module()
    SIZES, seed = seeding.SIZES, seeding.seed  # noqa: N806

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (median)")
    parser.add_argument("--db", metavar="URL", help="an already seeded database")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    runs = args.runs or (3 if args.size == "small" else 7)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        start = time.perf_counter()
        phases = {} if args.db else seed(url, SIZES[args.size], Path(tmp) / "runbooks", quiet=True)
        seeded = time.perf_counter() - start
        eng = "bench-engagement-000"
        result = {
            "size": args.size,
            "rows": counts(url),
            "seed_s": seeded,
            "seed_phases": phases,
            **benchmark(url, eng, runs, args.size),
            "load": " ".join(f"{n:.2f}" for n in os.getloadavg()),
        }
        from transition import db

        db.reset_engines()
    print(json.dumps(result, indent=2) if args.json else render(result))
    return result


if __name__ == "__main__":
    main()
