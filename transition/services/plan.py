"""The plan's dates: where a phase ends and when a task is due, on an engagement's calendar.

A phase lasts a ``duration`` (``10d``, ``2w``, or ``10bd`` working days); the next phase
starts on the day it ends. A task is due at an offset from its phase's start (``+5d``,
``2w``, ``+3bd``, ``-2bd``). Calendar-day offsets are plain arithmetic (a task may then
fall on a non-working day: the task list flags it); working-day offsets count on the
calendar (``workdays.Calendar.shift``), so they never land on a weekend or a holiday.
Creating an engagement, replaying its audit log and re-laying a plan all go through these
functions, so that the same rule gives the same date everywhere.
"""

from __future__ import annotations

from datetime import date

from transition.workdays import Calendar, Offset, parse_offset


def task_due(calendar: Calendar, phase_start: date, rule: str | Offset) -> date:
    """When a task is due: ``rule`` (``+5d``, ``2w``, ``+3bd``, ``-2bd``) from the start of
    its phase. ``+3bd`` is the third working day after ``phase_start``; ``+0bd`` is
    ``phase_start`` if it is worked, else the next working day."""
    offset = parse_offset(rule, "due offset") if isinstance(rule, str) else rule
    return calendar.shift(phase_start, offset)


def phase_end(calendar: Calendar, start: date, duration: str | Offset) -> date:
    """The day a phase that starts on ``start`` and lasts ``duration`` (``10d``, ``2w``,
    ``10bd``; at least one day) ends, which is also the next phase's start."""
    offset = (
        parse_offset(duration, "duration", negative=False)
        if isinstance(duration, str)
        else duration
    )
    if offset.days < 1:
        from transition.errors import BadInput

        raise BadInput(f"invalid duration {duration!s}: must be at least one day")
    return calendar.shift(start, offset)
