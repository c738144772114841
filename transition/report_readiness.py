"""The status report's readiness section: the score, its parts and the trend of the stored
daily figures as the geometry of a small inline SVG line (the template draws it)."""

from __future__ import annotations

from typing import Any, TypedDict

from sqlmodel import Session

from transition.models import Engagement
from transition.services import readiness
from transition.services.views.readiness import TrendPoint

WIDTH, HEIGHT, PAD = 240, 48, 4


class ReadinessSection(TypedDict):
    """What the report's readiness section shows."""

    score: int
    parts: list[dict[str, Any]]
    raise_most: list[dict[str, Any]]
    trend: list[dict[str, Any]]
    #: The SVG's geometry: width, height, points ("x,y …"), or None under two days.
    chart: dict[str, Any] | None


def section(
    session: Session, engagement: Engagement, top: int | None = None, **known: Any
) -> ReadinessSection:
    """``known``: the KT matrix and high access findings the report has read already.
    ``top``: each part lists only the ``top`` items that raise the score most, as the
    report's other long lists (every item when None)."""
    data = readiness.readiness(session, engagement, items=top, per_system=False, **known)
    trend = list(data.trend)
    if not trend or trend[-1].day != data.day:  # today's figure, kept once the report is made
        trend = [*trend[-(readiness.TREND_DAYS - 1) :], TrendPoint(day=data.day, score=data.score)]
    return ReadinessSection(
        score=data.score,
        parts=[p.model_dump() for p in data.parts],
        raise_most=[s.model_dump() for s in data.raise_most[:3]],
        trend=[p.model_dump() for p in trend],
        chart=_chart(trend),
    )


def _chart(trend: list[TrendPoint]) -> dict[str, Any] | None:
    if len(trend) < 2:
        return None
    step = (WIDTH - 2 * PAD) / (len(trend) - 1)
    points = " ".join(
        f"{PAD + i * step:.1f},{PAD + (HEIGHT - 2 * PAD) * (100 - p.score) / 100:.1f}"
        for i, p in enumerate(trend)
    )
    return {"width": WIDTH, "height": HEIGHT, "points": points}
