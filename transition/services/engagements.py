"""Engagements: started from a playbook, with phases and tasks instantiated as real dates."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from sqlalchemy import case, func, insert, select
from sqlmodel import Session

from transition.dates import MAX_YEAR, MIN_YEAR, check_range, parse_date, today, utc, utcnow
from transition.errors import BadInput, Refused, about
from transition.models import Engagement, Phase, Task, TaskDependency
from transition.playbooks import Playbook, content_hash, resolve_playbook
from transition.services import audit
from transition.services.common import EngagementRef, engagement_of, find_named
from transition.services.statistics import after_bulk_write
from transition.services.views import EngagementDetail, EngagementRow
from transition.text import clean_line, clean_name, field_limit, slugify
from transition.workdays import (
    Calendar,
    Offset,
    check_code,
    check_zone,
    parse_workweek,
    show_workweek,
)

MODELS = ("managed-service", "staff-augmentation", "project", "dedicated-team")
LOCATIONS = ("onshore", "nearshore", "offshore")
OPEN_TASK = ("todo", "in_progress", "blocked")
#: The columns an ``EngagementRow`` shows as they are stored.
_ROW_COLUMNS = (
    "name",
    "slug",
    "client",
    "incumbent",
    "provider",
    "model",
    "location",
    "start_date",
    "status",
    "playbook_version",
    "playbook_hash",
    "version",
)


#: The descriptive fields that must be one of a few values: how an error names each.
_CHOICES = {"model": ("engagement model", MODELS), "location": ("location", LOCATIONS)}


def _detail(field: str, value: str) -> str:
    """One descriptive field of a new engagement, cleaned; ``model`` and ``location`` as
    the slug of one of their allowed values."""
    what, allowed = _CHOICES.get(field, (field, ()))
    with about(field):
        value = clean_line(value, what, field_limit(Engagement, field))
        if not allowed:
            return value
        slug = slugify(value)
        if slug not in allowed:
            raise BadInput(f"invalid {what} {value!r}: choose one of {', '.join(allowed)}")
        return slug


def _start_date(start: str | date | None) -> date:
    """The start as typed (``2026-12-01``), a date, or nothing (today)."""
    if isinstance(start, date):
        return start
    if start is None or not start.strip():
        return today()
    return parse_date(start, "start date")


def _calendar(code: str | None, workweek: str, holidays: Sequence[date]) -> Calendar:
    """The calendar a new engagement is planned on, each part checked."""
    with about("calendar"):
        code = check_code(code) if code is not None and code.strip() else None
    with about("workweek"):
        week = frozenset(int(d) for d in parse_workweek(workweek).split(","))
    with about("holidays"):
        for day in holidays:
            check_range(day, "holiday")
    return Calendar(code, week, frozenset(holidays))


def create(
    session: Session,
    *,
    name: str,
    playbook: str | Playbook,
    raw: bytes | None = None,
    client: str = "",
    incumbent: str = "",
    provider: str = "",
    model: str = "managed-service",
    location: str = "onshore",
    start: str | date | None = None,
    calendar: str | None = None,
    timezone: str | None = None,
    workweek: str = "mon-fri",
    holidays: Sequence[date] = (),
) -> Engagement:
    """Start an engagement: phases laid end to end from ``start`` (default today), tasks
    due at their offsets, counted on the engagement's calendar: the weekdays of
    ``workweek`` (``mon-fri``, ``sun-thu``…) are worked except the public holidays of
    ``calendar`` (``GB-ENG``, ``DE-BY``, ``IN``; none: weekends only) and the extra
    ``holidays``. ``timezone``: the IANA zone its times are read and shown in (none:
    UTC). ``playbook``: a shipped or user playbook's name or a YAML file's path, as the
    user gives it (or one already loaded, with its ``raw`` bytes).

    Returns the new row, which every other verb accepts as its engagement."""
    with about("name"):
        name = clean_name(name, "engagement name", field_limit(Engagement, "name"))
    slug = slugify(name)
    details = {
        field: _detail(field, value)
        for field, value in (
            ("client", client),
            ("incumbent", incumbent),
            ("provider", provider),
            ("model", model),
            ("location", location),
        )
    }
    with about("start"):
        start = _start_date(start)
    days = _calendar(calendar, workweek, holidays)
    if timezone is not None and timezone.strip():
        with about("timezone"):
            timezone = check_zone(timezone)
    else:
        timezone = None
    with about("playbook"):
        if isinstance(playbook, str):
            playbook, raw, _ = resolve_playbook(playbook)
        elif raw is None:
            raise BadInput(f"playbook {playbook.name}: its file's bytes are needed (raw=)")
    with about("start"):
        layout = lay_out(playbook, days, start)
    exists = find_named(session, Engagement, name)
    if exists is not None:
        if exists.name.casefold() == name.casefold():
            raise Refused(f"engagement {exists.slug!r} already exists", field="name")
        raise Refused(
            f"engagement name {name!r} has the same slug {exists.slug!r} as the existing "
            f"engagement {exists.name!r}: choose a more distinct name",
            field="name",
        )
    engagement = Engagement(
        slug=slug,
        name=name,
        **details,
        start_date=start,
        playbook_name=playbook.name,
        playbook_version=playbook.version,
        playbook_hash=content_hash(raw),
        playbook_json=playbook.model_dump_json(),
        handover_name=playbook.handover,
        **_handover_applied(playbook.handover),
        calendar=days.code,
        workweek=",".join(str(d) for d in sorted(days.workweek)),
        extra_holidays_json=json.dumps(sorted(d.isoformat() for d in days.extra)),
        timezone=timezone,
        created_at=utcnow(),
        created_by=audit.actor(session),
    )
    session.add(engagement)
    session.flush()

    phases: list[Phase] = []
    for position, (spec, (phase_start, end, _)) in enumerate(
        zip(playbook.phases, layout, strict=True)
    ):
        phases.append(
            Phase(
                engagement_id=engagement.id,
                position=position,
                key=spec.key,
                title=spec.title,
                status="active" if position == 0 else "pending",
                planned_start=phase_start,
                planned_end=end,
                baseline_start=phase_start,
                baseline_end=end,
                actual_start=start if position == 0 else None,
                gate_json="[" + ",".join(c.model_dump_json() for c in spec.gate) + "]",
            )
        )
    session.add_all(phases)
    session.flush()

    task_rows = []
    for phase, spec, (_, _, dues) in zip(phases, playbook.phases, layout, strict=True):
        for position, (task, due) in enumerate(zip(spec.tasks, dues, strict=True)):
            task_rows.append(
                {
                    "engagement_id": engagement.id,
                    "phase_id": phase.id,
                    "position": position,
                    "key": task.key,
                    "title": task.title,
                    "description": task.description.strip(),
                    "owner_role": task.owner,
                    "due_date": due,
                    "due_rule": task.due,
                    "origin": "playbook",
                    "status": "todo",
                    "version": 1,
                }
            )
    if task_rows:
        session.execute(insert(Task), task_rows)
        after_bulk_write(session, Task, len(task_rows))
        ids = dict(
            session.execute(
                select(Task.key, Task.id).where(Task.engagement_id == engagement.id)
            ).all()
        )
        deps = [
            {"task_id": ids[task.key], "depends_on_id": ids[dep]}
            for _, task in playbook.tasks()
            for dep in task.depends_on
        ]
        if deps:
            session.execute(insert(TaskDependency), deps)
            after_bulk_write(session, TaskDependency, len(deps))

    audit.record(
        session,
        engagement.id,
        "engagement",
        engagement.id,
        "create",
        "playbook",
        None,
        f"{playbook.name} v{playbook.version} ({engagement.playbook_hash[:12]})",
    )
    from transition.services import handover

    handover.on_engagement_created(session, engagement)
    from transition.services import meetings

    meetings.sync(session, engagement)
    return engagement


def _handover_applied(name: str | None) -> dict[str, object]:
    """The exit checklist the engagement starts with, recorded as applied."""
    if not name:
        return {}
    from transition.handover_checklists import applied, resolve_checklist

    record = applied(resolve_checklist(name))
    del record["handover_name"]
    return record


def summaries(
    session: Session, engagement_id: int | None = None, *, archived: bool | None = False
) -> list[EngagementRow]:
    """Every engagement (or one) with progress figures, in a fixed number of queries.

    ``archived``: False (the default) lists the engagements in use, True the archived
    ones, None both; one engagement asked for by id is listed whatever its state."""
    stmt = select(Engagement).order_by(Engagement.slug)
    if engagement_id is not None:
        stmt = stmt.where(Engagement.id == engagement_id)
    elif archived is not None:
        stmt = stmt.where(
            Engagement.archived_at.is_not(None) if archived else Engagement.archived_at.is_(None)
        )
    engagements = session.execute(stmt).scalars().all()
    if not engagements:
        return []
    ids = [e.id for e in engagements]
    now = today()
    from transition.services.playbook_versions import latest, newer_version

    index = latest()
    counts = {
        row.engagement_id: row
        for row in session.execute(
            select(
                Task.engagement_id,
                func.count().label("total"),
                func.sum(case((Task.status.in_(("done", "skipped")), 1), else_=0)).label("done"),
                func.sum(
                    case((Task.status.in_(OPEN_TASK) & (Task.due_date < now), 1), else_=0)
                ).label("overdue"),
                func.sum(case((Task.status == "blocked", 1), else_=0)).label("blocked"),
            )
            .where(Task.engagement_id.in_(ids), Task.removed_at.is_(None))
            .group_by(Task.engagement_id)
        )
    }
    phases: dict[int, list[Phase]] = {}
    for phase in session.execute(
        select(Phase)
        .where(Phase.engagement_id.in_(ids))
        .order_by(Phase.engagement_id, Phase.position)
    ).scalars():
        phases.setdefault(phase.engagement_id, []).append(phase)
    out = []
    for e in engagements:
        c = counts.get(e.id)
        plist = phases.get(e.id, [])
        current = next((p for p in plist if p.status == "active"), None)
        cutover = cutover_date(plist)
        out.append(
            EngagementRow(
                **{column: getattr(e, column) for column in _ROW_COLUMNS},
                playbook=e.playbook_name,
                current_phase=current.key if current else None,
                phases=[p.key for p in plist],
                phase_index=current.position if current else len(plist),
                tasks_total=int(c.total) if c else 0,
                tasks_done=int(c.done or 0) if c else 0,
                tasks_overdue=int(c.overdue or 0) if c else 0,
                tasks_blocked=int(c.blocked or 0) if c else 0,
                cutover_date=cutover,
                days_to_cutover=(cutover - now).days if cutover else None,
                archived_at=utc(e.archived_at) if e.archived_at is not None else None,
                playbook_latest=newer_version(index, e.playbook_name, e.playbook_version),
            )
        )
    return out


def detail(session: Session, engagement: EngagementRef) -> EngagementDetail:
    """``engagement show``: the engagement's list row with its phases and their gates."""
    from transition.services import gates

    eng = engagement_of(session, engagement)
    (summary,) = summaries(session, eng.id)
    phases = gates.status(session, eng).model_dump()["phases"]
    days = Calendar.of(eng)
    return EngagementDetail.model_validate(
        {
            **summary.model_dump(),
            "phases": phases,
            "calendar": days.code,
            "workweek": show_workweek(eng.workweek),
            "extra_holidays": sorted(days.extra),
            "timezone": eng.timezone,
            "notice_date": eng.notice_date,
            "exit_date": eng.exit_date,
            **_exit_links(session, eng),
        }
    )


