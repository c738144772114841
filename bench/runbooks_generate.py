"""Time generating runbook skeletons in one process: ``runbooks.generate`` in a loop.

Seeds a fresh database with one engagement, enough systems for ``--repeat`` rounds of
``--count`` new skeletons (every shipped template for every system) and a dozen people,
then times:

- ``render only``: the sandboxed template render with the database context, the part
  the per-process template cache speeds up;
- ``generate``: the full service call per skeleton (render, path checks, file write,
  Runbook row, audit events, handover reconcile), one transaction per round, ``--repeat``
  rounds on new systems each (file creation time on a virtual disk varies from round to
  round: the median is the figure to quote);
- ``new, commit each``: one more round of new skeletons with one transaction each, as a
  script calling the command over and over in one process would;
- ``regenerate, commit each``: regenerating (``force``) the first round's skeletons, one
  transaction each: the runbooks are updated, never duplicated.

Usage: ``python bench/runbooks_generate.py [--count 1000] [--repeat 5] [--db URL]
[--dir DIR]`` (default: a SQLite file in a temporary folder under the current one, removed
afterwards). Creating files costs very different amounts on different file systems (a
shared ``/tmp`` can be many times slower than a project folder), so pick ``--dir`` on
the disk where runbooks will live. Prints wall-clock seconds, the
process's own user and system CPU seconds (system: time in the kernel, mostly creating
files), per-skeleton milliseconds and SQL statements.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

from common import StatementCounter

from transition import db, templates
from transition.playbooks import resolve_playbook
from transition.services import engagements, people, runbooks, systems
from transition.services.common import get_engagement, get_system


def timed(engine, label: str, count: int, fn) -> float:
    """Run ``fn`` and print its wall-clock time, split into the process's own user and
    system (kernel: file creation, database I/O) CPU time."""
    with StatementCounter(engine) as counter:
        before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        fn()
        elapsed, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    print(
        f"{label:<24} {count:5d} skeletons  {elapsed:6.3f} s wall  {user:6.3f} s user  "
        f"{system:6.3f} s sys  {elapsed / count * 1000:6.3f} ms each  "
        f"{counter.count:6d} statements"
    )
    return elapsed


def disk_reference(folder: Path, count: int) -> float:
    """Seconds to create ``count`` small files (nine per folder, like the skeletons) with
    plain Python: what the disk alone costs, which varies a lot between machines and from
    minute to minute on shared ones."""
    started = time.perf_counter()
    for i in range(count):
        sub = folder / f"s{i // 9}"
        if i % 9 == 0:
            sub.mkdir(parents=True)
        with open(sub / f"f{i}.md", "x", encoding="utf-8") as handle:
            handle.write("x" * 4000)
    elapsed = time.perf_counter() - started
    print(f"{'disk reference':<24} {count:5d} plain files  {elapsed:6.3f} s wall")
    shutil.rmtree(folder)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5, help="rounds of --count new skeletons")
    parser.add_argument("--db", default=None, help="database URL (default: temporary SQLite)")
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path.cwd(),
        help="where the temporary folder for the skeletons (and the SQLite file) goes; "
        "default: the current folder, as `runbook new` writes under ./runbooks",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix=".transition-bench-", dir=args.dir))
    try:
        run(folder, args.count, args.db, repeat=args.repeat)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(folder: Path, count: int, url: str | None, *, repeat: int = 1) -> dict[str, float]:
    """Seed, time every mode, check what was written; returns the timings (seconds)."""
    engine = db.get_engine(url or f"sqlite:///{folder / 'bench.db'}")
    db.migrate(engine)
    names = [t.name for t in templates.available()]
    per_round = -(-count // len(names))
    n_rounds = repeat + 1  # the last one: new skeletons, one transaction each
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
        for i in range(per_round * n_rounds):
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
    rounds = [
        [
            (f"System {i:04d}", name)
            for i in range(r * per_round, (r + 1) * per_round)
            for name in names
        ][:count]
        for r in range(n_rounds)
    ]
    out = folder / "out"

    def render_only(jobs: list[tuple[str, str]]) -> None:
        with db.session_scope(engine, actor="bench", write=False) as session:
            eng = get_engagement(session, slug)
            dirs = templates.search_dirs()
            for system, name in jobs:
                info = templates.get(name)
                values = runbooks.context(session, eng, get_system(session, eng, system))
                values["template"] = templates.Record(name=info.name, title=info.title)
                templates.render(info, values, dirs)

    def one_transaction(jobs: list[tuple[str, str]]) -> None:
        with db.session_scope(engine, actor="bench") as session:
            eng = get_engagement(session, slug)
            for system, name in jobs:
                runbooks.generate(session, eng, system=system, template=name, out_dir=out)

    def commit_each(jobs: list[tuple[str, str]], *, force: bool) -> None:
        for system, name in jobs:
            with db.session_scope(engine, actor="bench") as session:
                eng = get_engagement(session, slug)
                runbooks.generate(
                    session, eng, system=system, template=name, out_dir=out, force=force
                )

    jobs = rounds[0]
    timings = {"disk reference": disk_reference(folder / "reference", len(jobs))}
    timings["render only"] = timed(engine, "render only", len(jobs), partial(render_only, jobs))
    rounds_s = [
        timed(engine, f"generate, round {r + 1}", len(batch), partial(one_transaction, batch))
        for r, batch in enumerate(rounds[:repeat])
    ]
    timings["generate median"] = statistics.median(rounds_s)
    print(
        f"generate: median {timings['generate median']:.3f} s, best {min(rounds_s):.3f} s "
        f"per {len(jobs)} skeletons over {repeat} round(s)"
    )
    last = rounds[-1]
    timings["disk reference, again"] = disk_reference(folder / "reference", len(jobs))
    timings["new, commit each"] = timed(
        engine, "new, commit each", len(last), partial(commit_each, last, force=False)
    )
    # regenerating (--force) runbooks that exist: updates, never duplicates
    timings["regenerate, commit each"] = timed(
        engine, "regenerate, commit each", len(jobs), partial(commit_each, jobs, force=True)
    )
    written = sum(1 for _ in out.rglob("*.md"))
    with db.session_scope(engine, actor="bench", write=False) as session:
        rows = runbooks.list_runbooks(session, get_engagement(session, slug))
    expected = sum(len(batch) for batch in rounds)
    if written != expected or len(rows) != expected:
        raise SystemExit(f"expected {expected} files and runbooks, found {written} and {len(rows)}")
    print(f"files written: {written}, runbooks recorded: {len(rows)}")
    print(f"database: {db.describe(engine)}")
    return timings


if __name__ == "__main__":
    main()
