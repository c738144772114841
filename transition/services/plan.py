"""The plan's dates: where a phase ends and when a task is due, on an engagement's calendar.

A phase lasts a ``duration`` (``10d``, ``2w``, or ``10bd`` working days); the next phase
starts on the day it ends. A task is due at an offset from its phase's start (``+5d``,
``2w``, ``+3bd``, ``-2bd``). Calendar-day offsets are plain arithmetic (a task may then
fall on a non-working day: the task list flags it); working-day offsets count on the
calendar (``workdays.Calendar.shift``), so they never land on a weekend or a holiday.
Creating an engagement, replaying its audit log and re-laying a plan all go through these
functions, so that the same rule gives the same date everywhere.

When a phase slips or is moved by hand, the plan is re-laid: the phases after it, and
the due dates of the open tasks that follow them.

A phase keeps its planned length when it moves: in working days on the engagement's
calendar when its playbook duration is in working days (``10bd``), else in calendar days.
A gap that a hand-made replan left before a later phase is kept (a phase moved to wait
for something keeps waiting as long), whether the plan is re-laid by a slip, another
replan, a new calendar or a playbook upgrade.
An open task stays at its offset from its phase's start (its ``due_rule``; a task without
one keeps its distance in calendar days). Done and skipped tasks, removed tasks and the
baseline (the plan as first laid) never move. Every change is a field event with the
action that caused it (``replan``) in the caller's transaction; a hand-made replan also
records its reason as a ``reason`` event on the first phase it moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from transition.dates import check_range, parse_date
from transition.errors import BadInput, Conflict, NotFound, Refused, about
from transition.models import Engagement, Phase, Task
from transition.services import audit
from transition.services.common import EngagementRef, check_version, engagement_of
from transition.services.views.phases import MovedPhase, ReplanView
from transition.text import clean_text
from transition.workdays import Calendar, Offset, parse_offset

#: Task statuses whose due dates no longer move.
CLOSED = ("done", "skipped")
REPLAN = "replan"


@dataclass(frozen=True)
class _Slot:
    phase: Phase
    start: date
    end: date


def _durations(engagement: Engagement) -> dict[str, str]:
    """Phase key → its duration as the engagement's playbook wrote it (``2w``, ``10bd``)."""
    from transition.playbooks import from_json

    try:
        playbook = from_json(engagement.playbook_json)
    except Exception:  # an unreadable stored playbook: every phase keeps its own length
        return {}
    return {spec.key: spec.duration for spec in playbook.phases}


def _length_end(calendar: Calendar, phase: Phase, start: date, duration: str | None) -> date:
    """Where ``phase`` ends when it starts on ``start``, keeping its planned length."""
    if duration:
        try:
            offset = parse_offset(duration, "duration", negative=False)
        except BadInput:
            offset = None
        if offset is not None and offset.business:
            return phase_end(calendar, start, duration)
    return start + (phase.planned_end - phase.planned_start)


def _lay(
    calendar: Calendar, engagement: Engagement, phases: list[Phase], start: date
) -> list[_Slot]:
    """The new dates of ``phases`` (in order) laid from ``start``, each after the one
    before it. A gap a hand-made replan left between two phases is kept, in calendar
    days: the phase moved by hand still starts that long after the one before it."""
    durations = _durations(engagement)
    slots, cursor = [], start
    try:
        for before, phase in zip([None, *phases], phases, strict=False):
            if before is not None and phase.planned_start > before.planned_end:
                cursor += phase.planned_start - before.planned_end
            end = _length_end(calendar, phase, cursor, durations.get(phase.key))
            slots.append(_Slot(phase, cursor, end))
            cursor = end
    except OverflowError:
        raise BadInput(f"a start on {start.isoformat()} lays the plan past the year 9999") from None
    for slot in slots:
        check_range(slot.end, "phase end", shown=f"{slot.phase.key} ends {slot.end.isoformat()}")
    return slots


