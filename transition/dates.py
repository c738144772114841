"""Date parsing and offsets (ISO 8601 in, ISO 8601 out)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from transition.errors import BadInput

_SPAN = re.compile(r"^\+?(\d{1,4})([dw])$")


def parse_date(value: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(
            f"invalid {what} {value!r}: expected an ISO date such as 2026-12-01"
        ) from None


def parse_datetime(value: str, what: str = "date and time") -> datetime:
    """``2026-12-01T14:00`` → an aware UTC datetime. A time without an offset is the local
    wall-clock time of this machine (``TZ``); a bare date means midnight."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(
            f"invalid {what} {value!r}: expected ISO 8601 such as 2026-12-01T14:00"
        ) from None
    return parsed.astimezone(UTC)


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


def utcnow() -> datetime:
    """Current time, aware UTC (how every timestamp is stored)."""
    return datetime.now(UTC)


def local(value: datetime | None) -> datetime | None:
    """An aware timestamp in this machine's local time zone (for display)."""
    return value.astimezone() if value is not None else None


def today() -> date:
    """Today's date; ``TRANSITION_TODAY`` (ISO date) pins it for demos and tests."""
    import os

    pinned = os.environ.get("TRANSITION_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()
