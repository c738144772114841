"""A playbook's governance cadence: recurring meetings (``cadence:`` in the YAML).

```yaml
cadence:
  - key: weekly-ops
    title: Weekly operational review
    every: weekly on tue at 10:00
    from: ramp-up.start
    until: exit
    minutes: 60
    attendees: [transition-manager, provider-service-manager]
    agenda: [Incidents and SLA, KT progress, Risks]
```

``every`` reads ``weekly on DAY at HH:MM``, ``every N weeks on DAY at HH:MM``, ``monthly
on the first|second|third|fourth|last DAY at HH:MM`` (or ``monthly on day N``), ``every N
months …`` and ``quarterly …`` (every three months). ``from`` and ``until`` are
milestones: ``PHASE.start``, ``PHASE.end``, ``cutover``, ``exit`` (the engagement's exit
date, else the end of its last phase), with an optional offset (``cutover+30d``). The
occurrences are laid by ``dateutil.rrule`` in the engagement's time zone; one that falls on
a day not worked moves to the next working day (``services.meetings``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from transition.playbook_criteria import SLUG
from transition.yaml_text import Line

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
_DAY = r"(mon|tue|wed|thu|fri|sat|sun)[a-z]*"
_EVERY = re.compile(
    r"^(?:(?P<weekly>weekly)|(?P<monthly>monthly)|(?P<quarterly>quarterly)"
    r"|every\s+(?P<n>\d{1,2})\s+(?P<unit>weeks?|months?))"
    r"\s+on\s+(?:the\s+(?P<nth>first|second|third|fourth|last)\s+"
    + _DAY.replace("(", "(?P<nday>", 1)
    + r"|day\s+(?P<mday>\d{1,2})|"
    + _DAY.replace("(", "(?P<day>", 1)
    + r")"
    r"\s+at\s+(?P<hh>\d{1,2}):(?P<mm>\d{2})$"
)
_MILESTONE = re.compile(r"^([a-z0-9-]+?)(?:\.(?:start|end))?(?:[+-]\d{1,4}(?:bd|d|w))?$")


@dataclass(frozen=True)
class Rule:
    """``every`` as read: ``weekly``/``monthly``, every ``interval`` of them, on ``weekday``
    (Monday = 0; the ``nth`` in the month for monthly rules) or on ``month_day``, at
    ``hour``:``minute`` local time."""

    freq: str
    interval: int
    weekday: int | None
    nth: int | None
    month_day: int | None
    hour: int
    minute: int


def parse_every(value: str) -> Rule:
    """``every`` text → a ``Rule``; ValueError says what is expected."""
    text = " ".join(str(value).strip().lower().split())
    match = _EVERY.match(text)
    expected = (
        f"invalid recurrence {value!r}: expected e.g. 'weekly on tue at 10:00', 'every 2 "
        "weeks on mon at 09:30', 'monthly on the first monday at 10:00', 'monthly on day 15 "
        "at 14:00' or 'quarterly on the first tue at 10:00'"
    )
    if not match:
        raise ValueError(expected)
    g = match.groupdict()
    weekly = bool(g["weekly"]) or (g["unit"] or "").startswith("week")
    freq = "weekly" if weekly else "monthly"
    interval = int(g["n"]) if g["n"] else (3 if g["quarterly"] else 1)
    if not 1 <= interval <= 12:
        raise ValueError(f"invalid recurrence {value!r}: every 1 to 12 weeks or months")
    day = g["day"] or g["nday"]
    if freq == "weekly" and not g["day"]:
        raise ValueError(f"invalid recurrence {value!r}: a weekly meeting is on a weekday")
    month_day = int(g["mday"]) if g["mday"] else None
    if month_day is not None and not 1 <= month_day <= 28:
        raise ValueError(f"invalid recurrence {value!r}: day of the month 1 to 28")
    hour, minute = int(g["hh"]), int(g["mm"])
    if hour > 23 or minute > 59:
        raise ValueError(f"invalid recurrence {value!r}: time of day from 00:00 to 23:59")
    if freq == "monthly" and g["day"]:
        raise ValueError(
            f"invalid recurrence {value!r}: a monthly meeting is on 'the first DAY' "
            "(second, third, fourth, last) or on 'day N'"
        )
    return Rule(
        freq=freq,
        interval=interval,
        weekday=DAYS.index(day[:3]) if day else None,
        nth=ORDINALS[g["nth"]] if g["nth"] else None,
        month_day=month_day,
        hour=hour,
        minute=minute,
    )


def _every(value: Any) -> str:
    text = " ".join(str(value).strip().split())
    parse_every(text)
    return text


def _milestone(value: Any) -> str:
    text = str(value).strip().lower()
    if not _MILESTONE.match(text):
        raise ValueError(
            f"invalid milestone {value!r}: expected PHASE.start, PHASE.end, cutover or exit, "
            "optionally with an offset (cutover+30d)"
        )
    return text


Every = Annotated[str, BeforeValidator(_every)]
Milestone = Annotated[str, BeforeValidator(_milestone)]


class CadenceSpec(BaseModel):
    """One recurring meeting of the playbook's governance."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    key: Annotated[str, Field(pattern=SLUG, max_length=60)]
    title: Annotated[str, Field(min_length=1, max_length=200), Line]
    every: Every
    start: Milestone = Field(alias="from")
    until: Milestone = "exit"
    minutes: Annotated[int, Field(ge=5, le=480)] = 60
    attendees: tuple[Annotated[str, Field(max_length=100), Line], ...] = ()
    agenda: tuple[Annotated[str, Field(max_length=300), Line], ...] = ()

    @property
    def rule(self) -> Rule:
        return parse_every(self.every)


def check_cadence(cadence: Any, phase_keys: set[str]) -> list[tuple[tuple, str]]:
    """Cross-field rules on the plain YAML: unique keys, milestones naming known phases."""
    problems: list[tuple[tuple, str]] = []
    if not isinstance(cadence, list):
        return problems
    seen: set[str] = set()
    for i, item in enumerate(cadence):
        if not isinstance(item, dict):
            continue
        key = item.get("key")
        if isinstance(key, str):
            if key in seen:
                problems.append((("cadence", i, "key"), f"duplicate cadence key {key!r}"))
            seen.add(key)
        for field in ("from", "until"):
            value = item.get(field)
            if not isinstance(value, str):
                continue
            match = _MILESTONE.match(value.strip().lower())
            name = match.group(1) if match else None
            # ``exit`` and ``cutover`` resolve without a phase of that name.
            if name and name not in phase_keys and name not in ("exit", "cutover"):
                problems.append(
                    (
                        ("cadence", i, field),
                        f"unknown milestone {value!r}: phases are {', '.join(sorted(phase_keys))}",
                    )
                )
    return problems
