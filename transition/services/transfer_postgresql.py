"""PostgreSQL writing an export's rows itself, as the file holds them.

``row_to_json`` of a row's cells named by their keys is the compact JSON the C encoder
writes (``transfer_export._row_encoder``), once times are given as ``plain`` writes them
(``time_text``); a probe row checks that once per database (``writes_json``) before the
export command relies on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, literal_column, select

from transition.services.transfer_export import _PROBE, Section, _row_encoder, _temporal


def can_write(connection: Any, cols: list[Any]) -> bool:
    """Whether PostgreSQL writes rows of these columns as the file holds them: no float
    (its text differs), times with their zone, and the server's JSON checked."""
    for col in cols:
        kind = getattr(col.type, "impl_instance", col.type)
        if isinstance(kind, Float):
            return False
        if _temporal(col) is datetime and not getattr(kind, "timezone", False):
            return False
    return writes_json(connection)


def written(
    connection: Any,
    table: Any,
    keys: list[str],
    cols: list[Any],
    where: Any,
    order: list[Any],
    join: Any,
) -> Section:
    """PostgreSQL writing each row as the file holds it: ``row_to_json`` of the row's
    cells named by their keys (compact, as ``_row_encoder``; times as ``plain`` writes
    them), as UTF-8 (see ``writes_json``)."""
    quote = connection.dialect.identifier_preparer.quote
    inner = select(
        *(
            literal_column(time_text(f"{quote(table.name)}.{quote(name)}")).label(name)
            if _temporal(col) is datetime
            else col.label(name)
            for name, col in zip(keys, cols, strict=True)
        )
    ).select_from(table)
    if join is not None:
        inner = inner.join(*join)
    if where is not None:
        inner = inner.where(where)
    row = inner.subquery("row")
    stmt = select(literal_column("convert_to(row_to_json(row)::text, 'UTF8')")).select_from(row)
    stmt = stmt.order_by(*(row.c[c.key] for c in order))
    with connection.execute(stmt) as result:
        rows = [(bytes(r[0]),) for r in result.cursor.fetchall()]
    return Section(keys, {None: rows}, True)


def time_text(cell: str) -> str:
    """A ``timestamptz`` cell as ``plain`` writes it: ISO 8601 in UTC, the microseconds
    only when there are some, all six digits."""
    utc = f"({cell} AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
        f"to_char({utc}, 'US') = '000000' THEN '' ELSE to_char({utc}, '.US') END || '+00:00'"
    )


#: What the probe asks PostgreSQL to write (text without NUL, which it never stores).
_PG_PROBE = (
    "SELECT row_to_json(p)::text FROM (SELECT CAST(%(text)s AS text) AS k, 7 AS n, "
    "CAST(NULL AS text) AS none, true AS yes, {at} AS at, {whole} AS whole, "
    "DATE '2026-01-02' AS day) p"
).format(
    at=time_text("CAST('2026-01-02 04:04:05.031380+01' AS timestamptz)"),
    whole=time_text("CAST('2026-01-02 03:04:05+00' AS timestamptz)"),
)


def writes_json(connection: Any) -> bool:
    """Whether this PostgreSQL server writes a row exactly as ``_row_encoder`` does
    (escapes, numbers, null, booleans, times and dates): asked once per database."""
    key = connection.engine.url
    known = _ASKED.get(key)
    if known is None:
        text = _PROBE.replace("\x00", "")
        got = connection.exec_driver_sql(_PG_PROBE, {"text": text}).scalar_one()
        want = {"k": text, "n": 7, "none": None, "yes": True}
        want.update(at="2026-01-02T03:04:05.031380+00:00", whole="2026-01-02T03:04:05+00:00")
        want["day"] = "2026-01-02"
        known = _ASKED[key] = got == "".join(_row_encoder()(want, 0))
    return known


_ASKED: dict[Any, bool] = {}
