"""Rows printed from plain values print exactly what the same rows print as dicts or read
models: JSON objects from tuples, and tables read by position."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

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
