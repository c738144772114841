"""Working days, holidays and time zones.

An engagement has a *calendar*: the weekdays worked (Monday to Friday unless set) and the
public holidays of a country or subdivision from the ``holidays`` package (``GB-ENG``,
``DE-BY``, ``IN``), plus extra non-working dates. Offsets are calendar days (``+5d``,
``2w``) or working days (``+3bd``, ``-2bd``) counted on that calendar.

An engagement and a person may have an IANA time zone (``Europe/Berlin``); times are
stored in UTC and read and shown in the engagement's zone.

``holidays`` is imported only when a calendar with a country code is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING

from transition.errors import BadInput

if TYPE_CHECKING:
    from transition.models import Engagement

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONDAY_TO_FRIDAY = frozenset(range(5))
_OFFSET = re.compile(r"^([+-]?)\s*(\d{1,4})\s*(bd|d|w)$")
#: The most working days an offset may count (about 40 years): a count stays bounded.
MAX_WORKING_DAYS = 9999


@dataclass(frozen=True)
class Offset:
    """A signed offset in calendar days (``business=False``) or working days."""

    days: int
    business: bool = False

    def __str__(self) -> str:
        sign = "-" if self.days < 0 else "+"
        return f"{sign}{abs(self.days)}{'bd' if self.business else 'd'}"


def parse_offset(value: str, what: str = "offset", *, negative: bool = True) -> Offset:
    """``+5d`` / ``5d`` / ``2w`` / ``+3bd`` / ``-2bd`` → an ``Offset``."""
    text = str(value).strip().lower()
    match = _OFFSET.match(text)
    if not match:
        raise BadInput(
            f"invalid {what} {value!r}: expected a number of days like +5d, 2w, or of "
            "working days like +3bd or -2bd"
        )
    sign, number, unit = match.groups()
    days = int(number) * (7 if unit == "w" else 1)
    if sign == "-":
        if not negative:
            raise BadInput(f"invalid {what} {value!r}: must not be negative")
        days = -days
    return Offset(days, unit == "bd")


def check_code(code: str) -> str:
    """A calendar code as stored: ``GB-ENG``, ``DE-BY``, ``IN`` (country, then an optional
    subdivision, as the ``holidays`` package knows them). Unknown codes are refused."""
    import holidays

    text = str(code).strip()
    country, _, subdiv = text.partition("-")
    country = country.upper()
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise BadInput(
            f"unknown calendar {code!r}: expected a country code such as GB, DE or IN, "
            "optionally with a subdivision (GB-ENG, DE-BY)"
        )
    if not subdiv:
        return country
    known = {s.upper(): s for s in supported[country]}
    if subdiv.upper() not in known:
        shown = ", ".join(sorted(supported[country])[:12]) or "none"
        raise BadInput(
            f"unknown calendar {code!r}: {country} has no subdivision {subdiv!r} "
            f"(known: {shown}{', …' if len(supported[country]) > 12 else ''})"
        )
    return f"{country}-{known[subdiv.upper()]}"


def parse_workweek(value: str) -> str:
    """``mon-fri`` / ``mon,tue,wed,thu,sat`` / ``sun-thu`` → the stored form ``0,1,2,3,4``."""
    days: set[int] = set()
    for part in str(value).lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise BadInput(
                f"invalid work week {value!r}: expected weekdays such as mon-fri or "
                "sun-thu or mon,tue,wed,thu,sat"
            )
        a, b = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        span = range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
        days.update(span)
    return ",".join(str(d) for d in sorted(days))


def show_workweek(stored: str | None) -> str:
    """The stored work week (``0,1,2,3,4``) as typed: ``mon-fri``, ``sun-thu``,
    ``mon-thu,sat``."""
    days = {int(d) for d in (stored or "").split(",") if d.strip().isdigit() and int(d) < 7}
    if not days:
        return "none"
    if len(days) == 7:
        return "mon-sun"
    gap = next(d for d in range(7) if d not in days)
    runs: list[list[int]] = []
    for step in range(1, 8):
        day = (gap + step) % 7
        if day not in days:
            continue
        if runs and (runs[-1][-1] + 1) % 7 == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    runs.sort(key=lambda run: run[0])
    return ",".join(
        WEEKDAYS[r[0]] if len(r) == 1 else f"{WEEKDAYS[r[0]]}-{WEEKDAYS[r[-1]]}" for r in runs
    )


@lru_cache(maxsize=64)
def _public_holidays(code: str, year: int) -> frozenset[date]:
    import holidays

    country, _, subdiv = code.partition("-")
    return frozenset(holidays.country_holidays(country, subdiv=subdiv or None, years=year))


@lru_cache(maxsize=64)
def holiday_name(code: str, day: date) -> str | None:
    """The name of the public holiday ``day`` is under ``code`` (None on other days)."""
    import holidays

    country, _, subdiv = code.partition("-")
    return holidays.country_holidays(country, subdiv=subdiv or None, years=day.year).get(day)


@dataclass(frozen=True)
class Calendar:
    """Which days are worked: weekdays (Monday = 0), a holiday code and extra dates."""

    code: str | None = None
    workweek: frozenset[int] = MONDAY_TO_FRIDAY
    extra: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def of(cls, engagement: Engagement) -> Calendar:
        import json

        week = frozenset(int(d) for d in (engagement.workweek or "").split(",") if d != "")
        extra = frozenset(date.fromisoformat(d) for d in json.loads(engagement.extra_holidays_json))
        return cls(engagement.calendar, week or MONDAY_TO_FRIDAY, extra)

    def is_working(self, day: date) -> bool:
        if day.weekday() not in self.workweek or day in self.extra:
            return False
        return not (self.code and day in _public_holidays(self.code, day.year))

    def why_not_working(self, day: date) -> str | None:
        """Why ``day`` is not a working day (``Saturday``, ``Boxing Day``…), or None."""
        if day.weekday() not in self.workweek:
            return day.strftime("%A")
        if day in self.extra:
            return "an extra holiday"
        if self.code and day in _public_holidays(self.code, day.year):
            return holiday_name(self.code, day) or "a public holiday"
        return None

    def roll_forward(self, day: date) -> date:
        """``day`` if it is worked, else the next working day."""
        return self.shift(day, Offset(0, True))

    def shift(self, day: date, offset: Offset | str) -> date:
        """``day`` moved by ``offset``. Working days count from ``day``: ``+3bd`` is the
        third working day after it, ``-2bd`` the second before it, ``+0bd`` ``day`` itself
        if it is worked, else the next working day."""
        if isinstance(offset, str):
            offset = parse_offset(offset)
        if not offset.business:
            return day + timedelta(days=offset.days)
        if not self.workweek:
            raise BadInput("the work week has no working day")
        step = 1 if offset.days >= 0 else -1
        left = abs(offset.days)
        if left > MAX_WORKING_DAYS:
            raise BadInput(f"invalid offset {offset}: at most {MAX_WORKING_DAYS} working days")
        current = day
        if left == 0:
            while not self.is_working(current):
                current += timedelta(days=1)
            return current
        while left:
            current += timedelta(days=step)
            if self.is_working(current):
                left -= 1
        return current

    def working_days(self, start: date, end: date) -> int:
        """How many working days lie in ``start`` … ``end`` (both included)."""
        count, day = 0, start
        while day <= end:
            count += self.is_working(day)
            day += timedelta(days=1)
        return count


# Time zones -------------------------------------------------------------------------


def check_zone(name: str) -> str:
    """An IANA time zone name (``Europe/Berlin``, ``Asia/Kolkata``, ``UTC``), or refused."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    text = str(name).strip()
    if not text or text.startswith(("/", ".")) or ".." in text:
        raise BadInput(f"unknown time zone {name!r}: expected an IANA name like Europe/Berlin")
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise BadInput(
            f"unknown time zone {name!r}: expected an IANA name like Europe/Berlin"
        ) from None
    return text


