"""The next 14 days told in one line: the cutover and phase ends by date, then releases,
grants expiring, KT sessions and tasks due, counted (the most decisive first, so a narrow
terminal cuts the least)."""

from __future__ import annotations

from datetime import date

from transition.services.views.report import Upcoming


def _on(day: date) -> str:
    return f"{day:%d %b}"


def _counted(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def ahead_parts(u: Upcoming) -> list[str]:
    """The parts of the line, in the order they are told."""
    counts = u.counts
    parts: list[str] = []
    if u.cutover is not None and counts.get("cutover"):
        parts.append(f"cutover {_on(u.cutover)}")
    phases = [i for i in u.items if i.kind == "phase"]
    parts += [f"{i.text} {_on(i.day)}" for i in phases[:2]]
    if len(phases) > 2:
        parts.append(f"{len(phases) - 2} more phase end(s)")
    if n := counts.get("release", 0):
        first = u.first("release")
        who = first.text.removesuffix(" is released") if first else ""
        parts.append(
            f"{who} leaves {_on(first.day)}"
            if n == 1 and first
            else f"{n} releases (first {_on(first.day)})"
            if first
            else _counted(n, "release", "releases")
        )
    if n := counts.get("expiry", 0):
        parts.append(_counted(n, "grant expires", "grants expire"))
    if n := counts.get("kt", 0):
        parts.append(_counted(n, "KT session", "KT sessions"))
    if n := counts.get("task", 0):
        parts.append(_counted(n, "task due", "tasks due"))
    return parts


def ahead_line(u: Upcoming) -> str:
    """``Next 14 days: cutover 01 Dec · ramp-up ends 25 Nov · 2 releases …``"""
    days = (u.until - u.today).days
    parts = ahead_parts(u)
    return f"Next {days} days: " + (" · ".join(parts) if parts else "nothing due")
