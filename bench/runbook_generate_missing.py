"""Time ``runbook generate ENG --missing``: every required runbook of many systems at once.

Seeds a fresh database with one engagement (managed-service-onboarding), enough tier-1
systems for ``--count`` required runbooks (six each) and a dozen people, then times
``runbook_generate.generate_missing`` in one transaction, commit included: the render
per skeleton, the rows, audit events and handover items, and the files (written to
temporary files, flushed to disk once, renamed into place). A second call, with nothing
left to make, shows the cost of finding that out.

Usage: ``python bench/runbook_generate_missing.py [--count 1000] [--db URL] [--dir DIR]``
(default: a temporary folder from the system, removed afterwards; never the current one).
Prints wall-clock seconds, the process's user and system CPU seconds and SQL statements.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from common import StatementCounter

from transition import db
from transition.playbooks import resolve_playbook
from transition.services import engagements, people, runbook_generate, systems
from transition.services.common import get_engagement

PER_SYSTEM = 6  # runbooks the playbook requires of a tier-1 system


def timed(engine, label: str, fn) -> tuple[float, object]:
    with StatementCounter(engine) as counter:
        before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        result = fn()
        elapsed, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
    made = len(result.runbooks)
    print(
        f"{label:<28} {made:5d} skeletons  {elapsed:6.3f} s wall  "
        f"{after.ru_utime - before.ru_utime:6.3f} s user  "
        f"{after.ru_stime - before.ru_stime:6.3f} s sys  {counter.count:6d} statements"
    )
    return elapsed, result


def run(folder: Path, count: int, url: str | None) -> float:
    """Seed, generate the missing runbooks, check them; the seconds it took."""
    engine = db.get_engine(url or f"sqlite:///{folder / 'bench.db'}")
    db.migrate(engine)
    playbook, raw, _ = resolve_playbook("managed-service-onboarding")
    with db.session_scope(engine, actor="bench") as session:
        eng = engagements.create(
            session, name=f"Bench {folder.name}", playbook=playbook, raw=raw, provider="NewCo"
        )
        for i in range(-(-count // PER_SYSTEM)):
            systems.add(session, eng, f"System {i:04d}", tier=1)
        for i, side in enumerate(["incumbent", "provider", "client"] * 4):
            people.add(
                session, eng, f"Person {i:02d}", side=side, role="service owner" if i < 3 else None
            )
        slug = eng.slug
    out = folder / "runbooks"

    def generate():
        with db.session_scope(engine, actor="bench") as session:
            return runbook_generate.generate_missing(
                session, get_engagement(session, slug), out_dir=out
            )

    elapsed, result = timed(engine, "generate --missing", generate)
    _, again = timed(engine, "generate --missing, again", generate)
    written = sum(1 for _ in out.rglob("*.md"))
    if written != len(result.runbooks) or again.runbooks:
        raise SystemExit(f"expected {len(result.runbooks)} files and nothing more, found {written}")
    print(f"files written: {written}; database: {db.describe(engine)}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--db", default=None, help="database URL (default: temporary SQLite)")
    parser.add_argument("--dir", type=Path, default=None, help="parent of the temporary folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="transition-bench-", dir=args.dir))
    try:
        run(folder, args.count, args.db)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
