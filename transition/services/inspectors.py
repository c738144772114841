"""The TUI's inspectors: one function per noun, each returning the noun in full with what
hangs off it and its history from the audit log, in a fixed number of queries whatever
the number of rows around it."""

from __future__ import annotations

import os

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from transition.dates import today
from transition.errors import NotFound, about
from transition.models import (
    AccessGrant,
    AuditEvent,
    Engagement,
    HandoverItem,
    Person,
    Runbook,
    RunbookExercise,
    System,
    Task,
)
from transition.services import audit
from transition.services.common import EngagementRef, engagement_of, get_system, row_id_of
from transition.services.views.audit import AuditEventView
from transition.services.views.inspect import (
    GrantDetail,
    HandoverLine,
    KTSessionDetail,
    RaidDetail,
    RunbookDetail,
    SystemDetail,
    TaskInspection,
    TaskLink,
)
from transition.services.views.runbooks import RunbookExerciseView


def history(
    session: Session, engagement: Engagement, entity: str, entity_id: int
) -> list[AuditEventView]:
    """The audit events of one row, oldest first (one query)."""
    return [
        AuditEventView.model_validate(dict(row._mapping))
        for row in session.execute(
            select(AuditEvent.id, AuditEvent.at, *audit.CHANGE_COLUMNS)
            .where(
                AuditEvent.engagement_id == engagement.id,
                AuditEvent.entity == entity,
                AuditEvent.entity_id == entity_id,
            )
            .order_by(AuditEvent.id)
        )
    ]


# -- tasks ------------------------------------------------------------------------------


def task(session: Session, engagement: EngagementRef, key: str) -> TaskInspection:
    """``task show`` and, for each task on either side of its dependencies, its title and
    status (one query more)."""
    from transition.services import task_edit

    eng = engagement_of(session, engagement)
    detail = task_edit.show(session, eng, key)
    linked = [*detail.depends_on, *detail.dependents]
    found = {}
    if linked:
        found = {
            row.key: row
            for row in session.execute(
                select(Task.key, Task.title, Task.status).where(
                    Task.engagement_id == eng.id, Task.key.in_(linked)
                )
            )
        }
    links = [
        TaskLink(relation=relation, key=k, title=found[k].title, status=found[k].status)
        for relation, keys in (("depends on", detail.depends_on), ("needed by", detail.dependents))
        for k in keys
        if k in found
    ]
    return TaskInspection(task=detail, links=links)


# -- systems ----------------------------------------------------------------------------


def system(session: Session, engagement: EngagementRef, name: str) -> SystemDetail:
    """A system's people and topics (``system_inspect``), grants, KT sessions, runbooks
    and exit-checklist items."""
    from transition.services import access, kt, runbooks, system_inspect

    eng = engagement_of(session, engagement)
    with about("system"):
        target = get_system(session, eng, name)
    now = today()
    grants = [
        access._view(row, now)
        for row in session.execute(
            select(*access._COLUMNS)
            .join(Person, Person.id == AccessGrant.person_id)
            .join(System, System.id == AccessGrant.system_id)
            .where(AccessGrant.engagement_id == eng.id, AccessGrant.system_id == target.id)
            .order_by(AccessGrant.id.desc())
        )
    ]
    sessions, _ = kt.sessions_with_people(session, eng, system=target.slug)
    books = runbooks.list_runbooks(session, eng, system_id=target.id)
    sources = or_(
        (HandoverItem.source_kind == "system") & (HandoverItem.source_id == target.id),
        (HandoverItem.source_kind == "grant")
        & HandoverItem.source_id.in_(
            select(AccessGrant.id).where(AccessGrant.system_id == target.id)
        ),
        (HandoverItem.source_kind == "runbook")
        & HandoverItem.source_id.in_(select(Runbook.id).where(Runbook.system_id == target.id)),
    )
    handover = [
        HandoverLine.model_validate(row._mapping)
        for row in session.execute(
            select(
                HandoverItem.key, HandoverItem.title, HandoverItem.status, HandoverItem.source_kind
            )
            .where(HandoverItem.engagement_id == eng.id, sources)
            .order_by(HandoverItem.position, HandoverItem.id)
        )
    ]
    return SystemDetail(
        system=system_inspect.inspect(session, eng, target.slug),
        grants=grants,
        sessions=sessions,
        runbooks=books,
        handover=handover,
    )


