"""The exit timeline: checklist items due relative to the notice and exit dates.

A due rule is ``exit`` or ``notice`` with an optional offset in calendar days, weeks or
working days: ``exit-30d``, ``notice+2w``, ``exit-10bd``. Working days count on the
engagement's calendar (``workdays.Calendar``). Due dates are worked out when read, never
stored: they follow every change of the notice or exit date, and of the calendar, at once.

Derived items (one per grant, runbook and system) have a default rule by kind: a grant
is revoked by the exit, a runbook handed back two weeks of working days before it, a
system's reverse KT done four weeks of working days before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from transition.errors import BadInput
from transition.workdays import Calendar, Offset, parse_offset

ANCHORS = ("notice", "exit")
_RULE = re.compile(r"^(notice|exit)\s*(?:([+-])\s*(\d{1,4}\s*(?:bd|d|w)))?$")
#: The due rule of a derived item, by the kind of its source.
DERIVED_DUE = {"grant": "exit", "runbook": "exit-10bd", "system": "exit-20bd"}
#: Item statuses that count as done for exit readiness (``retired`` items do not count).
DONE = ("done", "resolved")


@dataclass(frozen=True)
class DueRule:
    """``anchor`` (``notice`` or ``exit``) moved by ``offset`` (None: the date itself)."""

    anchor: str
    offset: Offset | None = None

    def __str__(self) -> str:
        if self.offset is None or self.offset.days == 0 and not self.offset.business:
            return self.anchor
        days, unit = abs(self.offset.days), "bd" if self.offset.business else "d"
        if not self.offset.business and days % 7 == 0:
            days, unit = days // 7, "w"
        return f"{self.anchor}{'-' if self.offset.days < 0 else '+'}{days}{unit}"


@lru_cache(maxsize=256)  # a few rules, read for every item of a checklist
def parse_due(value: str) -> DueRule:
    """``exit-30d`` / ``notice+2w`` / ``exit-10bd`` / ``exit`` → a ``DueRule``."""
    text = str(value).strip().lower()
    match = _RULE.match(text)
    if not match:
        raise BadInput(
            f"invalid due {value!r}: expected notice or exit with an optional offset, "
            "like exit-30d, notice+2w or exit-10bd"
        )
    anchor, sign, amount = match.groups()
    if amount is None:
        return DueRule(anchor)
    return DueRule(anchor, parse_offset(f"{sign}{amount.replace(' ', '')}", "due offset"))


def rule_of(due_rule: str | None, source_kind: str | None) -> str | None:
    """An item's rule: its own, else its kind's default (derived items)."""
    if due_rule:
        return due_rule
    return DERIVED_DUE.get(source_kind or "")


def due_on(
    rule: str | None, notice: date | None, exit_on: date | None, calendar: Calendar
) -> date | None:
    """The date ``rule`` falls on (None: no rule, its anchor date not set, or a date out
    of range)."""
    if not rule:
        return None
    try:
        parsed = parse_due(rule)
    except BadInput:
        return None
    base = notice if parsed.anchor == "notice" else exit_on
    if base is None:
        return None
    if parsed.offset is None:
        return base
    try:
        return calendar.shift(base, parsed.offset)
    except (OverflowError, BadInput):
        return None