def _exit_links(session: Session, eng: Engagement) -> dict[str, str | None]:
    """The engagement ``eng`` is the exit of, and the exit started from it (one query)."""
    links = session.execute(
        select(Engagement.id, Engagement.slug).where(
            (Engagement.id == eng.exit_of_id) | (Engagement.exit_of_id == eng.id)
        )
    ).all()
    return {
        "exit_of": next((slug for i, slug in links if i == eng.exit_of_id), None),
        "exit_engagement": next((slug for i, slug in links if i != eng.exit_of_id), None),
    }


def cutover_date(phases: list[Phase]) -> date | None:
    """Start of the cutover phase (actual when started, else planned); else the last end."""
    for phase in phases:
        if phase.key == "cutover":
            return phase.actual_start or phase.planned_start
    return phases[-1].planned_end if phases else None


def milestone(phases: list[Phase], expression: str, calendar: Calendar | None = None) -> date:
    """Resolve ``cutover``, ``cutover+30d``, ``parallel-run.end``, ``ramp-up.start-5d``,
    ``cutover+3bd``… Working days (``bd``) count on ``calendar`` (the engagement's;
    none: Monday to Friday)."""
    import re

    match = re.fullmatch(
        r"([a-z0-9-]+?)(?:\.(start|end))?(?:([+-])(\d{1,4})(bd|d|w))?", expression.strip()
    )
    if not match:
        raise BadInput(
            f"invalid milestone {expression!r}: expected PHASE[.start|.end][+N|-N][d|bd|w], "
            "e.g. cutover+30d, cutover+5bd or parallel-run.end"
        )
    key, edge, sign, number, unit = match.groups()
    phase = next((p for p in phases if p.key == key), None)
    if phase is None:
        raise BadInput(f"unknown milestone {key!r}: phases are {', '.join(p.key for p in phases)}")
    if edge == "end":
        base = phase.actual_end or phase.planned_end
    else:
        base = phase.actual_start or phase.planned_start
    if number:
        days = int(number) * (7 if unit == "w" else 1)
        offset = Offset(days if sign == "+" else -days, unit == "bd")
        try:
            base = (calendar or Calendar()).shift(base, offset)
        except OverflowError:
            raise BadInput(f"invalid milestone {expression!r}: past the year 9999") from None
    check_range(base, "milestone date", shown=f"{expression} = {base.isoformat()}")
    return base


