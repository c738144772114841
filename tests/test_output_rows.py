"""Rows printed from plain values print exactly what the same rows print as dicts or read
models: JSON objects from tuples, and tables read by position."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from transition.cli.output import emit_json_rows, emit_json_tuples, table, table_values

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.lists(st.one_of(st.text(), st.integers(), st.none()), max_size=3),
    st.dates(),
)
KEYS = st.lists(st.text(min_size=1), min_size=1, max_size=6, unique=True)


def _printed(emit, *args) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        emit(*args)
    return out.getvalue()


@settings(max_examples=200, deadline=None)
@given(data=st.data(), keys=KEYS)
def test_json_tuples_print_what_the_dicts_print(data, keys):
    rows = data.draw(st.lists(st.tuples(*(VALUES for _ in keys)), max_size=4))
    expected = _printed(emit_json_rows, [dict(zip(keys, row, strict=True)) for row in rows])
    assert _printed(emit_json_tuples, keys, rows) == expected


def test_json_tuples_of_many_rows_and_of_none():
    keys = ["id", "100%s", 'say "hi"', "ключ"]
    rows = [(n, f"ünïcode\n\t{n}%s", None if n % 3 else 1.5, n % 2 == 0) for n in range(2345)]
    expected = _printed(emit_json_rows, [dict(zip(keys, row, strict=True)) for row in rows])
    assert _printed(emit_json_tuples, keys, rows) == expected
    assert _printed(emit_json_tuples, keys, []) == "[]\n"


def test_table_values_prints_what_the_table_of_dicts_prints():
    moscow = timezone(timedelta(hours=3))
    stamp = datetime(2026, 12, 1, 14, 5, 59, tzinfo=UTC)
    rows = [
        (1, "Ana\nSouza", stamp, date(2027, 1, 31), None, True, ["a", "b"], "50%"),
        (22, "Bo", stamp.astimezone(moscow), None, "x", False, [], "%s"),
        (333, "", None, date(2027, 2, 1), "yy", None, ["c"], "%(x)s"),
        (4, "Émile", stamp + timedelta(minutes=1), None, None, True, [], "Ünï"),
    ]
    headers = ["id", "name", "granted", "expires", "note", "ok", "tags", "share%"]
    expected = _printed(table, [dict(zip(headers, row, strict=True)) for row in rows], headers)
    assert _printed(table_values, rows, headers) == expected
    empty = _printed(lambda: table_values([], headers, empty="none"))
    assert empty == _printed(lambda: table([], headers, empty="none")) == "none\n"


#: Any text: control characters, lone surrogates, other scripts.
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=()), max_size=8)
COLUMN_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    ANY_TEXT,
    st.lists(ANY_TEXT, max_size=3),
    st.lists(st.one_of(ANY_TEXT, st.integers(), st.booleans(), st.none()), max_size=3),
    st.dates(),
)


def _dumped(rows) -> str:
    """What ``json.dumps`` prints for each row, in the list layout."""
    if not rows:
        return "[]\n"
    lines = [json.dumps(row, ensure_ascii=False, default=date.isoformat) for row in rows]
    return "[\n  " + ",\n  ".join(lines) + "\n]\n"


@settings(max_examples=300, deadline=None)
@given(data=st.data(), keys=st.lists(ANY_TEXT, max_size=5, unique=True))
def test_json_rows_print_what_json_dumps_prints(data, keys):
    """Rows of the same keys are filled into one template, a column's values encoded
    together: the text is still exactly ``json.dumps`` of each row."""
    column = data.draw(st.sampled_from([COLUMN_VALUES, st.sampled_from([None, "a", "é", 1])]))
    rows = data.draw(st.lists(st.fixed_dictionaries({k: column for k in keys}), max_size=6))
    if data.draw(st.booleans()):  # a row of other keys: printed one by one
        rows.append({"other": data.draw(COLUMN_VALUES)})
    assert _printed(emit_json_rows, rows) == _dumped(rows)
    tuples = [tuple(row.values()) for row in rows if list(row) == keys]
    expected = _dumped([dict(zip(keys, row, strict=True)) for row in tuples])
    assert _printed(emit_json_tuples, keys, tuples) == expected


def test_json_rows_of_many_rows_sharing_values():
    shared = ["ana", "bo"]
    rows = [
        {
            "id": n,
            "owners": shared if n % 2 else [],
            "due": date(2027, 1, 1 + n % 28),
            "ok": n % 3 == 0,
        }
        for n in range(4321)
    ]
    rows[7] = {"id": 7, "owners": [1, True], "due": None, "ok": None}
    assert _printed(emit_json_rows, rows) == _dumped(rows)


def _table_cell_by_cell(rows, columns) -> str:
    """A table as ``cell`` writes each value, one ``str.format`` per line."""
    from transition.cli.output import _value, cell

    columns = [(c, c) if isinstance(c, str) else c for c in columns]
    lines = [[h.upper() for _, h in columns]]
    lines += [[cell(_value(row, key)) for key, _ in columns] for row in rows]
    # A column of ASCII text is as wide as its longest text; any other as its widest on
    # screen.
    sizes = [
        len if all(line[i].isascii() for line in lines) else cell_len for i in range(len(columns))
    ]
    widths = [max(size(line[i]) for line in lines) for i, size in enumerate(sizes)]
    return "".join(
        "  ".join(
            text + " " * (width - size(text))
            for text, width, size in zip(line, widths, sizes, strict=True)
        ).rstrip()
        + "\n"
        for line in lines
    )


def _starts(line: str) -> list[int]:
    """Where on screen each column of a printed line starts (columns two spaces apart)."""
    out, at = [0], 0
    for part in line.split("  ")[:-1]:
        at += cell_len(part) + 2
        out.append(at)
    return out


def test_columns_line_up_on_screen_whatever_the_script():
    rows = [
        {"name": "山田 太郎", "side": "incumbent", "note": "東京"},
        {"name": "Zoë Ça", "side": "client", "note": "e\u0301"},
        {"name": "Ｆｕｌｌ", "side": "provider", "note": "👍 ok"},
        {"name": "Ann", "side": "client", "note": "ascii"},
    ]
    printed = _printed(table, rows, ["name", "side", "note"]).splitlines()
    side_at = {
        cell_len(line[: line.index(word)])
        for line, word in zip(
            printed, ["SIDE", "incumbent", "client", "provider", "client"], strict=True
        )
    }
    assert side_at == {cell_len("山田 太郎") + 2}  # the widest name, two cells a character
    note_at = {
        cell_len(line[: line.rindex(" ", 0, line.index(n)) + 1])
        for line, n in zip(printed, ["NOTE", "東京", "e\u0301", "👍", "ascii"], strict=True)
    }
    assert len(note_at) == 1


TABLE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    ANY_TEXT.filter(lambda t: "\x00" not in t),
    st.lists(st.one_of(ANY_TEXT, st.integers()), max_size=3),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
)


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    headers=st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=5, unique=True),
)
def test_table_prints_each_cell_as_cell_writes_it(data, headers):
    """Columns read and converted a column at a time (texts, numbers and nulls once per
    distinct value) print what converting each value on its own prints."""
    column = data.draw(st.sampled_from([TABLE_VALUES, st.sampled_from([None, 1, "1", True, 0])]))
    rows = data.draw(
        st.lists(st.fixed_dictionaries({h: column for h in headers}), min_size=1, max_size=6)
    )
    columns = [headers[0], *((h, h) for h in headers[1:]), (lambda r: r[headers[0]], "fn")]
    assert _printed(table, rows, columns) == _table_cell_by_cell(rows, columns)
    objects = [type("Row", (), row)() for row in rows if all(h.isidentifier() for h in headers)]
    if objects:
        plain = [h for h in headers]
        assert _printed(table, objects, plain) == _table_cell_by_cell(objects, plain)
