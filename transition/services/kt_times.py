"""Times of KT sessions in the engagement's time zone: reading what people type, and
showing a stored (UTC) instant the way people in a zone read it."""

from __future__ import annotations

from datetime import UTC, datetime

from transition.dates import check_range, parse_time, utc
from transition.errors import BadInput
from transition.workdays import read_local, show_local, zone


def zone_label(name: str | None) -> str:
    """The zone's name as shown: the IANA name, or ``UTC`` when the engagement has none."""
    return name or "UTC"


def read_at(value: str | datetime, zone_name: str | None, what: str = "start time") -> datetime:
    """A start as typed, read in ``zone_name`` unless it carries an offset (``+01:00``,
    ``Z``), as an aware UTC datetime; a datetime is taken as it is (naive: UTC). A local
    time the clocks skip (``2026-03-29T01:30`` in Europe/London) is refused rather than
    guessed."""
    if isinstance(value, datetime):
        return parse_time(value, what)
    text = str(value).strip()
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        naive = None
    if naive is not None and naive.tzinfo is None and zone_name:
        check_range(naive, what, text)
        here = zone(zone_name)
        back = naive.replace(tzinfo=here).astimezone(UTC).astimezone(here).replace(tzinfo=None)
        if back != naive:
            raise BadInput(
                f"invalid {what} {text!r}: that time does not exist in {zone_name} "
                "(the clocks go forward then); give a time after the change, or an offset "
                "such as +00:00"
            )
    return read_local(text, zone_name, what)


def local(value: datetime, zone_name: str | None) -> datetime:
    """A stored instant in ``zone_name`` (UTC when none)."""
    return utc(value).astimezone(zone(zone_name))


def ambiguous(value: datetime) -> bool:
    """Whether the local wall time ``value`` happens twice (the hour the clocks go back)."""
    return value.replace(fold=1 - value.fold).utcoffset() != value.utcoffset()


def form_value(value: datetime, zone_name: str | None) -> str:
    """A stored instant as a form field shows it, ready to be read back by ``read_at``:
    the local wall time, with its offset only where the wall time alone is ambiguous."""
    here = local(value, zone_name)
    spec = "minutes" if not (here.second or here.microsecond) else "seconds"
    if ambiguous(here):
        return here.isoformat(timespec=spec)
    return here.replace(tzinfo=None).isoformat(timespec=spec)


def shown(value: datetime | None, zone_name: str | None) -> str:
    """``2026-12-03 10:00 Europe/London`` (``… UTC`` without a zone)."""
    return show_local(value, zone_name)


def elsewhere(value: datetime, zone_name: str, reference: str | None) -> str:
    """The wall time in ``zone_name`` of an instant, with the day's shift against the
    engagement's zone ``reference``: ``15:30 Asia/Kolkata``, ``01:00 Asia/Tokyo (+1d)``."""
    there, here = local(value, zone_name), local(value, reference)
    days = (there.date() - here.date()).days
    shift = f" ({days:+d}d)" if days else ""
    return f"{there:%H:%M} {zone_name}{shift}"
