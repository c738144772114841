"""Inserting many rows of one engagement (any table with ``id`` and ``engagement_id``)
at once, with their new ids back in row order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Insert, Table, insert, select
from sqlmodel import Session

from transition.services.statistics import after_bulk_write


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
        new = list(
            session.execute(
                insert(model).returning(model.id, sort_by_parameter_order=True), list(rows)
            ).scalars()
        )
        after_bulk_write(session, model, len(rows))
        return new
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


def insert_keyed(
    session: Session,
    model: Any,
    rows: Sequence[Mapping[str, object]],
    *,
    key: Sequence[str],
    where: Any = None,
) -> list[int]:
    """Insert ``rows`` (all of one engagement) in one executemany without RETURNING, then
    read their ids back by ``key`` (columns unique within the engagement; ``where``
    narrows the read): two statements however many rows, on every backend (RETURNING
    comes back in pages of a thousand rows). Ids in row order."""
    if not rows:
        return []
    table = model.__table__
    session.flush()
    conn = session.connection()
    conn.execute(_insert(table), list(rows))
    columns = [table.c[k] for k in key]
    query = select(table.c.id, *columns).where(table.c.engagement_id == rows[0]["engagement_id"])
    if where is not None:
        query = query.where(where)
    found = {tuple(r[1:]): r[0] for r in conn.execute(query)}
    return [found[tuple(row[k] for k in key)] for row in rows]