def zone(name: str | None) -> tzinfo:
    """The zone called ``name`` (UTC when None)."""
    if not name:
        return UTC
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def zone_name(name: str | None) -> str:
    return name or "UTC"


def read_local(value: str, zone_name_: str | None, what: str = "date and time") -> datetime:
    """A time as typed, read in the zone ``zone_name_`` unless it carries an offset
    (``+01:00``, ``Z``), as an aware UTC datetime within the accepted years."""
    from transition.dates import check_range, parse_time

    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return parse_time(text, what)  # says what was expected
    if parsed.tzinfo is not None or not zone_name_:
        return parse_time(text, what)
    check_range(parsed, what, text)
    local = parsed.replace(tzinfo=zone(zone_name_))
    return parse_time(local.astimezone(UTC), what)


def show_local(value: datetime | None, zone_name_: str | None) -> str:
    """A stored (UTC) time as people in ``zone_name_`` read it: ``2026-12-01 15:00 CET``
    followed by the zone's name (``Europe/Berlin``), or ``… UTC`` without a zone."""
    from transition.dates import format_utc, utc

    if value is None:
        return "-"
    if not zone_name_:
        return format_utc(value)
    local = utc(value).astimezone(zone(zone_name_))
    return f"{local:%Y-%m-%d %H:%M} {zone_name_}"
