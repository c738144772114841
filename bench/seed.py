"""Build a large, realistic database through the services (bulk paths where they exist).

    python bench/seed.py --db sqlite:///bench.db [--size small|full|one-big]

Full size: 50 engagements, 10,000 tasks (a generated 200-task playbook), 20,000 access
grants (``access.import_csv``, which creates the people and inserts in bulk), 5,000 KT
sessions, 2,000 runbooks (files written under ``--runbooks DIR``). Small size is the same
shape, scaled down to run in seconds. One-big puts the same volume in ONE engagement
(a 10,000-task playbook, 500 systems, 300 people, 20,000 grants spread over them), as a
large client's transition has. Deterministic: the same size gives the same data.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Size:
    engagements: int
    phases: int
    tasks_per_phase: int
    systems: int
    people: int  # provider people per engagement
    kt_per_engagement: int
    runbooks_per_engagement: int
    done_per_engagement: int
    grants: int = 0  # grants per engagement; 0: every person × every system

    def grant_pairs(self) -> list[tuple[int, int]]:
        """(person, system) of each grant: all pairs, or ``grants`` pairs spread over every
        system, no pair twice (person p's k-th grant is on system 7k + p)."""
        if not self.grants:
            return [(p, s) for p in range(self.people) for s in range(self.systems)]
        if self.grants > self.people * self.systems:
            raise ValueError("more grants than person × system pairs")
        step = next(n for n in (7, 11, 13, 1) if self.systems % n)
        return [
            (i % self.people, (i // self.people * step + i % self.people) % self.systems)
            for i in range(self.grants)
        ]


SIZES = {
    # 50 × 200 tasks = 10,000; 50 × 40 × 10 grants = 20,000; 50 × 100 KT = 5,000;
    # 50 × 40 runbooks = 2,000.
    "full": Size(50, 5, 40, 10, 40, 100, 40, 30),
    "small": Size(3, 5, 8, 4, 5, 6, 4, 6),
    # One engagement: 10 × 1,000 tasks, 500 systems, 300 people, 20,000 grants, 5,000 KT
    # sessions, 2,000 runbooks (4 templates × 500 systems).
    "one-big": Size(1, 10, 1000, 500, 300, 5000, 2000, 1500, grants=20000),
}
TEMPLATES = ("incident-response", "service-restart", "backup-restore", "monitoring-alerts")
KINDS = ("walkthrough", "shadow", "reverse-shadow", "qa")


def playbook_yaml(size: Size) -> str:
    lines = [
        "name: bench-playbook",
        "title: Benchmark playbook",
        "version: 1",
        "handover: standard-exit",
        f"runbooks: [{', '.join(TEMPLATES)}]",
        "phases:",
    ]
    for p in range(size.phases):
        lines += [f"  - key: phase-{p}", f"    title: Phase {p}", "    duration: 3w", "    tasks:"]
        for t in range(size.tasks_per_phase):
            lines += [
                f"      - key: p{p}-t{t}",
                f"        title: Task {t} of phase {p} - prepare, review and sign off item {t}",
                "        owner: transition-manager",
                f"        due: +{(t * 20) // max(size.tasks_per_phase, 1)}d",
            ]
            if t % 4:
                lines.append(f"        depends_on: [p{p}-t{t - 1}]")
        lines.append("    gate: [tasks_done, systems_registered]")
    return "\n".join(lines) + "\n"


def grants_csv(size: Size, today: date, n: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["person", "system", "role", "expires", "justification"])
    for p, s in size.grant_pairs():
        expires = "" if (p + s) % 17 == 0 else (today + timedelta(days=5 + (p * s) % 200))
        role = "admin" if (p + s + n) % 23 == 0 else ("operator", "reader", "agent")[s % 3]
        why = "" if role == "admin" and p % 2 else f"Needs {role} for KT and operations"
        writer.writerow([f"Engineer {p:02d}", f"System {s:02d}", role, expires, why])
    return out.getvalue()


def seed(
    url: str,
    size: Size,
    runbook_dir: Path,
    *,
    quiet: bool = False,
    prefix: str = "Bench Engagement",
) -> dict[str, float]:
    from transition import db
    from transition.dates import today
    from transition.playbooks import resolve_playbook
    from transition.services import access, engagements, kt, people, runbooks, systems, tasks

    timings: dict[str, float] = {}

    def phase(name: str, start: float) -> None:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start

    engine = db.get_engine(url)
    db.migrate(engine)
    now = today()
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "bench-playbook.yaml"
        book.write_text(playbook_yaml(size), encoding="utf-8")
        pb, raw, _ = resolve_playbook(str(book))
        for n in range(size.engagements):
            with db.session_scope(engine, actor="bench") as session:
                t = time.perf_counter()
                eng = engagements.create(
                    session,
                    name=f"{prefix} {n:03d}",
                    playbook=pb,
                    raw=raw,
                    client=f"Client {n}",
                    incumbent="Incumbent Ltd",
                    provider="Provider plc",
                    start=now - timedelta(days=20 + n % 30),
                )
                for s in range(size.systems):
                    systems.add(session, eng, f"System {s:02d}", tier=1 + s % 3)
                for i in range(3):
                    people.add(
                        session,
                        eng,
                        f"Incumbent {i}",
                        side="incumbent",
                        release_date=now + timedelta(days=21 + 20 * i),  # after their sessions
                    )
                phase("engagements, systems, people", t)

                t = time.perf_counter()
                path = Path(tmp) / f"grants-{n}.csv"
                path.write_text(grants_csv(size, now, n), encoding="utf-8")
                access.import_csv(session, eng, path, create_missing=True)
                phase("grants (CSV bulk import)", t)

                t = time.perf_counter()
                for k in range(size.kt_per_engagement):
                    row = kt.schedule(
                        session,
                        eng,
                        system=f"System {k % size.systems:02d}",
                        topic=f"Session {k}: operations walkthrough",
                        presenters=[f"Incumbent {k % 3}"],
                        attendees=[f"Engineer {k % size.people:02d}"],
                        at=datetime.combine(
                            now + timedelta(days=k % 40 - 20), dtime(9 + k % 8), tzinfo=UTC
                        ),
                        kind=KINDS[k % 4],
                    )
                    if k % 40 < 20 and k % 3:
                        kt.hold(session, eng, row.id)
                        if k % 2:
                            kt.signoff(session, eng, row.id, by=f"Engineer {k % size.people:02d}")
                phase("KT sessions", t)

                t = time.perf_counter()
                out = runbook_dir / eng.slug
                for r in range(size.runbooks_per_engagement):
                    system = f"System {r // len(TEMPLATES) % size.systems:02d}"
                    made = runbooks.generate(
                        session,
                        eng,
                        system=system,
                        template=TEMPLATES[r % len(TEMPLATES)],
                        out_dir=out,
                        force=True,
                    )
                    if r % 3 == 0:
                        runbooks.set_status(
                            session,
                            eng,
                            made.id,
                            "reviewed",
                            force=True,
                            reason="benchmark data: reviewed with its placeholders",
                        )
                phase("runbooks", t)

                t = time.perf_counter()
                keys = [f"p0-t{t_}" for t_ in range(size.tasks_per_phase)]
                keys += [f"p1-t{t_}" for t_ in range(size.tasks_per_phase)]
                for key in keys[: size.done_per_engagement]:
                    tasks.set_status(session, eng, key, "done")
                tasks.set_status(session, eng, f"p1-t{size.tasks_per_phase - 1}", "blocked")
                phase("task updates", t)
            if not quiet:
                print(f"\rseeded {n + 1}/{size.engagements} engagements", end="", flush=True)
    if not quiet:
        print()
    # The planner's statistics, as a database in use has them: PostgreSQL's autovacuum
    # gathers them after a bulk load, unless it is turned off (as on a test server), and
    # without them a freshly loaded table is planned as if it held a row or two.
    engine = db.get_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:  # kept: statistics roll back with their transaction
            conn.exec_driver_sql("ANALYZE")
    # Closed, SQLite's last connection folds the write-ahead log into the file, as the
    # command-line tool does at exit; otherwise each measured process would first read it.
    db.reset_engines()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, metavar="URL")
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--runbooks", type=Path, default=None, metavar="DIR")
    args = parser.parse_args()
    folder = args.runbooks or Path(tempfile.mkdtemp(prefix="transition-bench-runbooks-"))
    start = time.perf_counter()
    timings = seed(args.db, SIZES[args.size], folder)
    for name, seconds in timings.items():
        print(f"  {name:32s} {seconds:8.2f} s")
    print(f"seeded in {time.perf_counter() - start:.1f} s (runbooks in {folder})")


if __name__ == "__main__":
    main()
