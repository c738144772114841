"""The geometry of the status report's inline SVG charts: the task burndown, the phase
timeline and the dependency map (coordinates as numbers; the template draws)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from transition import report_map


def charts(data: Any) -> dict[str, Any]:
    """Geometry for the inline SVG charts (coordinates as numbers; the template draws)."""
    return {
        "burndown": _burndown_chart(data["burndown"], data["today"]),
        "timeline": _timeline(data),
        "dependency_map": report_map.inline_map(data.get("dependency_map")),
    }


def _burndown_chart(burndown: dict[str, Any], now: date) -> dict[str, Any]:
    width, height, left, right, top, bottom = 640, 240, 44, 16, 14, 34
    start, end = burndown["start"], max(burndown["end"], now)
    span = max((end - start).days, 1)
    total = max(burndown["total"], 1)
    inner_w, inner_h = width - left - right, height - top - bottom

    def x(day: date) -> float:
        return round(left + inner_w * (day - start).days / span, 1)

    def y(value: int) -> float:
        return round(top + inner_h * (1 - value / total), 1)

    planned = " ".join(f"{x(p['date'])},{y(p['planned'])}" for p in burndown["points"])
    actual = " ".join(
        f"{x(p['date'])},{y(p['actual'])}" for p in burndown["points"] if p["actual"] is not None
    )
    x_ticks = []
    step = 14 if span > 56 else 7
    day = start
    while day <= end:
        x_ticks.append({"x": x(day), "label": day.strftime("%d %b")})
        day += timedelta(days=step)
    y_ticks = [{"y": y(v), "label": v} for v in sorted({0, total // 2, total})]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": height - bottom,
        "planned": planned,
        "actual": actual,
        "x_ticks": x_ticks,
        "y_ticks": y_ticks,
        "today_x": x(now) if start <= now <= end else None,
    }


def _timeline(data: Any) -> dict[str, Any]:
    phases, now = data["phases"], data["today"]
    width, label_w, right, row_h, top = 640, 130, 16, 30, 22
    if not phases:
        return {"width": width, "height": top, "rows": [], "ticks": [], "today_x": None}
    start = min([p.planned_start for p in phases] + [p.actual_start or now for p in phases])
    end = max([p.planned_end for p in phases] + [p.actual_end or p.planned_end for p in phases])
    end = max(end, now)
    span = max((end - start).days, 1)
    inner = width - label_w - right

    def x(day: date) -> float:
        return round(label_w + inner * (day - start).days / span, 1)

    rows = []
    for i, p in enumerate(phases):
        y = top + i * row_h
        row = {
            "label": p.title,
            "y": y,
            "text_y": y + 15,
            "planned_x": x(p.planned_start),
            "planned_w": max(x(p.planned_end) - x(p.planned_start), 1),
            "actual_x": None,
            "actual_w": 0,
            "status": p.status,
            "late": p.late_days > 0,
        }
        if p.actual_start:
            finish = p.actual_end or now
            row["actual_x"] = x(p.actual_start)
            row["actual_w"] = max(x(finish) - x(p.actual_start), 2)
        rows.append(row)
    ticks = []
    day = start
    step = 14 if span > 56 else 7
    while day <= end:
        ticks.append({"x": x(day), "label": day.strftime("%d %b")})
        day += timedelta(days=step)
    height = top + len(phases) * row_h + 8
    return {
        "width": width,
        "height": height,
        "rows": rows,
        "ticks": ticks,
        "axis_y": top - 6,
        "today_x": x(now) if start <= now <= end else None,
    }
