"""Text search inside a list's query: "every word of what the user typed appears in one of
these columns", case-insensitively in any script, so a filter covers every row of a paged
list and not only the rows loaded so far.

A word in ASCII is looked for with ``ILIKE`` (SQLite: ``LIKE``, which ignores the case
of ASCII letters; escaped: ``%`` and ``_`` are plain
characters). SQLite's ``lower()`` and ``LIKE`` fold ASCII letters only (``Ä`` and ``ä``,
``Б`` and ``б`` differ), so any other word is looked for with ``transition_fold``
(``str.casefold``, registered on every SQLite connection in ``db.py``) over the columns'
text joined; PostgreSQL's ``lower()`` folds every script in a UTF-8 database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Boolean, String, and_, bindparam, cast, func, literal, or_, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from transition.db import SQLITE_FOLD
from transition.errors import BadInput

#: Between two columns' text, so that a word never matches across a column boundary (a
#: unit separator cannot be typed into a filter).
SEPARATOR = "\x1f"


def words(text: str | None) -> list[str]:
    """The words of a filter as typed: split on white space, duplicates (compared
    folded) dropped."""
    out: dict[str, str] = {}
    for word in (text or "").split():
        out.setdefault(word.casefold(), word)
    return list(out.values())


class _Contains(FunctionElement):
    """``needle`` occurs in ``haystack``, both folded."""

    type = Boolean()
    inherit_cache = True
    name = "transition_contains"


@compiles(_Contains)
def _contains_default(element: _Contains, compiler: Any, **kw: Any) -> str:
    haystack, needle = list(element.clauses)
    return (
        f"(strpos(lower({compiler.process(haystack, **kw)}), "
        f"lower({compiler.process(needle, **kw)})) > 0)"
    )


@compiles(_Contains, "sqlite")
def _contains_sqlite(element: _Contains, compiler: Any, **kw: Any) -> str:
    haystack, needle = list(element.clauses)
    return (
        f"(instr({SQLITE_FOLD}({compiler.process(haystack, **kw)}), "
        f"{SQLITE_FOLD}({compiler.process(needle, **kw)})) > 0)"
    )


class folded(FunctionElement):  # noqa: N801 - used as a SQL function
    """A text column folded for ordering: ``Émile`` between ``Emil`` and ``Emma``."""

    type = String()
    inherit_cache = True
    name = "transition_folded"


@compiles(folded)
def _folded_default(element: folded, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "sqlite")
def _folded_sqlite(element: folded, compiler: Any, **kw: Any) -> str:
    return f"{SQLITE_FOLD}({compiler.process(element.clauses, **kw)})"


class _Like(FunctionElement):
    """``column`` matches the escaped ASCII ``pattern`` (``%word%``) in any case."""

    type = Boolean()
    inherit_cache = True
    name = "transition_like"


@compiles(_Like)
def _like_default(element: _Like, compiler: Any, **kw: Any) -> str:
    column, pattern = list(element.clauses)
    return compiler.process(cast(column, String).ilike(pattern, escape="\\"), **kw)


@compiles(_Like, "sqlite")
def _like_sqlite(element: _Like, compiler: Any, **kw: Any) -> str:
    # SQLite's LIKE ignores the case of ASCII letters: for an ASCII pattern it is what
    # ``lower(CAST(column AS VARCHAR)) LIKE lower(pattern)`` is, without a cast and two
    # lower() per column and row (half the time of a filter over 10,000 tasks).
    column, pattern = list(element.clauses)
    return f"({compiler.process(column, **kw)} LIKE {compiler.process(pattern, **kw)} ESCAPE '\\')"


def haystack(*columns: Any) -> ColumnElement[str]:
    """The columns' text joined by ``SEPARATOR`` (a NULL column is empty text)."""
    parts: list[Any] = []
    for column in columns:
        if parts:
            parts.append(literal(SEPARATOR, String))
        parts.append(func.coalesce(cast(column, String), literal("", String)))
    out = parts[0]
    for part in parts[1:]:
        out = out.op("||")(part)
    return out


def matches(text: str | None, *columns: Any) -> ColumnElement[bool]:
    """True for rows in which every word of ``text`` occurs in one of ``columns``
    (always true for an empty ``text``).

    A word in ASCII letters is looked for column by column with ``ILIKE`` (SQLite: the
    built-in ``lower() LIKE``, exact for it, and several times faster than a function
    written in Python); any other word in the columns' text joined and folded."""
    found = words(text)
    if not found:
        return true()
    hay: ColumnElement[str] | None = None
    conditions = []
    for word in found:
        if word.isascii():
            pattern = "%" + _escape(word) + "%"
            like = bindparam(None, pattern, type_=String, unique=True)
            conditions.append(or_(*(_Like(c, like) for c in columns)))
        else:
            hay = haystack(*columns) if hay is None else hay
            conditions.append(_Contains(hay, bindparam(None, word, type_=String, unique=True)))
    return and_(*conditions)


def _escape(word: str) -> str:
    """``word`` as a LIKE pattern's literal text."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def ordering(
    sort: str | None, descending: bool, columns: Mapping[str, ColumnElement[Any]], what: str
) -> list[Any]:
    """The ORDER BY term putting a list in the order of ``columns[sort]`` (empty values
    last either way); none for no ``sort``; refused for a key not in ``columns``."""
    if sort is None:
        return []
    if sort not in columns:
        raise BadInput(f"cannot sort {what} by {sort!r}: choose one of {', '.join(columns)}")
    column = columns[sort]
    return [(column.desc() if descending else column.asc()).nulls_last()]
