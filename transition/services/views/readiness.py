"""Read models of the readiness score (``engagement readiness``)."""

from __future__ import annotations

from datetime import date

from transition.services.views.base import View


class RaiseItem(View):
    """One concrete thing to do, and the points the score gains when it is done."""

    action: str
    gain: float


class ReadinessPart(View):
    """One part of the composite: its weight in the table, whether it applies, the weight
    it carries after the parts that do not apply dropped out, its own 0–100 value and
    what it counts."""

    key: str
    title: str
    weight: int
    applies: bool
    share: float
    value: int | None
    counts: str
    gain: float
    items: list[RaiseItem]


class SystemReadiness(View):
    """A system's score: the parts that are per system (KT, runbooks, access)."""

    system: str
    tier: int
    score: int
    kt: int | None
    runbooks: int | None
    access: int


class RaiseStep(View):
    """A part that is not complete: the points completing it gains, and its first items."""

    part: str
    title: str
    gain: float
    items: list[RaiseItem]


class TrendPoint(View):
    day: date
    score: int


class Readiness(View):
    """``engagement readiness``: the score, its parts, per-system scores, what would raise
    it most (parts by points gained if completed) and the stored daily trend."""

    engagement: str
    day: date
    score: int
    parts: list[ReadinessPart]
    systems: list[SystemReadiness]
    raise_most: list[RaiseStep]
    trend: list[TrendPoint]
