"""The status report's scorecard section: per KPI, the provider's and the incumbent's
weekly values against the target, as a table and as the geometry of an inline SVG chart
(the template draws it; text reaches it only through autoescaped template values)."""

from __future__ import annotations

from typing import Any, TypedDict

from markupsafe import Markup
from sqlmodel import Session

from transition.models import Engagement
from transition.services import scorecard
from transition.services.views.scorecard import KPISeries, Scorecard


class ScorecardSection(TypedDict):
    """What the report's scorecard section shows."""

    periods: list[str]
    #: Per KPI: key, title, unit, target, better, rows (period, incumbent, provider,
    #: met) and chart (the SVG's geometry).
    kpis: list[dict[str, Any]]
    interventions: list[dict[str, Any]]


WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 170, 56, 32, 12, 30


def section(session: Session, engagement: Engagement) -> ScorecardSection:
    """The weeks, each KPI's rows and chart, the interventions (empty lists when the
    playbook declares no KPIs or nothing is recorded)."""
    card = scorecard.scorecard(session, engagement)
    return ScorecardSection(
        periods=card.periods,
        kpis=[_kpi(card, k) for k in card.kpis],
        interventions=[i.model_dump() for i in card.interventions],
    )


def _fmt(value: float | None) -> Markup:
    """A number as the report shows it (``88``, ``96.2``): digits and signs only, so it
    is marked safe for both formats (Markdown would escape the ``.``)."""
    return Markup("–" if value is None else f"{value:g}")


def _kpi(card: Scorecard, kpi: KPISeries) -> dict[str, Any]:
    rows = [
        {
            "period": period,
            "incumbent": _fmt(kpi.incumbent[i]),
            "provider": _fmt(kpi.provider[i]),
            "met": kpi.provider_met[i],
        }
        for i, period in enumerate(card.periods)
    ]
    return {
        "key": kpi.key,
        "title": kpi.title,
        "unit": kpi.unit,
        "target": _fmt(kpi.target),
        "better": kpi.better,
        "rows": rows,
        "chart": _chart(card.periods, kpi),
    }


def _chart(periods: list[str], kpi: KPISeries) -> dict[str, Any]:
    values = [v for v in (*kpi.incumbent, *kpi.provider) if v is not None] + [kpi.target]
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    low, high = low - pad, high + pad
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(periods) - 1, 1)

    def x(i: int) -> float:
        return round(LEFT + inner_w * (i / count if len(periods) > 1 else 0.5), 1)

    def y(value: float) -> float:
        return round(TOP + inner_h * (1 - (value - low) / (high - low)), 1)

    def line(series: list[float | None]) -> str:
        return " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(series) if v is not None)

    def dots(series: list[float | None]) -> list[dict[str, float]]:
        return [{"x": x(i), "y": y(v)} for i, v in enumerate(series) if v is not None]

    step = max(1, len(periods) // 8)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "target_y": y(kpi.target),
        "provider": line(kpi.provider),
        "incumbent": line(kpi.incumbent),
        "provider_dots": dots(kpi.provider),
        "incumbent_dots": dots(kpi.incumbent),
        "x_ticks": [{"x": x(i), "label": p} for i, p in enumerate(periods) if i % step == 0],
        "y_ticks": [{"y": y(v), "label": f"{v:.3g}"} for v in (low + pad, high - pad)],
    }
