"""The planner's statistics after a bulk write, on PostgreSQL.

PostgreSQL plans a query from statistics that autovacuum gathers in the background, a
minute or so after a table changes, and never when it is turned off. Until then a table
that has just received twenty thousand rows is planned as the handful it held before,
and an anti-join over it (the access review's missing grants, the exit checklist's
comparison with its sources) runs as nested loops over every pair: seconds instead of
milliseconds. So a write of many rows gathers the table's statistics itself, in its own
transaction (``ANALYZE`` counts the rows the transaction inserted), as PostgreSQL's
documentation advises after a bulk load, so the rest of the change (deriving the exit
checklist's items of twenty thousand grants) is planned knowing them too. ``ANALYZE``
reads a fixed-size sample, so its cost does not grow with the table. SQLite plans from
its indexes and needs nothing. The audit log is left to autovacuum: it is read through
its indexes on engagement and time (no join is planned from its column statistics), and
it is the largest table, written to by every change.

``ANALYZE`` holds its table's lock to the end of the transaction, and another
``ANALYZE`` of that table would wait for it. A writer waiting there while holding what the
first one waits for next (the audit chain, a row it inserted) would deadlock with it, so
statistics never wait: ``SKIP_LOCKED`` passes over a table another writer (or
autovacuum) is analysing at that moment, and that one gathers its statistics instead.
Nothing else a change locks is touched, so the order in which writers take the audit
chain and meet each other's keys is the same as without statistics. (A rolled-back bulk
write leaves the table's estimated size behind, which PostgreSQL keeps outside the
transaction, until autovacuum next looks: an over-estimate, which plans hash joins.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import Session

#: From how many rows written at once into a table its statistics are gathered.
BULK_ROWS = 500


def after_bulk_write(session: Session, table: Any, rows: int) -> None:
    """Gather ``table``'s statistics when ``rows`` rows were just written into it in one
    go, on PostgreSQL. ``table`` is a SQLModel table class or a Core ``Table``."""
    if rows < BULK_ROWS:
        return
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or bind.dialect.server_version_info < (12,):
        return  # ``SKIP_LOCKED`` came with PostgreSQL 12
    name = getattr(table, "__table__", table).name
    quoted = bind.dialect.identifier_preparer.quote(name)
    session.execute(text(f"ANALYZE (SKIP_LOCKED) {quoted}"))
