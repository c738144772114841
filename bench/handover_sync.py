"""Time ``handover sync`` on an engagement with many access grants.

Seeds a fresh database through the CSV import path (``access.import_csv``, which creates
the people and systems and derives one revoke item per grant), then times:

- ``sync``: a reconcile with nothing to change (the normal case);
- ``sync after drift``: a reconcile that must resolve 10% of the items (grants revoked
  behind the checklist's back with a raw UPDATE) and recreate 10% (items deleted).

Usage: ``python bench/handover_sync.py [--grants 20000] [--db URL]`` (default: a SQLite
file in a temporary folder). Prints seconds and the number of SQL statements.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

from common import StatementCounter
from sqlalchemy import delete, update

from transition import db
from transition.dates import utcnow
from transition.models import AccessGrant, HandoverItem
from transition.playbooks import resolve_playbook
from transition.services import access, engagements, handover
from transition.services.common import get_engagement


def seed_csv(path: Path, grants: int) -> None:
    systems = 100
    people = max(1, -(-grants // systems))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["person", "system", "role", "expires", "justification"])
        n = 0
        for p in range(people):
            for s in range(systems):
                if n == grants:
                    return
                writer.writerow(
                    [f"Person {p:05d}", f"System {s:03d}", "operator", "cutover+30d", "support"]
                )
                n += 1


def timed(engine, label: str, fn) -> None:
    with StatementCounter(engine) as counter:
        started = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - started
    print(f"{label:<22} {elapsed:7.3f} s  {counter.count:4d} statements  {result}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grants", type=int, default=20_000)
    parser.add_argument("--db", default=None, help="database URL (default: temporary SQLite)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="transition-bench-"))
    url = args.db or f"sqlite:///{folder / 'bench.db'}"
    engine = db.get_engine(url)
    db.migrate(engine)
    playbook, raw, _ = resolve_playbook("managed-service-onboarding")
    csv_path = folder / "grants.csv"
    seed_csv(csv_path, args.grants)

    with db.session_scope(engine, actor="bench") as session:
        eng = engagements.create(session, name=f"Bench {folder.name}", playbook=playbook, raw=raw)
    slug = eng.slug

    def run(fn):
        def inner():
            with db.session_scope(engine, actor="bench") as session:
                return fn(session, get_engagement(session, slug))

        return inner

    timed(
        engine,
        f"import {args.grants} rows",
        run(
            lambda s, e: access.import_csv(s, e, csv_path, create_missing=True).model_dump(
                include={"imported", "handover"}
            )
        ),
    )
    timed(engine, "sync (in step)", run(lambda s, e: handover.reconcile(s, e)))

    def drift(session, eng):
        ids = [
            gid
            for (gid,) in session.execute(
                AccessGrant.__table__.select()
                .with_only_columns(AccessGrant.id)
                .where(AccessGrant.engagement_id == eng.id)
                .order_by(AccessGrant.id)
            )
        ]
        tenth = max(1, len(ids) // 10)
        session.execute(
            update(AccessGrant.__table__)
            .where(AccessGrant.id.in_(ids[:tenth]))
            .values(revoked_at=utcnow(), revoked_by="bench")
        )
        keys = [handover.derived_key("grant", gid) for gid in ids[-tenth:]]
        session.execute(
            delete(HandoverItem.__table__).where(
                HandoverItem.engagement_id == eng.id, HandoverItem.key.in_(keys)
            )
        )
        return f"revoked {tenth}, deleted {tenth} items"

    run(drift)()
    timed(engine, "sync (after drift)", run(lambda s, e: handover.reconcile(s, e)))
    timed(engine, "sync (in step again)", run(lambda s, e: handover.reconcile(s, e)))
    print(f"database: {db.describe(engine)}")


if __name__ == "__main__":
    main()
