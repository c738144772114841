"""Extra holidays from a file: one ISO date per line (``2026-12-24``); ``#`` starts a
comment, blank lines are skipped. Read through the bounded reader (``files.read_input``);
a line that is not a date is refused naming the file and the line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from transition.dates import MAX_YEAR, MIN_YEAR
from transition.errors import BadInput
from transition.files import Unreadable, read_input

#: The largest holidays file read (a few thousand dates).
MAX_HOLIDAY_BYTES = 64 * 1024


def parse_holidays(text: str, source: str = "holidays") -> list[date]:
    """The dates of a holidays file's text, sorted, each once."""
    days: set[date] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        try:
            day = date.fromisoformat(value) if len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise BadInput(
                f"{source}:{number}: invalid date {value[:40]!r}: expected one ISO date "
                "(YYYY-MM-DD) per line, # for comments"
            )
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise BadInput(
                f"{source}:{number}: invalid date {value!r}: the year must be between "
                f"{MIN_YEAR} and {MAX_YEAR}"
            )
        days.add(day)
    return sorted(days)


def read_holidays(path: Path | str) -> list[date]:
    """The dates listed in the file at ``path`` (see ``parse_holidays``)."""
    try:
        raw = read_input(path, MAX_HOLIDAY_BYTES, kind="holidays")
    except Unreadable as exc:
        raise BadInput(str(exc)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BadInput(f"{path}:{line}: not valid UTF-8 text") from None
    return parse_holidays(text, str(path))
