"""Reading an export's rows and writing them as the file holds them.

Each table is read with one Core select of plain tuples (no ORM objects). On SQLite the
dates and times come out of the select as the ISO 8601 text the file carries, and for the
export command each row comes out already written as the file holds it (SQLite's
``json_object`` and PostgreSQL's ``row_to_json`` write a row as the JSON encoder does,
which is checked once): no cell is touched in Python. Elsewhere (another database, or a
date stored in a form this program does not write, which is then read as the database
type gives it) rows become mappings of column to cell, encoded by the C JSON encoder a
chunk of rows at a time. The rows that carry a runbook file's text are encoded cell by
cell with ``orjson`` (the same text as ``json.dumps(..., ensure_ascii=False)``, escaping
included, far faster on megabytes). Sections are handed on in pieces of a few hundred
kilobytes, never as one string.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from datetime import UTC, date, datetime
from itertools import groupby, repeat
from json import encoder as _json
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import Boolean, Date, DateTime, Float, literal_column, select
from sqlmodel import Session, SQLModel

from transition.models import Engagement, KTSession, Meeting, Task
from transition.services.transfer_tables import SECTIONS, columns
from transition.services.views.transfer import Row

#: Sections whose rows belong to an engagement through another table: section → (the
#: owning table, the column of this one that points at it).
OWNED_THROUGH = {
    "task_dependencies": (Task, "task_id"),
    "kt_participants": (KTSession, "session_id"),
    "kt_topics": (KTSession, "session_id"),
    "meeting_attendees": (Meeting, "meeting_id"),
    "meeting_actions": (Meeting, "meeting_id"),
}
#: Sections whose rows carry long text (a runbook's file): encoded cell by cell.
LONG_TEXT = ("runbooks",)
#: Between two rows of a section, and before the first.
ROW_BREAK = ",\n    "
#: Within a row: after a key, between two cells (a row is one compact line; the
#: database's ``json_object`` writes it so).
ROW_SEPARATORS = (":", ",")

#: SQLite keeps a time as ``YYYY-MM-DD HH:MM:SS[.ffffff]`` and a date as ``YYYY-MM-DD``.
_D = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
_T = "[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
_US = ".[0-9][0-9][0-9][0-9][0-9][0-9]"


class Section:
    """One section's rows, grouped by the engagement they belong to, each group in the
    file's order. A row is its cells in the order of ``keys`` (it may carry more cells
    after them, which are not written), or, when ``written``, a one-cell row holding
    the row as the file writes it (UTF-8)."""

    __slots__ = ("keys", "by_engagement", "written")

    def __init__(
        self, keys: list[str], by_engagement: dict[Any, Sequence[Any]], written: bool = False
    ):
        self.keys = keys
        self.by_engagement = by_engagement
        self.written = written

    def rows(self, engagement_id: Any) -> Sequence[Any]:
        return self.by_engagement.get(engagement_id, ())


# --------------------------------------------------------------------------- reading


def _temporal(column: Any) -> type | None:
    kind = getattr(column.type, "impl_instance", column.type)
    if isinstance(kind, DateTime):
        return datetime
    if isinstance(kind, Date):
        return date
    return None


def plain(value: Any) -> Any:
    """A cell as the file carries it: dates and times as ISO 8601 text (times in UTC)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _sqlite_text(name: str, kind: type) -> tuple[str, str]:
    """The SQL that gives a stored SQLite date or time as the file's text, and the SQL
    that is true when the stored value is not in the form this program writes (then the
    first is not used)."""
    if kind is date:
        return name, f"({name} IS NOT NULL AND {name} NOT GLOB '{_D}')"
    whole = f"{_D} {_T}"
    odd = f"({name} NOT GLOB '{whole}{_US}' AND {name} NOT GLOB '{whole}')"
    return f"replace(replace({name}, ' ', 'T'), '.000000', '') || '+00:00'", odd


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _row_sql(model: type[SQLModel], keys: list[str], quote: Any) -> str:
    """SQLite writing a row as the file holds it (``_row_encoder``; see
    ``_sqlite_writes_json``), as UTF-8: one ``json_object`` call, which quotes as the
    encoder does and is about twice as fast as quoting each cell apart."""
    table = model.__table__
    pairs = []
    for name in keys:
        col = table.c[name]
        cell = f"{quote(table.name)}.{quote(name)}"
        kind = _temporal(col)
        if kind is not None:
            value = _sqlite_text(cell, kind)[0]
        elif isinstance(getattr(col.type, "impl_instance", col.type), Boolean):
            value = (
                f"json(CASE WHEN {cell} THEN 'true' WHEN NOT {cell} THEN 'false' ELSE 'null' END)"
            )
        else:
            value = cell
        pairs.append(f"{_literal(name)}, {value}")
    return f"CAST(json_object({', '.join(pairs)}) AS BLOB)"


#: Text that holds every character the JSON encoder escapes, and some it leaves alone.
_PROBE = "".join(map(chr, range(32))) + '"\\/\x7f é€\u2028\U0001f600'


