"""Inserting many rows of one engagement (any table with ``id`` and ``engagement_id``)
at once, with their new ids back in row order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Insert, Table, insert, select
from sqlmodel import Session


def bulk_insert(session: Session, model: Any, rows: Sequence[Mapping[str, object]]) -> list[int]:
    """Insert ``rows`` (all of one engagement) in one executemany; return their ids in
    row order. PostgreSQL hands them back with RETURNING in batches. SQLite would insert
    row by row to keep RETURNING in order, so it inserts plainly and reads back the
    newest ids: the writer holds the database lock, and new rows get the highest ids."""
    if not rows:
        return []
    table = model.__table__
    if len(rows) == 1:  # the common single change: a plain Core insert is much cheaper
        session.flush()
        result = session.connection().execute(_insert(table), rows[0])
        return [result.inserted_primary_key[0]]
    if session.get_bind().dialect.name == "postgresql":
        return list(
            session.execute(
                insert(model).returning(model.id, sort_by_parameter_order=True), list(rows)
            ).scalars()
        )
    session.execute(insert(model), list(rows))
    ids = session.execute(
        select(model.id)
        .where(model.engagement_id == rows[0]["engagement_id"])
        .order_by(model.id.desc())
        .limit(len(rows))
    ).scalars()
    return sorted(ids)


@cache
def _insert(table: Table) -> Insert:
    """One Core insert per table, built once (executed with a dict of values)."""
    return insert(table)
