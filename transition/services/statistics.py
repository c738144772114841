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

``ANALYZE`` holds its table's lock to the end of the transaction, and another writer's
``ANALYZE`` of the same table waits for it. A writer takes the audit chain's lock first
(``audit.hold_chain``), which every change takes anyway at its first event: two bulk
writers are then serialised by that one lock, and neither can hold a table's lock while
waiting for the chain held by the other.
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
    if bind.dialect.name != "postgresql":
        return
    from transition.services import audit

    audit.hold_chain(session)
    name = getattr(table, "__table__", table).name
    session.execute(text(f"ANALYZE {bind.dialect.identifier_preparer.quote(name)}"))
