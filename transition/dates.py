"""Date parsing and offsets (ISO 8601 in, ISO 8601 out)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from transition.errors import BadInput
from transition.settings import TODAY, Settings, get_settings

_SPAN = re.compile(r"^\+?(\d{1,4})([dw])$")

#: Every date the tool accepts lies in these years, so that arithmetic on it (a session's
#: end, an expiry window, a calendar export) can never leave Python's date range.
MIN_YEAR = 1900
MAX_YEAR = 2999


def check_range(value: date, what: str = "date", shown: str | None = None) -> None:
    """Refuse a date (or datetime) outside years ``MIN_YEAR``–``MAX_YEAR``."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise BadInput(
            f"invalid {what} {shown if shown is not None else value.isoformat()!r}: "
            f"the year must be between {MIN_YEAR} and {MAX_YEAR}"
        )


def parse_date(value: str, what: str = "date") -> date:
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(
            f"invalid {what} {value!r}: expected an ISO date such as 2026-12-01"
        ) from None
    check_range(parsed, what, value)
    return parsed


def parse_datetime(value: str, what: str = "date and time") -> datetime:
    """``2026-12-01T14:00`` → an aware UTC datetime. A time without an offset is UTC
    (``2026-12-01T14:00`` is 14:00 UTC); an explicit offset (``+01:00``, ``Z``) is converted
    to UTC; a bare date means midnight UTC."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(
            f"invalid {what} {value!r}: expected ISO 8601 such as 2026-12-01T14:00 (UTC) "
            "or 2026-12-01T14:00+01:00"
        ) from None
    check_range(parsed, what, value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    # Within the year range an offset can never move the time outside Python's range.
    return parsed.astimezone(UTC)


def utc(value: datetime) -> datetime:
    """A timestamp in UTC: a naive one is UTC already (SQLite hands stored values back
    naive), an aware one is converted."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_time(value: str | datetime, what: str = "date and time") -> datetime:
    """A time as the user typed it (``parse_datetime``: without an offset it is UTC), or a
    datetime (naive: UTC), as an aware UTC datetime within the accepted years, both as
    given and in UTC (``2999-12-31T23:30-12:00`` is in the year 3000)."""
    shown = value if isinstance(value, str) else None
    if isinstance(value, str):
        at = parse_datetime(value, what)
    else:
        check_range(value, what)
        at = utc(value)
    check_range(at, what, shown)
    return at


def format_utc(value: datetime | None) -> str:
    """A stored (UTC) timestamp as people read it: ``2026-12-01 14:00 UTC``."""
    if value is None:
        return "-"
    if value.tzinfo is None:  # SQLite hands back naive values; they are stored in UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def parse_span(value: str, what: str = "duration") -> timedelta:
    """``10d`` / ``2w`` / ``+3d`` → timedelta. Negative spans are refused."""
    match = _SPAN.match(str(value).strip())
    if not match and str(value).strip().startswith("-"):
        raise BadInput(f"invalid {what} {value!r}: must not be negative")
    if not match:
        raise BadInput(
            f"invalid {what} {value!r}: expected a number of days or weeks like 10d or 2w"
        )
    number, unit = int(match.group(1)), match.group(2)
    return timedelta(days=number * (7 if unit == "w" else 1))


@dataclass
class Clock:
    """Where the tool reads the time. It follows the system clock unless a fixed instant or
    date is pinned (``pin``): the tests do that through their ``clock`` fixture."""

    fixed_now: datetime | None = None
    fixed_today: date | None = None

    def now(self) -> datetime:
        return self.fixed_now if self.fixed_now is not None else datetime.now(UTC)

    def today(self) -> date:
        return self.fixed_today if self.fixed_today is not None else date.today()

    def pin(self, *, now: datetime | None = None, today: date | str | None = None) -> None:
        """Fix the current instant (aware) and/or today's date (a date or an ISO string)."""
        if now is not None:
            if now.tzinfo is None:
                raise ValueError("a pinned instant must be timezone-aware")
            self.fixed_now = now.astimezone(UTC)
        if today is not None:
            self.fixed_today = parse_date(today) if isinstance(today, str) else today

    def reset(self) -> None:
        self.fixed_now = self.fixed_today = None


#: The one clock every service reads through ``utcnow()`` and ``today()``.
CLOCK = Clock()


def utcnow() -> datetime:
    """Current time, aware UTC (how every timestamp is stored)."""
    return CLOCK.now()


def moment() -> datetime:
    """The current instant on today's date (``today()``): ``utcnow()``, moved to the date
    ``TRANSITION_TODAY`` (or the clock) pins at the same time of day, unless the clock pins
    the instant itself. What is past or to come by the day (meetings) is judged on it."""
    now = utcnow()
    if CLOCK.fixed_now is not None:
        return now
    day = today()
    return now if day == now.date() else datetime.combine(day, now.timetz())


def local(value: datetime | None) -> datetime | None:
    """An aware timestamp in this machine's local time zone (for display)."""
    return value.astimezone() if value is not None else None


def pinned(settings: Settings | None = None) -> date | None:
    """The date ``TRANSITION_TODAY`` pins, or ``None``; a value that is not an ISO date is
    bad input, refused where a date is needed."""
    text = (settings or get_settings()).today_text
    return parse_date(text, TODAY) if text else None


def today() -> date:
    """Today's date: the one ``TRANSITION_TODAY`` pins (settings), else the clock's."""
    fixed = pinned()
    return fixed if fixed is not None else CLOCK.today()