# -- grants -----------------------------------------------------------------------------


def grant(session: Session, engagement: EngagementRef, grant_id: int | str) -> GrantDetail:
    """A grant with its justification, approver, expiry (and the milestone it follows),
    how it was revoked, and its history."""
    from transition.services import access

    eng = engagement_of(session, engagement)
    row, person, side, system_name = access._grant_row(session, eng, grant_id)
    view = access._view(row, today(), person=person, side=side, system=system_name)
    return GrantDetail(grant=view, history=history(session, eng, "access_grant", row.id))


# -- KT sessions ------------------------------------------------------------------------


def kt_session(
    session: Session, engagement: EngagementRef, session_id: int | str
) -> KTSessionDetail:
    """A KT session with its presenters, attendees, topics, follow-ups, confidence and
    history."""
    from transition.services import kt

    eng = engagement_of(session, engagement)
    ident = row_id_of(session_id, "KT session", eng)
    found, _ = kt.sessions_with_people(session, eng, session_id=ident)
    if not found:
        raise NotFound(f"unknown KT session {session_id} in {eng.slug}")
    return KTSessionDetail(session=found[0], history=history(session, eng, kt.ENTITY, ident))


# -- runbooks ---------------------------------------------------------------------------


def runbook(session: Session, engagement: EngagementRef, runbook_id: int | str) -> RunbookDetail:
    """A runbook with its file, fill, lifecycle, exercises and history."""
    from transition.services import runbook_evidence, runbooks

    eng = engagement_of(session, engagement)
    ident = row_id_of(runbook_id, "runbook", eng)
    found = runbooks.list_runbooks(session, eng, runbook_id=ident)
    if not found:
        raise NotFound(f"unknown runbook {runbook_id} in {eng.slug}")
    view = found[0]
    window = runbook_evidence.windows(session, [eng.id]).get(eng.id)
    by = aliased(Person)
    exercises = [
        RunbookExerciseView(
            id=row.id,
            runbook_id=ident,
            system=view.system,
            template=view.template,
            exercised_on=row.exercised_on,
            by=row.by,
            outcome=row.outcome,
            deviations=row.deviations,
            in_parallel_run=window is not None and window.holds(row.exercised_on),
            warning=(
                runbook_evidence.outside_warning(row.exercised_on, window)
                if row.outcome == "pass"
                else None
            ),
        )
        for row in session.execute(
            select(
                RunbookExercise.id,
                RunbookExercise.exercised_on,
                by.name.label("by"),
                RunbookExercise.outcome,
                RunbookExercise.deviations,
            )
            .join(by, by.id == RunbookExercise.person_id)
            .where(RunbookExercise.runbook_id == ident)
            .order_by(RunbookExercise.exercised_on, RunbookExercise.id)
        )
    ]
    return RunbookDetail(
        runbook=view,
        absolute=os.path.abspath(view.path),
        exercises=exercises,
        history=history(session, eng, runbooks.ENTITY, ident),
    )


# -- RAID -------------------------------------------------------------------------------


def raid_item(session: Session, engagement: EngagementRef, ref: str) -> RaidDetail:
    """A RAID entry with its links (tasks by key, to jump to) and its history."""
    from transition.services import raid_read

    eng = engagement_of(session, engagement)
    row = raid_read.get_item(session, eng, ref)
    item = raid_read.views_of(session, eng, [row])[0]
    task_ids = [link.target_id for link in item.links if link.kind == "task"]
    keys: dict[int, str] = {}
    if task_ids:
        keys = dict(session.execute(select(Task.id, Task.key).where(Task.id.in_(task_ids))).all())
    return RaidDetail(
        item=item, task_keys=keys, history=history(session, eng, raid_read.ENTITY, row.id)
    )