def relay(
    session: Session,
    engagement: EngagementRef,
    from_position: int,
    start: date,
    action: str = REPLAN,
    reason: str | None = None,
) -> ReplanView:
    """Lay the phases from ``from_position`` on end to end from ``start`` and move the due
    dates of their open tasks with them, in the caller's transaction. Returns what moved."""
    engagement = engagement_of(session, engagement)
    calendar = Calendar.of(engagement)
    phases = list(
        session.execute(
            select(Phase)
            .where(Phase.engagement_id == engagement.id, Phase.position >= from_position)
            .order_by(Phase.position)
        ).scalars()
    )
    slots = _lay(calendar, engagement, phases, start)
    old_starts = {p.id: p.planned_start for p in phases}
    new_starts = {s.phase.id: s.start for s in slots}
    tasks = list(
        session.execute(
            select(Task)
            .where(
                Task.engagement_id == engagement.id,
                Task.phase_id.in_(list(old_starts)),
                Task.status.not_in(CLOSED),
                Task.removed_at.is_(None),
                Task.due_date.is_not(None),
            )
            .order_by(Task.phase_id, Task.position, Task.id)
        ).scalars()
    )
    dues = [
        (task, _due(calendar, task, old_starts[task.phase_id], new_starts[task.phase_id]))
        for task in tasks
    ]
    for task, new_due in dues:  # every date checked before anything changes
        check_range(new_due, "due date", shown=f"task {task.key} due {new_due.isoformat()}")
    changes: list[audit.Change] = []
    moved_tasks: dict[int, int] = {}
    for task, new_due in dues:
        if new_due != task.due_date:
            changes.append(
                audit.Change("task", task.id, action, "due_date", task.due_date, new_due)
            )
            task.due_date = new_due
            session.add(task)
            moved_tasks[task.phase_id] = moved_tasks.get(task.phase_id, 0) + 1
    moved: list[MovedPhase] = []
    for slot in slots:
        phase = slot.phase
        old = (phase.planned_start, phase.planned_end)
        if old == (slot.start, slot.end) and not moved_tasks.get(phase.id):
            continue
        moved.append(
            MovedPhase(
                key=phase.key,
                title=phase.title,
                old_start=old[0],
                old_end=old[1],
                new_start=slot.start,
                new_end=slot.end,
                tasks_moved=moved_tasks.get(phase.id, 0),
            )
        )
        for field, before, after in (
            ("planned_start", old[0], slot.start),
            ("planned_end", old[1], slot.end),
        ):
            if before != after:
                changes.append(audit.Change("phase", phase.id, action, field, before, after))
                setattr(phase, field, after)
        session.add(phase)
    if reason is not None and changes:
        # The reason is kept on the first phase moved: `audit` shows it with the change.
        changes.append(audit.Change("phase", phases[0].id, action, "reason", None, reason))
    if changes:
        try:
            session.flush()
        except StaleDataError:
            session.rollback()
            raise Conflict(
                "a phase or task was changed by someone else while the plan was re-laid; "
                "nothing was saved, reload and try again"
            ) from None
        audit.record_many(session, engagement.id, changes)
    from transition.services import meetings

    meetings.sync(session, engagement)
    return ReplanView(
        engagement=engagement.slug,
        action=action,
        reason=reason,
        phases=moved,
        tasks_moved=sum(moved_tasks.values()),
        grants_moved=0,
    )


def _due(calendar: Calendar, task: Task, old_start: date, new_start: date) -> date:
    """Where an open task is due once its phase starts on ``new_start``."""
    if task.due_rule:
        try:
            return task_due(calendar, new_start, task.due_rule)
        except BadInput:
            pass  # a rule the tool no longer reads: keep the distance instead
    assert task.due_date is not None
    return new_start + (task.due_date - old_start)


def relay_all(session: Session, engagement: EngagementRef) -> ReplanView:
    """Re-lay the phase in progress and the ones after it from where the current one
    starts, and the due dates of their open tasks (after the calendar changed)."""
    engagement = engagement_of(session, engagement)
    current = session.execute(
        select(Phase.position, Phase.planned_start)
        .where(Phase.engagement_id == engagement.id, Phase.status == "active")
        .order_by(Phase.position)
        .limit(1)
    ).first()
    if current is None:  # not started or every phase done: nothing lies ahead
        return ReplanView(
            engagement=engagement.slug,
            action=REPLAN,
            reason=None,
            phases=[],
            tasks_moved=0,
            grants_moved=0,
        )
    view = relay(session, engagement, current.position, current.planned_start)
    return _with_grants(session, engagement, view)


def _with_grants(session: Session, engagement: Engagement, view: ReplanView) -> ReplanView:
    """Milestone-relative grant expiries follow the moved phases."""
    if not view.phases:
        return view
    from transition.services import access

    moved = access.on_milestones_changed(session, engagement)
    return view.model_copy(update={"grants_moved": moved})


def replan(
    session: Session,
    engagement: EngagementRef,
    phase: str,
    start: str | date,
    reason: str,
    *,
    expected_version: int | None = None,
) -> ReplanView:
    """``phase replan``: move a phase not yet started, and every phase after it, to start
    on ``start``, for a written ``reason``. The phase before it must end by then."""
    engagement = engagement_of(session, engagement)
    with about("reason"):
        text = clean_text(reason if reason is not None else "", "the reason").strip()
        if not text:
            raise BadInput("a replan needs a reason: say why the plan moves (--reason TEXT)")
    with about("start"):
        day = start if isinstance(start, date) else parse_date(start, "start date")
    key = str(phase).strip().lower()
    phases = list(
        session.execute(
            select(Phase).where(Phase.engagement_id == engagement.id).order_by(Phase.position)
        ).scalars()
    )
    target = next((p for p in phases if p.key == key), None)
    if target is None:
        raise NotFound(
            f"unknown phase {phase!r} in {engagement.slug}: phases are "
            f"{', '.join(p.key for p in phases)}",
            field="phase",
        )
    if target.status != "pending":
        started = "in progress" if target.status == "active" else "done"
        raise Refused(
            f"phase {target.key} is {started}: only a phase not yet started can be replanned "
            "(a phase in progress moves when its gate is passed)",
            field="phase",
        )
    check_version(session, target, expected_version, "phase", target.key)
    before = next((p for p in phases if p.position == target.position - 1), None)
    if before is not None and day < before.planned_end:
        raise Refused(
            f"phase {target.key} cannot start on {day.isoformat()}: phase {before.key} before "
            f"it is planned to end on {before.planned_end.isoformat()} and phases do not "
            f"overlap; start it on {before.planned_end.isoformat()} or later",
            field="start",
        )
    with about("start"):
        view = relay(session, engagement, target.position, day, REPLAN, reason=text)
    return _with_grants(session, engagement, view)


# Pure date rules: the same rule gives the same date everywhere -------------------------


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
        raise BadInput(f"invalid duration {duration!s}: must be at least one day")
    return calendar.shift(start, offset)
