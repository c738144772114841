"""A bulk write leaves PostgreSQL's planner knowing the rows it wrote: without statistics
a freshly loaded table is planned as if it held nothing, and the access review's
anti-join ran as nested loops over every pair (seconds on twenty thousand grants)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from test_access import ENG, team, write  # noqa: F401  (fixture)

from transition.models import AccessGrant, HandoverItem
from transition.services import access
from transition.services.statistics import BULK_ROWS


def _planner_rows(session, table: str) -> float:
    """The row count the planner believes ``table`` holds (-1: never gathered)."""
    return session.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}
    ).scalar_one()


def test_a_bulk_import_gathers_the_planner_statistics(
    team,  # noqa: F811
    tmp_path,
    session_scope,
    engine,
):
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL plans from gathered statistics; SQLite from its indexes")
    people = 30
    grants = BULK_ROWS + 100
    lines = [
        f"Person {n % people},System {n // people},role-{n},cutover+30d,bulk\n"
        for n in range(grants)
    ]
    path = write(tmp_path, "person,system,role,expires,justification\n" + "".join(lines))
    with session_scope() as s:
        before = _planner_rows(s, AccessGrant.__tablename__)
        result = access.import_csv(s, ENG, path, create_missing=True)
    assert result.imported == grants
    with session_scope(write=False) as s:
        # Gathered in the import's own transaction: the planner counts what it wrote.
        assert _planner_rows(s, AccessGrant.__tablename__) >= grants > before
        # The exit checklist received an item per grant in the same bulk write.
        assert _planner_rows(s, HandoverItem.__tablename__) >= grants