def lay_out(
    playbook: Playbook, calendar: Calendar, start: date
) -> list[tuple[date, date, list[date]]]:
    """The plan's dates on ``calendar``: per phase its start, its end and its tasks' due
    dates, phases end to end from ``start`` (``plan.phase_end``, ``plan.task_due``).

    Every date must lie in the years the tool accepts, like every date a user types: else
    an export could not be imported and date arithmetic could leave Python's range.
    Refused before anything is written."""
    from transition.services.plan import phase_end, task_due

    out: list[tuple[date, date, list[date]]] = []
    phase_start = start
    try:
        for spec in playbook.phases:
            dues = [task_due(calendar, phase_start, task.offset) for task in spec.tasks]
            end = phase_end(calendar, phase_start, spec.span)
            out.append((phase_start, end, dues))
            for day in (*dues, end):
                if not MIN_YEAR <= day.year <= MAX_YEAR:
                    raise _PastRange(day)
            phase_start = end
    except (OverflowError, _PastRange) as exc:
        latest = exc.day if isinstance(exc, _PastRange) else None
        if latest is not None and latest.year < MIN_YEAR:
            raise BadInput(
                f"a start on {start.isoformat()} lays out the plan of {playbook.name} from "
                f"{latest.isoformat()}, before the first date the tool accepts "
                f"({MIN_YEAR}-01-01): start later"
            ) from None
        raise BadInput(
            f"a start on {start.isoformat()} lays out the plan of {playbook.name} until "
            f"{'after 9999' if latest is None else latest.isoformat()}, past the last "
            f"date the tool accepts ({MAX_YEAR}-12-31): start earlier"
        ) from None
    return out


class _PastRange(Exception):
    def __init__(self, day: date) -> None:
        self.day = day


# Editing, archiving and deleting live beside, re-exported here: ``engagements.update``…
from transition.services.engagement_edit import (  # noqa: E402
    archive,
    delete,
    settings,
    unarchive,
    update,
)

__all__ = [
    "MODELS",
    "LOCATIONS",
    "archive",
    "create",
    "cutover_date",
    "delete",
    "detail",
    "milestone",
    "settings",
    "summaries",
    "unarchive",
    "update",
]
