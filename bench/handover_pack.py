"""Time ``handover pack`` (and ``--verify``) on an engagement with many access grants.

Seeds a fresh database through the CSV import path, as ``handover_sync.py`` does
(``seed_csv``: 100 systems, one grant per person and system, each with a derived revoke
item), revokes a tenth of the grants through ``access.revoke`` (so the ledger has
revocations with reasons), then times writing the pack to a folder and to a zip file, and
verifying each. Prints wall-clock and CPU seconds (the CPU figure is
the one to compare on a busy machine), the number of SQL statements and the pack's size.

Usage: ``python bench/handover_pack.py [--grants 20000] [--db URL]`` (default: a SQLite
file in a temporary folder, removed afterwards).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from common import StatementCounter
from handover_sync import seed_csv

from transition import db
from transition.playbooks import resolve_playbook
from transition.services import access, engagements, pack
from transition.services.common import get_engagement


def timed(engine, label: str, fn) -> float:
    with StatementCounter(engine) as counter:
        started, cpu = time.perf_counter(), time.process_time()
        result = fn()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"{label:<26} {elapsed:7.3f} s wall  {cpu:7.3f} s CPU  {counter.count:4d} statements  "
        f"{result}"
    )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grants", type=int, default=20_000)
    parser.add_argument("--db", default=None, help="database URL (default: temporary SQLite)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="transition-bench-", dir="."))
    try:
        run(folder, args.grants, args.db or f"sqlite:///{folder / 'bench.db'}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(folder: Path, grants: int, url: str) -> None:
    engine = db.get_engine(url)
    db.migrate(engine)
    playbook, raw, _ = resolve_playbook("managed-service-onboarding")
    csv_path = folder / "grants.csv"
    seed_csv(csv_path, grants)
    with db.session_scope(engine, actor="bench") as session:
        eng = engagements.create(session, name=f"Bench {folder.name}", playbook=playbook, raw=raw)
        slug = eng.slug
    with db.session_scope(engine, actor="bench") as session:
        access.import_csv(session, get_engagement(session, slug), csv_path, create_missing=True)
    with db.session_scope(engine, actor="bench") as session:
        ids = [g.id for g in access.list_grants(session, slug)]
        for gid in ids[:: max(1, 10)]:
            access.revoke(session, slug, gid, reason="left the team")

    def write(target: Path):
        def inner() -> str:
            with db.session_scope(engine, actor="bench", write=False) as session:
                written = pack.write_pack(session, slug, target)
            size = sum(f.bytes for f in written.files)
            return f"{len(written.files)} files, {size / 1e6:.1f} MB"

        return inner

    timed(engine, f"pack {grants} grants (dir)", write(folder / "pack"))
    timed(engine, f"pack {grants} grants (zip)", write(folder / "pack.zip"))
    timed(engine, "verify (dir)", lambda: f"{pack.verify_pack(folder / 'pack').files} files")
    timed(engine, "verify (zip)", lambda: f"{pack.verify_pack(folder / 'pack.zip').files} files")
    print(f"database: {db.describe(engine)}")


if __name__ == "__main__":
    main()
