"""Printing: aligned plain-text tables for people, JSON for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from itertools import chain, repeat
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    from pydantic import BaseModel

    if isinstance(value, BaseModel):  # a read model inside plain data
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _plain(data: Any) -> Any:
    """A read model (or a list of them) as its JSON dump; anything else unchanged."""
    from pydantic import BaseModel

    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, list) and data and isinstance(data[0], BaseModel):
        return [item.model_dump(mode="json") for item in data]
    return data


def to_json(data: Any) -> str:
    """Indented JSON; a list prints one compact object per line (the C encoder only runs
    without ``indent``, which keeps a list of thousands of rows fast). Read models print
    their ``model_dump(mode="json")``."""
    data = _plain(data)
    if isinstance(data, list) and data:
        keys = list(data[0]) if type(data[0]) is dict else []
        return "[\n  " + ",\n  ".join(_dict_lines(keys, data, _ROW_ENCODER.encode)) + "\n]"
    return json.dumps(data, default=_default, indent=2, ensure_ascii=False)


#: One compact encoder for every row of a list (``json.dumps`` would build one per row).
_ROW_ENCODER = json.JSONEncoder(default=_default, ensure_ascii=False)


def emit_json_rows(rows: Iterable[dict[str, Any]]) -> None:
    """A list of plain rows (JSON types, dates and datetimes) as ``emit_json`` prints a
    list, written as the rows come rather than built in memory first. Rows of the same
    keys as the first are printed as ``emit_json_tuples`` prints their values."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        sys.stdout.write("[]\n")
        return
    keys = list(first)
    encode = _ROW_ENCODER.encode
    out = _Blocks()
    block: list[dict[str, Any]] = [first]
    for row in rows:
        block.append(row)
        if len(block) == _BLOCK:
            out.write(_dict_lines(keys, block, encode))
            block = []
    out.write(_dict_lines(keys, block, encode))
    out.close()


def _dict_lines(keys: list[str], block: list[dict[str, Any]], encode) -> list[str]:
    """Each row of ``block`` as one JSON object: by a template when every row has ``keys``
    in that order, else one by one."""
    if not block:
        return []
    plain = keys and set(map(type, block)) == {dict} and set(map(type, keys)) <= {str}
    if plain and all(map(keys.__eq__, map(list, block))):
        return _object_lines(keys, [row.values() for row in block])
    return list(map(encode, block))


