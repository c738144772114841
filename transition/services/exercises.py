"""Tabletop exercises: a scenario (a vendor security incident, a key person leaving, a
regulatory audit) walked through on a day by the people who would act on it, and the
findings that become tasks.

A scenario is given by its key (``vendor-security-incident``) or in words; words are
kept as its title and slugged into its key (``"Data-centre flood"`` → ``data-centre-flood``).
One exercise per scenario and day (a database constraint). An exercise counts as held
once its day has come; the gate criterion ``exercises: [KEYS]`` is met when each key
has a held exercise. Audited as entity ``exercise`` (action ``create``; a finding is
``finding`` with the task's key, the task itself audited by ``task add``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from transition.dates import check_range, parse_date, today, utcnow
from transition.errors import BadInput, NotFound, Refused, about
from transition.models import (
    Engagement,
    Exercise,
    ExerciseFinding,
    ExerciseParticipant,
    Person,
    Phase,
    Task,
)
from transition.playbooks import Criterion
from transition.services import audit
from transition.services.access_rules import check_present
from transition.services.common import (
    MAX_ID,
    EngagementRef,
    add_unique,
    engagement_of,
    find_named,
    get_person,
)
from transition.services.views.golive import ExerciseView, FindingView
from transition.text import clean_line, field_limit, slugify

ENTITY = "exercise"
#: The scenarios outsourcing guidance names: key → title.
SCENARIOS = {
    "vendor-security-incident": "Vendor security incident",
    "key-person-departure": "Key-person departure",
    "regulatory-audit": "Regulatory audit",
}


def scenario_of(value: str) -> tuple[str, str]:
    """``(key, title)`` of a scenario given by key or in words."""
    with about("scenario"):
        text = clean_line(value, "scenario", field_limit(Exercise, "scenario"), required=True)
    key = slugify(text)
    if not key:
        raise BadInput(f"invalid scenario {value!r}: it needs letters or digits", field="scenario")
    if len(key) > (field_limit(Exercise, "key") or 100):
        raise BadInput(f"scenario {value!r} is too long for a key", field="scenario")
    return key, SCENARIOS.get(key, text)


def _participants(
    session: Session, engagement: Engagement, names: Sequence[str], day: date
) -> list[Person]:
    people: dict[int, Person] = {}
    with about("participant"):
        for name in names:
            person = get_person(session, engagement, name)
            check_present(person, day, "take part in an exercise", field="participant")
            people.setdefault(person.id, person)
    return list(people.values())


def add(
    session: Session,
    engagement: EngagementRef,
    *,
    scenario: str,
    on: str | date,
    participants: Sequence[str] = (),
) -> ExerciseView:
    """Record a tabletop exercise of ``scenario`` on ``on`` with its participants. The
    same scenario twice on one day is refused (exit 1)."""
    engagement = engagement_of(session, engagement)
    key, title = scenario_of(scenario)
    with about("on"):
        day = on if isinstance(on, date) else parse_date(str(on), "exercise date")
        check_range(day, "exercise date")
    people = _participants(session, engagement, participants, day)
    duplicate = Refused(
        f"a {key} exercise on {day.isoformat()} is already recorded in {engagement.slug}",
        field="scenario",
    )
    taken = session.execute(
        select(Exercise.id).where(
            Exercise.engagement_id == engagement.id, Exercise.key == key, Exercise.held_on == day
        )
    ).first()
    if taken is not None:
        raise duplicate
    row = Exercise(
        engagement_id=engagement.id,
        key=key,
        scenario=title,
        held_on=day,
        created_at=utcnow(),
        created_by=audit.actor(session),
    )
    if not add_unique(session, row):  # another writer recorded it since the check above
        raise duplicate
    session.add_all(
        ExerciseParticipant(engagement_id=engagement.id, exercise_id=row.id, person_id=p.id)
        for p in people
    )
    session.flush()
    initial: dict[str, Any] = {
        "key": key,
        "scenario": title,
        "held_on": day,
        "participants": ", ".join(p.name for p in people) or None,
    }
    audit.record_many(
        session,
        engagement.id,
        [
            audit.Change(ENTITY, row.id, "create", field, None, value)
            for field, value in initial.items()
            if value is not None
        ],
    )
    return _views(session, engagement, row.id)[0]


def _views(session: Session, engagement: Engagement, only: int | None = None) -> list[ExerciseView]:
    """The engagement's exercises (or the one ``only``), in three queries."""
    where = [Exercise.engagement_id == engagement.id]
    if only is not None:
        where.append(Exercise.id == only)
    rows = session.execute(
        select(Exercise).where(*where).order_by(Exercise.held_on, Exercise.id)
    ).scalars()
    rows = list(rows)
    people: dict[int, list[str]] = defaultdict(list)
    for exercise_id, name in session.execute(
        select(ExerciseParticipant.exercise_id, Person.name)
        .join(Person, Person.id == ExerciseParticipant.person_id)
        .join(Exercise, Exercise.id == ExerciseParticipant.exercise_id)
        .where(*where)
        .order_by(Person.slug)
    ):
        people[exercise_id].append(name)
    findings: dict[int, list[str]] = defaultdict(list)
    for exercise_id, key in session.execute(
        select(ExerciseFinding.exercise_id, Task.key)
        .join(Task, Task.id == ExerciseFinding.task_id)
        .join(Exercise, Exercise.id == ExerciseFinding.exercise_id)
        .where(*where, Task.removed_at.is_(None))
        .order_by(Task.id)
    ):
        findings[exercise_id].append(key)
    now = today()
    return [
        ExerciseView(
            id=r.id,
            key=r.key,
            scenario=r.scenario,
            held_on=r.held_on,
            held=r.held_on <= now,
            participants=people[r.id],
            findings=findings[r.id],
            created_by=r.created_by,
        )
        for r in rows
    ]