@functools.cache
def _sqlite_writes_json() -> bool:
    """Whether the SQLite library writes a row exactly as ``_row_encoder`` does (its JSON
    functions may be missing, or escape otherwise): asked once, of an in-memory
    database of the same library, with text, a number, a null and a boolean."""
    import sqlite3

    try:
        with closing(sqlite3.connect(":memory:")) as probe:
            got = probe.execute(
                "SELECT json_object(?, ?, 'n', 7, 'none', NULL, 'yes', json('true'))",
                (_PROBE, _PROBE),
            ).fetchone()[0]
    except sqlite3.Error:  # no JSON functions in this build
        return False
    return got == "".join(_row_encoder()({_PROBE: _PROBE, "n": 7, "none": None, "yes": True}, 0))


def _read(
    session: Session,
    model: type[SQLModel],
    where: Any,
    order: list[Any],
    *,
    owner: Any = None,
    join: Any = None,
    written: bool = False,
) -> Section:
    """The rows of ``model`` in ``order`` as one group (``None``): each its cells, then
    ``owner`` (the engagement it belongs to) when given; or, with ``written``, where the
    database can, each as the file writes it, then ``owner``."""
    table = model.__table__
    keys = columns(model)
    cols = [table.c[name] for name in keys]
    connection = session.connection()
    fast = connection.dialect.name == "sqlite"
    driver = connection.dialect.driver == "pysqlite"  # the library ``sqlite3`` loads
    quote = connection.dialect.identifier_preparer.quote
    exprs: list[Any] = []
    odd: list[str] = []
    temporal: list[int] = []
    for i, col in enumerate(cols):
        kind = _temporal(col)
        if kind is None:
            exprs.append(col)
        elif fast:
            text, check = _sqlite_text(f"{quote(table.name)}.{quote(col.name)}", kind)
            exprs.append(literal_column(text))
            odd.append(check)
        else:
            exprs.append(col)
            temporal.append(i)
    asked = written
    written = (
        written
        and driver
        and not any(isinstance(c.type, Float) for c in cols)
        and _sqlite_writes_json()
    )
    if written:
        exprs = [literal_column(_row_sql(model, keys, quote))]
    elif asked and owner is None and connection.dialect.name == "postgresql":
        from transition.services import transfer_postgresql as postgresql

        if postgresql.can_write(connection, cols):
            return postgresql.written(connection, table, keys, cols, where, order, join)
    extra = [owner] if owner is not None else []
    if odd:
        extra.append(literal_column(" OR ".join(odd)))

    def run(selected: list[Any], raw: bool = False) -> list[Any]:
        stmt = select(*selected, *extra).select_from(table)
        if join is not None:
            stmt = stmt.join(*join)
        if where is not None:
            stmt = stmt.where(where)
        result = connection.execute(stmt.order_by(*order))
        if not raw:
            return result.all()
        # Every cell is text the database made: the driver's tuples as they are.
        with result:
            return result.cursor.fetchall()

    rows = run(exprs, raw=written)
    if odd and any(map(itemgetter(-1), rows)):
        # A date or time stored in another form: read as the database type gives it.
        rows, written = run(cols), False
        temporal = [i for i, col in enumerate(cols) if _temporal(col) is not None]
    if temporal:
        rows = [_converted(row, temporal) for row in rows]
    return Section(keys, {None: rows}, written)


def _converted(row: Sequence[Any], temporal: list[int]) -> list[Any]:
    values = list(row)
    for i in temporal:
        if values[i] is not None:
            values[i] = plain(values[i])
    return values


def read_tables(
    session: Session, ids: list[int] | None, *, with_audit: bool = True, written: bool = False
) -> tuple[list[Row], Iterable[tuple[str, Section]]]:
    """The engagements (``ids``, or all of them) in slug order, and every section's rows
    grouped by engagement, one select per table (rows as the file writes them where the
    database can, with ``written``). For one engagement named by id the sections are
    read one by one as they are taken (each can be dropped once written); otherwise all
    of them now."""
    engagements = [
        dict(zip(e.keys, row, strict=False))
        for e in [
            _read(
                session,
                Engagement,
                Engagement.id.in_(ids) if ids is not None else None,
                [Engagement.slug],
            )
        ]
        for row in e.rows(None)
    ]
    one = engagements[0]["id"] if ids is not None and len(engagements) == 1 else None
    sections = (
        (name, _section(session, name, ids, one, with_audit=with_audit, written=written))
        for name in SECTIONS
    )
    return engagements, sections if one is not None else list(sections)


def _section(
    session: Session,
    name: str,
    ids: list[int] | None,
    one: int | None,
    *,
    with_audit: bool,
    written: bool,
) -> Section:
    model = SECTIONS[name]
    if name == "audit_events" and not with_audit:
        return Section(columns(model), {})
    if name in OWNED_THROUGH:
        parent, link = OWNED_THROUGH[name]
        owner = parent.engagement_id
        join = (parent, parent.id == model.__table__.c[link])
        order = [*model.__table__.primary_key.columns]
    else:
        owner, join = model.engagement_id, None
        order = [model.id]
    where = owner.in_(ids) if ids is not None else None
    if one is None:
        order = [owner, *order]
    table = _read(
        session,
        model,
        where,
        order,
        owner=owner if one is None else None,
        join=join,
        written=written and name not in LONG_TEXT,
    )
    rows = table.by_engagement[None]
    if one is not None:
        table.by_engagement = {one: rows}
    else:
        at = itemgetter(1 if table.written else len(table.keys))
        table.by_engagement = {eid: list(group) for eid, group in groupby(rows, at)}
    return table