def emit_json_tuples(keys: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Rows given as the values of ``keys`` (in that order), printed exactly as
    ``emit_json_rows`` prints the dicts they make, written as the rows come."""
    out = _Blocks()
    block: list[Sequence[Any]] = []
    for row in rows:
        block.append(row)
        if len(block) == _BLOCK:
            out.write(_object_lines(keys, block))
            block = []
    out.write(_object_lines(keys, block))
    out.close()


#: Rows encoded (and written) together.
_BLOCK = 2000


class _Blocks:
    """The lines of a JSON list written a block at a time: ``[`` before the first, ``,``
    between them, ``]`` after the last (``[]`` when there are none)."""

    def __init__(self) -> None:
        self.started = False

    def write(self, lines: list[str]) -> None:
        if lines:
            sys.stdout.write((",\n  " if self.started else "[\n  ") + ",\n  ".join(lines))
            self.started = True

    def close(self) -> None:
        sys.stdout.write("\n]\n" if self.started else "[]\n")


def _object_lines(keys: Sequence[str], block: Sequence[Iterable[Any]]) -> list[str]:
    """Each row of values in ``block`` as the JSON object of ``keys`` the row encoder
    writes: one template (the keys encoded once) filled a column at a time, each column's
    distinct values encoded once."""
    if not block:
        return []
    if not keys:
        return ["{}"] * len(block)
    names = [_ROW_ENCODER.encode(k).replace("%", "%%") for k in keys]  # a template's text
    template = "{" + ", ".join(f"{name}: %s" for name in names) + "}"
    columns = [_column_json(column) for column in zip(*block, strict=True)]
    if len(columns) != len(names):  # no rows of values to fill (or rows of another length)
        raise ValueError("rows do not match their keys")
    return list(map(template.__mod__, zip(*columns, strict=True)))


_ATOMS = frozenset({str, type(None)})
_TEXTS = frozenset({str})


def _column_json(values: Sequence[Any]) -> Sequence[str]:
    """The JSON text of each value of a column, as the row encoder writes it inside an
    object. Texts and nulls (hashable, and never equal to a value of another type) are
    encoded once per distinct value; lists of texts once per
    distinct list."""
    kinds = set(map(type, values))
    if kinds == _TEXTS:
        return list(map(_TEXT, values))
    if kinds <= _ATOMS:
        shown = {v: _TEXT(v) for v in set(values) if v is not None}
        shown[None] = "null"
        return list(map(shown.__getitem__, values))
    if kinds == {int}:
        return list(map(int.__repr__, values))
    if kinds == {bool}:
        return list(map(_BOOLS.__getitem__, values))
    if kinds == {list} and set(map(type, chain.from_iterable(values))) <= {str}:
        contents = list(map(tuple, values))  # texts: equal only to equal texts
        shown = {v: "[" + ", ".join(map(_TEXT, v)) + "]" for v in set(contents)}
        return list(map(shown.__getitem__, contents))
    return [
        _TEXT(v) if v.__class__ is str else "null" if v is None else _json_value(v) for v in values
    ]


_BOOLS = {True: "true", False: "false"}


#: A text as JSON (what the encoder writes for one: ``ensure_ascii=False``).
_TEXT = json.encoder.encode_basestring


def _json_value(value: Any) -> str:
    """A value other than a text or None as the row encoder writes it inside an object."""
    if value.__class__ is int:
        return int.__repr__(value)
    return _ROW_ENCODER.encode(value)


def emit_json(data: Any) -> None:
    sys.stdout.write(to_json(data) + "\n")


def cell(value: Any) -> str:
    kind = value.__class__
    if kind is str:  # most cells: the common cases first
        return value.replace("\n", " ")
    if kind is int:
        return str(value)
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return ", ".join(cell(v) for v in value) or "-"
    return str(value).replace("\n", " ")


#: A field name (its own header), or a (key, header) pair.
Column = str | tuple[str | Callable[[Any], Any], str]


def _value(row: Any, key: str | Callable[[Any], Any]) -> Any:
    if callable(key):
        return key(row)
    if isinstance(row, dict):
        return row.get(key)
    return getattr(row, key, None)


def _column_values(rows: Sequence[Any], key: str | Callable[[Any], Any], kinds: set) -> list:
    """The value of ``key`` (``_value``) in each row, read a column at a time; ``kinds``:
    whether each row is a plain dict."""
    if callable(key):
        return list(map(key, rows))
    if kinds == {True}:
        return list(map(dict.get, rows, repeat(key)))
    if kinds == {False}:
        return list(map(getattr, rows, repeat(key), repeat(None)))
    return [_value(row, key) for row in rows]


def table(rows: Sequence[Any], columns: Sequence[Column], *, empty: str = "") -> None:
    """``columns``: (key, header) pairs, or a field name that is its own header; a key is a
    field (of a dict or a read model) or a function of the row. Prints nothing but ``empty``
    when there are no rows."""
    if not rows:
        if empty:
            sys.stdout.write(empty + "\n")
        return
    columns = [(c, c) if isinstance(c, str) else c for c in columns]
    kinds = {type(row) is dict for row in rows}
    cells = [_column_cells(_column_values(rows, key, kinds)) for key, _ in columns]
    _print_columns(cells, [header for _, header in columns])


def table_values(rows: Sequence[Sequence[Any]], headers: Sequence[str], *, empty: str = "") -> None:
    """``table`` of rows given as their values, one per header in order: the same text as
    ``table`` with those headers as field names, read by position rather than by name."""
    if not rows:
        if empty:
            sys.stdout.write(empty + "\n")
        return
    _print_columns([_column_cells(column) for column in zip(*rows, strict=True)], headers)


def _print_columns(columns: Sequence[Sequence[str]], headers: Sequence[str]) -> None:
    """The table of the cells of each column under its header (upper case), each column as
    wide on screen as its widest text, two spaces apart, no trailing blanks. A column of
    ASCII text is padded by characters; any other by the cells a terminal gives each
    character (a Chinese or Japanese character takes two, a combining accent none)."""
    titles = [h.upper() for h in headers]
    formats = []
    shown: list[Sequence[str]] = []
    for i, (title, column) in enumerate(zip(titles, columns, strict=True)):
        if title.isascii() and "".join(column).isascii():
            formats.append(f"%-{max(len(title), max(map(len, column)))}s")
            shown.append(column)
            continue
        from rich.cells import cell_len

        cells = list(map(cell_len, column))
        width = max(cell_len(title), max(cells))
        formats.append("%s")  # padded here, to its width on screen
        titles[i] = title + " " * (width - cell_len(title))
        shown.append([v + " " * (width - n) for v, n in zip(column, cells, strict=True)])
    line_format = "  ".join(formats)
    out = [(line_format % tuple(titles)).rstrip()]
    out += [(line_format % line).rstrip() for line in zip(*shown, strict=True)]
    sys.stdout.write("\n".join(out) + "\n")


def _column_cells(values: Sequence[Any]) -> list[str]:
    """``cell`` of each value of a column. A column of texts without a line break is
    its own cells; a timestamp column is converted once per distinct timestamp (rows
    recorded together share theirs: an import's grants)."""
    kinds = set(map(type, values))
    if kinds == {str}:
        if "\n" not in "".join(values):
            return list(values)
        return [v.replace("\n", " ") for v in values]
    if kinds == {list} and set(map(type, chain.from_iterable(values))) <= {str}:
        return [", ".join(v).replace("\n", " ") or "-" for v in values]  # lists of texts
    if kinds <= _ONCE:  # texts, nulls and whole numbers: never equal across their types
        shown = {v: cell(v) for v in set(values)}
        return list(map(shown.__getitem__, values))
    first = next((v for v in values if v is not None), None)
    if isinstance(first, datetime) and kinds <= {datetime, type(None)}:
        stamps: dict[Any, str] = {}
        return [stamps[v] if v in stamps else stamps.setdefault(v, cell(v)) for v in values]
    return list(map(cell, values))


#: Column kinds whose cells are worked out once per distinct value.
_ONCE = frozenset({str, int, type(None)})


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def warn(messages) -> None:
    """``warning:`` lines on stderr: recorded, but worth a second look (exit stays 0)."""
    for message in messages:
        sys.stderr.write(f"warning: {message}\n")


def emit(data: Any, as_json: bool, show: Callable[[Any], None]) -> None:
    """A read model: JSON with ``--json``, else ``show(data)`` prints it for people."""
    if as_json:
        emit_json(data)
    else:
        show(data)


def emit_rows(
    rows: Sequence[Any], as_json: bool, columns: Sequence[Column], *, empty: str = ""
) -> None:
    """A list of read models: JSON with ``--json``, else a table (``empty`` when none)."""
    if as_json:
        emit_json(rows)
    else:
        table(rows, columns, empty=empty)


def emit_document(text: str, output: str | None) -> None:
    """A document to stdout (no ``output`` or ``-``), else to the private file ``output``."""
    if output is None or output == "-":
        import typer

        typer.echo(text, nl=False)
        return
    from transition.files import write_private

    target = write_private(output, text)
    if target is not None:
        say(f"wrote {target}")