def list_exercises(session: Session, engagement: EngagementRef) -> list[ExerciseView]:
    """Every exercise of the engagement, by day."""
    engagement = engagement_of(session, engagement, writable=False)
    return _views(session, engagement)


def _exercise(session: Session, engagement: Engagement, exercise_id: int | str) -> Exercise:
    try:
        wanted = int(exercise_id)
    except (TypeError, ValueError):
        raise BadInput(f"invalid exercise id {exercise_id!r}: expected a number") from None
    row = session.get(Exercise, wanted) if 0 < wanted <= MAX_ID else None
    if row is None or row.engagement_id != engagement.id:
        raise NotFound(f"unknown exercise {exercise_id} in {engagement.slug}")
    return row


def add_finding(
    session: Session,
    engagement: EngagementRef,
    exercise_id: int | str,
    *,
    title: str,
    owner: str = "",
    due: str | date | None = None,
) -> FindingView:
    """A finding of exercise ``exercise_id`` becomes an ad-hoc task of the phase in
    progress, linked to the exercise. ``owner``: a person of the engagement (the task is
    assigned to them) or an owner role."""
    from transition.services import task_edit, tasks

    engagement = engagement_of(session, engagement)
    with about("id"):
        row = _exercise(session, engagement, exercise_id)
        if row.held_on > today():
            raise Refused(
                f"the {row.scenario} exercise on {row.held_on.isoformat()} has not taken place "
                "yet: record its findings once it has"
            )
    phase = session.execute(
        select(Phase.key).where(Phase.engagement_id == engagement.id, Phase.status == "active")
    ).scalar_one_or_none()
    if phase is None:
        raise Refused(f"{engagement.slug} has no phase in progress to add the finding's task to")
    person = None
    if owner and owner.strip():
        with about("owner"):
            owner = clean_line(owner, "owner", field_limit(Task, "owner_role"))
        person = find_named(
            session,
            Person,
            owner,
            Person.engagement_id == engagement.id,
            Person.removed_at.is_(None),
        )
    count = session.execute(
        select(func.count()).where(ExerciseFinding.exercise_id == row.id)
    ).scalar_one()
    task = task_edit.add(
        session,
        engagement,
        phase=phase,
        key=f"exercise-{row.id}-finding-{count + 1}",
        title=title,
        due=due,
        owner="" if person is not None else owner,
        description=f"Finding of the {row.scenario} exercise on {row.held_on.isoformat()}.",
    )
    session.add(ExerciseFinding(engagement_id=engagement.id, exercise_id=row.id, task_id=task.id))
    session.flush()
    audit.record(session, engagement.id, ENTITY, row.id, "finding", "task", None, task.key)
    if person is not None:
        task = tasks.assign(session, engagement, task.key, person.name)
    return FindingView(exercise_id=row.id, scenario=row.scenario, task=task)


# Gate criterion ``exercises: [KEYS]``.


def gate_facts(session: Session, engagement: Engagement) -> set[str]:
    """The scenario keys with a held exercise (one query)."""
    return set(
        session.execute(
            select(Exercise.key)
            .where(Exercise.engagement_id == engagement.id, Exercise.held_on <= today())
            .distinct()
        ).scalars()
    )


def gate_judge(criterion: Criterion, phase: Phase, facts: Any) -> tuple[bool, str]:
    held: set[str] = facts or set()
    missing = [k for k in criterion.keys if k not in held]
    if missing:
        return False, f"no exercise held yet: {', '.join(missing)}"
    return True, f"held: {', '.join(criterion.keys)}"