# --------------------------------------------------------------------------- writing

#: Rows encoded and handed on together: pieces of a few hundred kilobytes.
CHUNK = 1000
#: The same for rows that carry long text.
LONG_CHUNK = 8


def _encoder() -> Any:
    """``json.dumps(value, ensure_ascii=False)``, built once (``dumps`` builds one per
    call)."""
    return json.JSONEncoder(ensure_ascii=False).encode


def _row_encoder() -> Any:
    """The C encoder of one row (a mapping of column to cell) as ``json.dumps(row,
    ensure_ascii=False, separators=ROW_SEPARATORS)`` writes it, called as
    ``encode(row, 0)``."""
    make = _json.c_make_encoder
    if make is None:  # pragma: no cover - CPython always has the C encoder
        whole = _encoder()
        return lambda row, _level: (whole(row),)
    return make(None, None, _json.encode_basestring, None, *ROW_SEPARATORS, False, False, True)


def _chunks(rows: Sequence[Any], keys: list[str] | None, size: int) -> Iterator[Iterable[Any]]:
    """``rows`` a few at a time, as mappings of column to cell (made from ``keys`` and
    each row's cells when given, one chunk at a time)."""
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        yield chunk if keys is None else map(dict, map(zip, repeat(keys), chunk))


def encode_rows(rows: Sequence[Any], keys: list[str] | None = None) -> Iterator[bytes]:
    """Rows one per line (joined by ``ROW_BREAK``), in UTF-8 pieces of ``CHUNK`` rows;
    a row is a mapping of column to cell, or its cells in the order of ``keys``."""
    encode = _row_encoder()
    for chunk in _chunks(rows, keys, CHUNK):
        yield ROW_BREAK.join(map("".join, map(encode, chunk, repeat(0)))).encode("utf-8")


def encode_long_rows(rows: Sequence[Any], keys: list[str] | None = None) -> Iterator[bytes]:
    """``encode_rows`` of rows that carry long text: each cell by ``orjson`` (floats,
    whose text differs, by the standard encoder)."""
    standard = _encoder()
    names: dict[str, bytes] = {}
    between, first, last = ROW_BREAK.encode() + b"{", b"{", b"}"
    for chunk in _chunks(rows, keys, LONG_CHUNK):
        out: list[bytes] = []
        for row in chunk:
            out.append(between if out else first)
            comma = False
            for key, value in row.items():
                name = names.get(key)
                if name is None:
                    name = names[key] = standard(key).encode() + b":"
                if comma:
                    out.append(b",")
                out.append(name)
                out.append(
                    standard(value).encode() if isinstance(value, float) else orjson.dumps(value)
                )
                comma = True
            out.append(last)
        yield b"".join(out)


def section_rows(
    name: str, rows: Sequence[Any], keys: list[str] | None = None, *, written: bool = False
) -> Iterator[bytes]:
    """A section's rows as the file holds them (without the brackets around them), in
    pieces, none when it has no rows; a row is a mapping of column to cell, or its cells
    in the order of ``keys``, or (``written``) a row holding the row as written."""
    if written:
        return _written(rows)
    return (encode_long_rows if name in LONG_TEXT else encode_rows)(rows, keys)


def _written(rows: Sequence[Any]) -> Iterator[bytes]:
    between = ROW_BREAK.encode()
    first = itemgetter(0)
    for start in range(0, len(rows), CHUNK):
        yield between.join(map(first, rows[start : start + CHUNK]))


def layout(
    header: Mapping[str, str | int], bundles: Iterable[Iterable[tuple[str, Any]]]
) -> Iterator[bytes]:
    """The document as the file holds it, in pieces: JSON with keys in their order and
    one row per line. ``bundles``: per engagement, its ``(name, value)`` pairs in order,
    where a value is a row (a mapping), or a section as the pieces of its rows
    (``section_rows``)."""
    value = _encoder()
    head = "".join(f" {value(k)}: {value(v)},\n" for k, v in header.items())
    first = True
    for bundle in bundles:
        if first:
            yield f'{{\n{head} "engagements": [\n  {{\n'.encode()
        else:
            yield b"\n  },\n  {\n"
        for s, (name, rows) in enumerate(bundle):
            lead = f",\n   {value(name)}: " if s else f"   {value(name)}: "
            if isinstance(rows, dict):
                yield f"{lead}{value(rows)}".encode()
                continue
            empty = True
            for piece in rows:
                yield f"{lead}[\n    ".encode() if empty else ROW_BREAK.encode()
                yield piece
                empty = False
            yield f"{lead}[]".encode() if empty else b"\n   ]"
        first = False
    if first:
        yield f'{{\n{head} "engagements": []\n}}\n'.encode()
    else:
        yield b"\n  }\n ]\n}\n"
