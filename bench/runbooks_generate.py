"""Time generating runbook skeletons in one process: ``runbooks.generate`` in a loop.

Seeds a fresh database with one engagement, enough systems for ``--count`` skeletons
(every shipped template for every system) and a dozen people, then times:

- ``render only``: the sandboxed template render with the database context, the part
  the per-process template cache speeds up;
- ``generate``: the full service call per skeleton (render, path checks, file write,
  Runbook row, audit events, handover reconcile), all in one transaction;
- ``generate, commit each``: the same with one transaction per skeleton, as a script
  calling the command over and over in one process would.

Usage: ``python bench/runbooks_generate.py [--count 1000] [--db URL]`` (default: a SQLite
file in a temporary folder). Prints wall-clock and CPU seconds (CPU time is what the
process itself spent, unaffected by other load on the machine), per-skeleton milliseconds
and SQL statements.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from common import StatementCounter

from transition import db, templates
from transition.playbooks import resolve_playbook
from transition.services import engagements, people, runbooks, systems
from transition.services.common import get_engagement, get_system


def timed(engine, label: str, count: int, fn) -> float:
    with StatementCounter(engine) as counter:
        started, cpu = time.perf_counter(), time.process_time()
        fn()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"{label:<22} {count:5d} skeletons  {elapsed:6.3f} s wall  {cpu:6.3f} s cpu  "
        f"{elapsed / count * 1000:6.3f} ms each  {counter.count:6d} statements"
    )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--db", default=None, help="database URL (default: temporary SQLite)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="transition-bench-"))
    try:
        run(folder, args.count, args.db)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(folder: Path, count: int, url: str | None) -> None:
    engine = db.get_engine(url or f"sqlite:///{folder / 'bench.db'}")
    db.migrate(engine)
    names = [t.name for t in templates.available()]
    n_systems = -(-count // len(names))
    playbook, raw, _ = resolve_playbook("managed-service-onboarding")
    with db.session_scope(engine, actor="bench") as session:
        eng = engagements.create(
            session,
            name=f"Bench {folder.name}",
            playbook=playbook,
            raw=raw,
            client="Acme",
            incumbent="OldCo",
            provider="NewCo",
        )
        for i in range(n_systems):
            systems.add(session, eng, f"System {i:04d}", tier=1 + i % 3)
        for i, side in enumerate(["incumbent", "provider", "client"] * 4):
            people.add(
                session,
                eng,
                f"Person {i:02d}",
                side=side,
                role="service owner" if i < 3 else "engineer",
                email=f"p{i}@example.com",
            )
        slug = eng.slug
    jobs = [(f"System {i:04d}", name) for i in range(n_systems) for name in names][:count]

    def render_only() -> None:
        with db.session_scope(engine, actor="bench", write=False) as session:
            eng = get_engagement(session, slug)
            dirs = templates.search_dirs()
            for system, name in jobs:
                info = templates.get(name)
                values = runbooks.context(session, eng, get_system(session, eng, system))
                values["template"] = templates.Record(name=info.name, title=info.title)
                templates.render(info, values, dirs)

    def generate_all(out: Path) -> None:
        with db.session_scope(engine, actor="bench") as session:
            eng = get_engagement(session, slug)
            for system, name in jobs:
                runbooks.generate(session, eng, system=system, template=name, out_dir=out)

    def generate_each(out: Path) -> None:
        for system, name in jobs:
            with db.session_scope(engine, actor="bench") as session:
                eng = get_engagement(session, slug)
                runbooks.generate(
                    session, eng, system=system, template=name, out_dir=out, force=True
                )

    timed(engine, "render only", len(jobs), render_only)
    timed(engine, "generate", len(jobs), lambda: generate_all(folder / "out"))
    # regenerating (--force) the same runbooks: updates, never duplicates
    timed(engine, "generate, commit each", len(jobs), lambda: generate_each(folder / "out"))
    written = sum(1 for _ in (folder / "out").rglob("*.md"))
    with db.session_scope(engine, actor="bench", write=False) as session:
        rows = runbooks.list_runbooks(session, get_engagement(session, slug))
    print(f"files written: {written}, runbooks recorded: {len(rows)}")
    print(f"database: {db.describe(engine)}")


if __name__ == "__main__":
    main()
