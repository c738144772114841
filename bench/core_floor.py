"""Start-up budget of the core CLI: ``transition task list ENG --json`` on 1,000 tasks.

Times the whole process (interpreter start, imports, schema check, query, JSON) against a
floor process that only imports sqlmodel and typer, median of several runs each, and
prints both medians and their ratio (target: at most 1.5×).

    python bench/core_floor.py [--runs 7] [--tasks 1000]

Both processes run the same interpreter directly (no shell, no version-manager shims).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from common import timed_process

TARGET = 1.5


def playbook_yaml(tasks: int, phases: int = 5) -> str:
    """A valid playbook with ``tasks`` tasks spread over ``phases`` phases, each task
    depending on the one before it in its phase."""
    per_phase = max(1, tasks // phases)
    lines = ["name: bench", "title: Bench playbook", "version: 1", "phases:"]
    made = 0
    for p in range(phases):
        lines += [f"  - key: phase-{p}", f"    title: Phase {p}", "    duration: 2w", "    tasks:"]
        count = per_phase if p < phases - 1 else tasks - made
        for t in range(count):
            lines += [
                f"      - key: t-{p}-{t}",
                f"        title: Task {t} of phase {p}",
                "        owner: transition-manager",
                f"        due: +{t % 14}d",
            ]
            if t:
                lines.append(f"        depends_on: [t-{p}-{t - 1}]")
        made += count
        lines.append("    gate: [tasks_done]")
    return "\n".join(lines) + "\n"


def script() -> str:
    """The installed console script, run by the interpreter itself (no shim)."""
    path = Path(sysconfig.get_path("scripts")) / "transition"
    if path.is_file():
        return str(path)
    raise SystemExit("the `transition` console script is not installed (pip install -e .)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--tasks", type=int, default=1000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        book = folder / "bench.yaml"
        book.write_text(playbook_yaml(args.tasks), encoding="utf-8")
        url = f"sqlite:///{folder / 'bench.db'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRANSITION_")}
        env["TRANSITION_ACTOR"] = "bench"
        python, cli = sys.executable, script()
        prefix = [python, cli, "--db", url]
        timed_process([*prefix, "engagement", "new", "Bench", "--playbook", str(book)], env)

        command = [*prefix, "task", "list", "bench", "--json"]
        floor = [python, "-c", "import sqlmodel, typer"]
        out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        listed = out.stdout.count('"key"')
        # Warm the OS caches, then interleave the runs so drift hits both sides alike.
        timed_process(floor, env)
        timed_process(command, env)
        floor_times, command_times = [], []
        for _ in range(args.runs):
            floor_times.append(timed_process(floor, env))
            command_times.append(timed_process(command, env))

    f, c = statistics.median(floor_times), statistics.median(command_times)
    ratio = c / f
    print(f"tasks listed:        {listed}")
    print(f"floor (import sqlmodel, typer): median {f * 1000:.0f} ms of {args.runs} runs")
    print(f"transition task list --json:    median {c * 1000:.0f} ms of {args.runs} runs")
    print(f"ratio: {ratio:.2f}x (target <= {TARGET}x): {'ok' if ratio <= TARGET else 'OVER'}")


if __name__ == "__main__":
    main()
