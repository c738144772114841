"""Runbooks with evidence: what a runbook must show before it moves along its lifecycle.

- *reviewed*: its file has no ``[[FILL: …]]`` placeholder and no conflict marker line
  (``<<<<<<<``, ``=======``, ``>>>>>>>`` as ``runbook update`` writes them) left;
- *validated*: a passing exercise is recorded (``record_exercise``). A pass whose day
  falls in the parallel-run phase is the evidence; a pass outside it still validates, with
  a warning (in ``runbook list``, the status change and ``access review``);
- *accepted*: signed by a person of the receiving side (provider) who is not its author:
  neither its owner nor the person who generated it (``created_by`` naming a person).

The parallel-run phase is the phase whose key is ``parallel-run``; its window runs from
its actual start (else its planned start) to its actual end, else its planned end, and
stays open while the phase is active. An engagement without that phase has no window:
every pass is then outside it.

Each runbook also has an owner (a person) and a next review date (``set_details``); a
review date in the past is a finding (``findings``, shown by ``access review``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from transition import errors
from transition.dates import parse_date, today, utcnow
from transition.errors import BadInput, Refused
from transition.files import Unreadable, read_input
from transition.guard import no_secrets
from transition.models import Engagement, Person, Phase, Runbook, RunbookExercise, System
from transition.services import audit
from transition.services.access_rules import check_present, warn
from transition.services.common import (
    EngagementRef,
    apply_changes,
    check_version,
    engagement_of,
    get_by_id,
    get_person,
)
from transition.services.runbook_files import MAX_READ, PLACEHOLDER
from transition.services.views.access import FindingView
from transition.services.views.runbooks import (
    RunbookDetails,
    RunbookExerciseView,
    RunbookStatusChange,
)
from transition.text import clean_text, slugify
from transition.unique_names import unique_violation

ENTITY = "runbook"
#: A refusal that ``force`` with a written reason gets past (each interface says how).
FORCE = errors.Hint("force")
EXERCISE = "runbook_exercise"
OUTCOMES = ("pass", "fail")
PARALLEL_RUN = "parallel-run"
#: How many placeholders or markers a refusal names (the count says how many there are).
SHOWN = 3
_MARKERS = ("<<<<<<<", ">>>>>>>")
_MIDDLE = "======="
_STATUSES = ("drafted", "reviewed", "validated", "accepted")


def blockers(text: str) -> list[tuple[int, str]]:
    """``(line number, what)`` for every placeholder and conflict marker line in ``text``."""
    out: list[tuple[int, str]] = []
    if PLACEHOLDER not in text and "<<<<<<<" not in text and _MIDDLE not in text:
        return out
    for number, line in enumerate(text.splitlines(), 1):
        start = line.find(PLACEHOLDER)
        while start >= 0:
            end = line.find("]]", start)
            found = line[start : end + 2 if end >= 0 else len(line)]
            out.append((number, found if len(found) <= 60 else found[:57] + "…"))
            start = line.find(PLACEHOLDER, start + len(PLACEHOLDER))
        if line.startswith(_MARKERS) or line.rstrip() == _MIDDLE:
            out.append((number, f"conflict marker {line[:7]}"))
    return out


def check_reviewable(row: Runbook, new: str) -> None:
    """Refuse moving ``row`` to ``new`` while its file cannot be read or still has
    placeholders or conflict markers (named with their line numbers, the first few)."""
    try:
        text = read_input(row.path, MAX_READ, kind="runbook").decode("utf-8", errors="replace")
    except Unreadable as exc:
        raise Refused(
            f"runbook #{row.id} cannot move to {new}: its file cannot be read ({exc}); restore it",
            hint=FORCE,
        ) from None
    found = blockers(text)
    if not found:
        return
    shown = "; ".join(f"line {n}: {what}" for n, what in found[:SHOWN])
    more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    raise Refused(
        f"runbook #{row.id} cannot move to {new}: {row.path} still has {len(found)} "
        f"placeholder(s) or conflict marker(s) ({shown}{more}); fill them in",
        hint=FORCE,
    )


@dataclass(frozen=True)
class Window:
    """The parallel-run phase's days (``end`` None: open, the phase is still active)."""

    start: date
    end: date | None

    def holds(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


def windows(session: Session, engagement_ids: list[int]) -> dict[int, Window]:
    """The parallel-run window of each engagement that has that phase (one query)."""
    out: dict[int, Window] = {}
    for eid, status, p_start, p_end, a_start, a_end in session.execute(
        select(
            Phase.engagement_id,
            Phase.status,
            Phase.planned_start,
            Phase.planned_end,
            Phase.actual_start,
            Phase.actual_end,
        ).where(Phase.engagement_id.in_(engagement_ids), Phase.key == PARALLEL_RUN)
    ):
        end = a_end or (None if status == "active" else p_end)
        out[eid] = Window(a_start or p_start, end)
    return out


def outside_warning(day: date, window: Window | None) -> str | None:
    """Why a pass on ``day`` is not parallel-run evidence (None: it is)."""
    if window is None:
        return f"the pass of {day} is not evidence of the parallel run: there is no {PARALLEL_RUN} phase"
    if window.holds(day):
        return None
    until = window.end.isoformat() if window.end else "now"
    return (
        f"the pass of {day} falls outside the parallel run ({window.start} to {until}): "
        "exercise it again during the parallel run"
    )


def record_exercise(
    session: Session,
    engagement: EngagementRef,
    runbook_id: int | str,
    *,
    on: date | str,
    by: str,
    outcome: str,
    deviations: str | None = None,
) -> RunbookExerciseView:
    """Record that ``by`` exercised the runbook on ``on`` (not in the future) with
    ``outcome`` pass or fail and what deviated from the written procedure."""
    engagement = engagement_of(session, engagement)
    result = (outcome or "").strip().lower()
    if result not in OUTCOMES:
        raise BadInput(f"invalid outcome {outcome!r}: choose pass or fail", field="outcome")
    with errors.about("on"):
        day = on if isinstance(on, date) else parse_date(on, "--on")
    if day > today():
        raise BadInput(f"--on {day} is in the future: record an exercise once held", field="on")
    with errors.about("deviations"):
        text = no_secrets(clean_text(deviations or "", "the deviations"), "the deviations")
    with errors.about("by"):
        person = get_person(session, engagement, by)
    check_present(person, day, "exercise a runbook")
    with errors.about("runbook_id"):
        row = get_by_id(session, Runbook, engagement, runbook_id, "runbook")
    system = session.get(System, row.system_id)
    names = {"system": system.name if system else "", "template": row.template}
    exercise = RunbookExercise(
        engagement_id=engagement.id,
        runbook_id=row.id,
        exercised_on=day,
        person_id=person.id,
        outcome=result,
        deviations=text or None,
        created_at=utcnow(),
        created_by=audit.actor(session),
    )
    session.add(exercise)
    try:
        session.flush()
    except IntegrityError as exc:
        if unique_violation(exc) is None:
            raise
        raise Refused(
            f"runbook #{runbook_id}: a {result} by {by} on {day} is already recorded"
        ) from None
    audit.record_many(
        session,
        engagement.id,
        [
            audit.Change(ENTITY, row.id, "exercise", field, None, value)
            for field, value in (
                ("exercise", exercise.id),
                ("exercised_on", day.isoformat()),
                ("by", person.slug),
                ("outcome", result),
                ("deviations", text or None),
            )
            if value is not None
        ],
    )
    window = windows(session, [engagement.id]).get(engagement.id)
    warning = outside_warning(day, window) if result == "pass" else None
    if warning:
        warn(session, f"runbook #{row.id}: {warning}")
    return RunbookExerciseView(
        id=exercise.id,
        runbook_id=row.id,
        exercised_on=day,
        by=person.name,
        outcome=result,
        deviations=text or None,
        in_parallel_run=window is not None and window.holds(day),
        warning=warning,
        **names,
    )


def check_validated(session: Session, engagement: Engagement, row: Runbook) -> str | None:
    """Refuse *validated* without a passing exercise; the warning when no pass fell in
    the parallel run (None: one did)."""
    passes = (
        session.execute(
            select(RunbookExercise.exercised_on).where(
                RunbookExercise.runbook_id == row.id, RunbookExercise.outcome == "pass"
            )
        )
        .scalars()
        .all()
    )
    if not passes:
        raise Refused(
            f"runbook #{row.id} cannot move to validated: no passing exercise is recorded",
            hint=errors.Hint(
                "exercise", "; ", values=(("engagement", engagement.slug), ("runbook", str(row.id)))
            ),
        )
    window = windows(session, [engagement.id]).get(engagement.id)
    if window is not None and any(window.holds(d) for d in passes):
        return None
    return outside_warning(max(passes), window)


def check_signer(session: Session, engagement: Engagement, row: Runbook, by: str | None) -> Person:
    """The person signing ``row``'s acceptance: of the provider side, not its author."""
    if not by:
        raise Refused(
            f"runbook #{row.id} cannot move to accepted unsigned: name who accepts it "
            "with --by PERSON (a person of the provider side who is not its author)",
            field="by",
        )
    with errors.about("by"):
        person = get_person(session, engagement, by)
    if person.side != "provider":
        raise Refused(
            f"{person.name} is on the {person.side} side: a runbook is accepted by the "
            "receiving side (provider)",
            field="by",
        )
    check_present(person, today(), "accept a runbook")
    if person.id == row.owner_id:
        raise Refused(
            f"{person.name} owns runbook #{row.id}: its author cannot accept it", field="by"
        )
    if row.created_by and slugify(row.created_by) in (person.slug, slugify(person.name)):
        raise Refused(
            f"{person.name} generated runbook #{row.id}: its author cannot accept it", field="by"
        )
    return person


def set_details(
    session: Session,
    engagement: EngagementRef,
    runbook_id: int | str,
    *,
    owner: str | None = None,
    review: date | str | None = None,
    expected_version: int | None = None,
) -> RunbookDetails:
    """Set a runbook's owner (a person of the engagement; ``""`` clears it) and its next
    review date (``""`` clears it). Each change is audited."""
    engagement = engagement_of(session, engagement)
    if owner is None and review is None:
        raise BadInput("give --owner PERSON or --review DATE (or both)", field="owner")
    with errors.about("runbook_id"):
        row = get_by_id(session, Runbook, engagement, runbook_id, "runbook")
    check_version(session, row, expected_version, ENTITY, str(row.id))
    values: dict[str, object] = {}
    shown: dict[str, tuple[object, object]] = {}
    before = session.get(Person, row.owner_id) if row.owner_id else None
    if owner is not None:
        with errors.about("owner"):
            person = get_person(session, engagement, owner) if owner.strip() else None
        if person is not None:
            check_present(person, today(), "own a runbook", field="owner")
        values["owner_id"] = person.id if person else None
        shown["owner"] = (before.slug if before else None, person.slug if person else None)
    if review is not None:
        with errors.about("review"):
            due = parse_date(review, "--review") if isinstance(review, str) and review else review
        values["review_due"] = due or None
    changed: list[str] = []
    if "owner_id" in values and row.owner_id != values["owner_id"]:
        row.owner_id = values["owner_id"]  # type: ignore[assignment]
        session.add(row)
        session.flush()
        audit.record(session, engagement.id, ENTITY, row.id, "update", "owner", *shown["owner"])
        changed.append("owner")
    if "review_due" in values:
        due_values = {"review_due": values["review_due"]}
        if apply_changes(session, row, engagement.id, ENTITY, due_values, action="update"):
            changed.append("review_due")
    owner_now = session.get(Person, row.owner_id) if row.owner_id else None
    return RunbookDetails(
        id=row.id,
        owner=owner_now.name if owner_now else None,
        review_due=row.review_due,
        changed=changed,
        version=row.version,
    )


def evidence_of(session: Session, engagement_id: int) -> dict[int, dict[str, object]]:
    """Per runbook of the engagement: exercises, passes, the last one, whether a pass fell
    in the parallel run and the date of the last pass (two queries)."""
    window = windows(session, [engagement_id]).get(engagement_id)
    out: dict[int, dict[str, object]] = {}
    rows = session.execute(
        select(RunbookExercise.runbook_id, RunbookExercise.exercised_on, RunbookExercise.outcome)
        .where(RunbookExercise.engagement_id == engagement_id)
        .order_by(RunbookExercise.runbook_id, RunbookExercise.exercised_on, RunbookExercise.id)
    ).all()
    for rid, day, outcome in rows:
        item = out.setdefault(rid, {"exercises": 0, "passes": 0, "passed_in_parallel_run": False})
        item["exercises"] = int(item["exercises"]) + 1  # type: ignore[call-overload]
        item["last_exercised_on"], item["last_outcome"] = day, outcome
        if outcome == "pass":
            item["passes"] = int(item["passes"]) + 1  # type: ignore[call-overload]
            if window is not None and window.holds(day):
                item["passed_in_parallel_run"] = True
            item["_last_pass"], item["_window"] = day, window
    return out


def extra(
    status: str,
    review_due: date | None,
    accepted_by: str | None,
    summary: dict[str, object] | None,
) -> dict[str, object]:
    """The fields of a runbook's view its evidence decides: review overdue, the signer
    while accepted, and what its evidence lacks for its status."""
    summary = summary or {}
    warning = None
    if status in ("validated", "accepted"):
        last = summary.get("_last_pass")
        if not isinstance(last, date):
            warning = f"{status} without a passing exercise"
        elif not summary.get("passed_in_parallel_run"):
            window = summary.get("_window")
            warning = outside_warning(last, window if isinstance(window, Window) else None)
    return {
        "review_overdue": review_due is not None and review_due < today(),
        "accepted_by": accepted_by if status == "accepted" else None,
        "warning": warning,
    }


def findings(session: Session, engagement_ids: list[int]) -> dict[int, list[FindingView]]:
    """Per engagement: runbooks whose review is overdue (medium) and runbooks validated or
    accepted on a pass outside the parallel run (low), in four queries."""
    if not engagement_ids:
        return {}
    now = today()
    out: dict[int, list[FindingView]] = defaultdict(list)
    base = (
        select(Runbook.engagement_id, Runbook.id, Runbook.template, Runbook.review_due)
        .add_columns(System.name.label("system"), Person.name.label("owner"))
        .join(System, System.id == Runbook.system_id)
        .outerjoin(Person, Person.id == Runbook.owner_id)
        .where(Runbook.engagement_id.in_(engagement_ids), System.removed_at.is_(None))
    )
    for r in session.execute(
        base.where(Runbook.review_due < now).order_by(Runbook.review_due, Runbook.id)
    ):
        out[r.engagement_id].append(
            FindingView(
                kind="runbook_review_overdue",
                severity="medium",
                grant_id=None,
                person=r.owner or "-",
                system=r.system,
                role=None,
                message=f"runbook #{r.id} ({r.template} for {r.system}) was due for review "
                f"on {r.review_due} ({(now - r.review_due).days} days ago)",
            )
        )
    done = session.execute(
        base.where(Runbook.status.in_(("validated", "accepted"))).order_by(Runbook.id)
    ).all()
    found = windows(session, engagement_ids)
    passes: dict[int, list[date]] = defaultdict(list)
    for rid, day in session.execute(
        select(RunbookExercise.runbook_id, RunbookExercise.exercised_on).where(
            RunbookExercise.engagement_id.in_(engagement_ids), RunbookExercise.outcome == "pass"
        )
    ):
        passes[rid].append(day)
    for r in done:
        window = found.get(r.engagement_id)
        days = passes.get(r.id, [])
        if days and window is not None and any(window.holds(d) for d in days):
            continue
        why = outside_warning(max(days), window) if days else "no passing exercise is recorded"
        out[r.engagement_id].append(
            FindingView(
                kind="runbook_not_exercised_in_parallel_run",
                severity="low",
                grant_id=None,
                person=r.owner or "-",
                system=r.system,
                role=None,
                message=f"runbook #{r.id} ({r.template} for {r.system}): {why}",
            )
        )
    return dict(out)


def check_move(
    session: Session,
    engagement: Engagement,
    row: Runbook,
    old: str,
    new: str,
    force: bool,
    by: str | None,
    result: RunbookStatusChange,
) -> Person | None:
    """Check the evidence each stage a forward move reaches needs (a stage already passed
    is not checked again); ``force`` stands in for a file with placeholders or a missing
    exercise (the move is then recorded as forced). The acceptance signer."""
    if old in _STATUSES and _STATUSES.index(new) <= _STATUSES.index(old):
        return None
    start = _STATUSES.index(old) if old in _STATUSES else 0
    crossed = _STATUSES[start + 1 : _STATUSES.index(new) + 1]  # the stages it reaches
    checks = []
    if "reviewed" in crossed:
        checks.append(lambda: check_reviewable(row, new))
    if "validated" in crossed:
        checks.append(lambda: setattr(result, "warning", check_validated(session, engagement, row)))
    for check in checks:
        try:
            check()
        except Refused:
            if not force:
                raise
            result.forced = True
    if new != "accepted":
        return None
    return check_signer(session, engagement, row, by)
