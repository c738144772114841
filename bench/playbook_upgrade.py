"""Time ``engagement upgrade`` of an engagement of 1,000 tasks, in-process.

Generates a playbook v1 of 5 phases × 200 tasks (each depending on the one before) and a
v2 that adds a phase of 50 tasks, changes the titles of 10% of the tasks, the due offsets
of 5%, renames 5% (``replaces:``), removes 5%, adds 5%, lengthens two phases and tightens
a gate. The engagement is started from v1, its first phase is left and 5% of its titles
are changed locally (half of them also changed by v2: conflicts). Times the dry run and
the upgrade itself (each in its own unit of work), then ``audit --verify``'s replay.

Usage: ``python bench/playbook_upgrade.py [--tasks 1000] [--db URL]`` (default: a SQLite
file in a temporary folder). Prints seconds (wall clock and this process's CPU time, which
other processes on a busy machine do not inflate) and the number of SQL statements.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import StatementCounter

from transition import db
from transition.playbooks import load_playbook
from transition.services import audit_verify, engagements, gates, playbook_upgrade, task_edit
from transition.services.common import get_engagement

PHASES = 5


def write_playbooks(folder: Path, tasks: int) -> tuple[Path, Path]:
    per = tasks // PHASES
    v1 = ["name: bench", "title: Bench playbook", "version: 1", "phases:"]
    v2 = ["name: bench", "title: Bench playbook", "version: 2", "phases:"]
    for p in range(PHASES):
        for lines, version in ((v1, 1), (v2, 2)):
            duration = "30d" if version == 1 or p not in (2, 3) else "40d"
            lines += [f"  - key: phase-{p}", f"    title: Phase {p}", f"    duration: {duration}"]
            lines.append("    tasks:")
            for t in range(per):
                n = p * per + t
                key = f"t-{p}-{t}"
                if version == 2 and n % 20 == 7:
                    continue  # removed
                title = f"Task {p} {t}"
                due = f"+{t % 30}d"
                extra = []
                if version == 2:
                    if n % 10 == 3:
                        title += " (clarified)"
                    if n % 20 == 11:
                        due = f"+{t % 30 + 2}d"
                    if n % 20 == 13:
                        extra.append(f"        replaces: {key}")
                        key = f"r-{p}-{t}"
                    if n % 20 == 17:
                        lines += [
                            f"      - key: new-{p}-{t}",
                            f"        title: New task {p} {t}",
                            "        due: +3d",
                        ]
                lines += [f"      - key: {key}", f"        title: {title}", f"        due: {due}"]
                lines += extra
            gate = "[tasks_done, systems_registered]" if version == 2 and p == 3 else "[tasks_done]"
            lines.append(f"    gate: {gate}")
        if p == 3:
            v2 += ["  - key: extra", "    title: Extra phase", "    duration: 10d", "    tasks:"]
            for t in range(50):
                v2 += [f"      - key: x-{t}", f"        title: Extra {t}", "        due: +2d"]
    paths = folder / "bench-v1.yaml", folder / "bench-v2.yaml"
    paths[0].write_text("\n".join(v1) + "\n")
    paths[1].write_text("\n".join(v2) + "\n")
    return paths


def timed(engine, label: str, fn) -> None:
    with StatementCounter(engine) as counter:
        started, cpu = time.perf_counter(), time.process_time()
        result = fn()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"{label:<24} {elapsed:6.3f} s ({cpu:5.3f} s CPU)  {counter.count:4d} statements  {result}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--db", default=None, help="database URL (default: temporary SQLite)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="transition-bench-"))
    url = args.db or f"sqlite:///{folder / 'bench.db'}"
    engine = db.get_engine(url)
    db.migrate(engine)
    v1, v2 = write_playbooks(folder, args.tasks)
    with db.session_scope(engine, actor="bench") as session:
        eng = engagements.create(
            session, name=f"Bench {folder.name}", playbook=load_playbook(v1), raw=v1.read_bytes()
        )
        slug = eng.slug
    with db.session_scope(engine, actor="bench") as session:
        gates.advance(session, slug, override="bench")
        per = args.tasks // PHASES
        for n in range(per, args.tasks, 20):  # 5% changed here, half of them by v2 too
            p, t = divmod(n, per)
            task_edit.update(session, slug, f"t-{p}-{t}", title=f"Task {p} {t}, as we do it")
            m = n + 3
            if m < args.tasks:
                p, t = divmod(m, per)
                task_edit.update(session, slug, f"t-{p}-{t}", title=f"Task {p} {t}, ours")

    def upgrade(dry_run: bool):
        def run():
            with db.session_scope(engine, actor="bench") as session:
                view = playbook_upgrade.upgrade(
                    session, get_engagement(session, slug), to=str(v2), dry_run=dry_run
                )
                return (
                    f"{len(view.applied)} applied, {len(view.conflicts)} conflicts, "
                    f"{len(view.to_decide)} to decide, {view.events} events"
                )

        return run

    def verify():
        with db.session_scope(engine, actor="bench") as session:
            found = audit_verify.verify(session, slug)
            return f"{len(found.problems)} problems"

    print(f"engagement of {args.tasks} tasks from {v1.name}, upgraded to {v2.name} ({url})")
    timed(engine, "upgrade --dry-run", upgrade(True))
    timed(engine, "upgrade", upgrade(False))
    timed(engine, "audit --verify (replay)", verify)


if __name__ == "__main__":
    main()
