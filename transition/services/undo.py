"""Undo: revert the acting user's most recent changes by writing their inverse.

A *change* is the events of one transaction (``AuditEvent.change_id``: one command, one
form saved). Undoing it puts every field the change set back to the value it had before,
writing ordinary per-field events marked as undoing that change (``undoes``); the log
keeps both. A row the change created is taken away again: an ad-hoc task, a note, a
person or system nothing refers to yet, a KT session still planned is deleted (its
creation stays in the log); a grant is revoked with the reason ``undo``, so the access
it recorded stays on the exit checklist's history. A system dependency added is removed,
one removed put back (``undo_dependencies``). The exit checklist is reconciled for
the grants, systems and runbooks touched, in the same transaction.

Refused, with nothing written: a change someone (or a later change of your own, not
undone) changed a row of since; gate decisions, imports, deletions, runbook generation
and changes made before changes were grouped (no change id). The rules for which actions
revert how live in ``transition.services.undo_rules``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, desc, func, insert, select
from sqlmodel import Session

from transition.errors import BadInput, NotFound, Refused
from transition.models import AuditEvent, KTParticipant, Person, TaskDependency
from transition.services import audit
from transition.services.common import EngagementRef, engagement_of
from transition.services.undo_rules import (
    SHOWN,
    Plan,
    RowKey,
    plan_change,
    shown_time,
)
from transition.services.views.undo import UndoneChange, UndoneField, UndoResult

#: The most changes one ``undo --last N`` reverts.
MAX_LAST = 100


def _newest(
    session: Session, who: str, engagement_id: int | None, last: int
) -> list[tuple[str, int]]:
    """The ``last`` newest changes of ``who`` (in one engagement, or anywhere) that are
    neither undos nor undone: (change id, newest event id), newest first. A newer event
    without a change id is refused: it cannot be grouped into a change."""
    undone = select(AuditEvent.undoes).where(AuditEvent.undoes.is_not(None))
    scope = [AuditEvent.actor == who]
    if engagement_id is not None:
        scope.append(AuditEvent.engagement_id == engagement_id)
    newest = func.max(AuditEvent.id).label("newest")
    picked = [
        (row.change_id, row.newest)
        for row in session.execute(
            select(AuditEvent.change_id, newest)
            .where(
                *scope,
                AuditEvent.change_id.is_not(None),
                AuditEvent.undoes.is_(None),
                AuditEvent.change_id.not_in(undone),
            )
            .group_by(AuditEvent.change_id)
            .order_by(desc("newest"))
            .limit(last)
        )
    ]
    legacy = session.execute(
        select(AuditEvent.id, AuditEvent.at, AuditEvent.action, AuditEvent.entity)
        .where(*scope, AuditEvent.change_id.is_(None))
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if legacy is not None and (len(picked) < last or legacy.id > picked[-1][1]):
        raise Refused(
            f"your change of {shown_time(legacy.at)} ({legacy.entity} {legacy.action}) "
            "was made before changes were grouped for undo; it cannot be undone "
            "(nothing undone)"
        )
    return picked


def undo_last(
    session: Session,
    engagement: EngagementRef | None = None,
    *,
    last: int = 1,
    dry_run: bool = False,
) -> UndoResult:
    """Revert the acting user's ``last`` most recent changes (in ``engagement``, or in any
    engagement), newest first, all in this transaction: one refusal and nothing is
    written. ``dry_run``: work it all out, report it, and write nothing."""
    if not 1 <= last <= MAX_LAST:
        raise BadInput(f"--last takes a number from 1 to {MAX_LAST}", field="last")
    # Archived: its own archiving can still be undone (plan_change refuses the rest).
    eid = None if engagement is None else engagement_of(session, engagement, writable=False).id
    audit._last_hash(session)  # PostgreSQL: undos (and all writes to the log) queue here
    who = audit.actor(session)
    picked = _newest(session, who, eid, last)
    if not picked:
        where = (
            ""
            if engagement is None
            else f" in {engagement_of(session, engagement, writable=False).slug}"
        )
        raise Refused(f"{who} has no change left to undo{where}")
    if len(picked) < last:
        raise Refused(
            f"{who} has only {len(picked)} change(s) left to undo, not {last}; nothing undone"
        )
    done = [_undo(session, change_id) for change_id, _ in picked]
    if dry_run:
        session.rollback()
    return UndoResult(dry_run=dry_run, changes=done)


def undo_change(session: Session, change_id: str, *, dry_run: bool = False) -> UndoneChange:
    """Revert one change by its id (the TUI undoes the changes it made this way), with
    the same refusals as ``undo_last``; an undo or an undone change is refused."""
    change_id = (change_id or "").strip()
    if not change_id:
        raise BadInput("name the change to undo")
    audit._last_hash(session)
    done = _undo(session, change_id)
    if dry_run:
        session.rollback()
    return done


def undo_newest(session: Session, change_ids: Sequence[str]) -> UndoneChange:
    """Revert the newest of ``change_ids`` (oldest first, as they were made) not undone
    yet: the TUI's ``u``, over the changes it made itself."""
    audit._last_hash(session)
    if change_ids:
        undone = set(
            session.execute(
                select(AuditEvent.undoes).where(AuditEvent.undoes.in_(sorted(set(change_ids))))
            ).scalars()
        )
        for change_id in reversed(change_ids):
            if change_id not in undone:
                return _undo(session, change_id)
    raise Refused("nothing changed in this session is left to undo")


def _undo(session: Session, change_id: str) -> UndoneChange:
    events = list(
        session.execute(
            select(AuditEvent).where(AuditEvent.change_id == change_id).order_by(AuditEvent.id)
        ).scalars()
    )
    if not events:
        raise NotFound(f"unknown change {change_id!r}")
    if any(e.undoes for e in events):
        raise Refused(f"change {change_id} is itself an undo; it cannot be undone")
    already = session.execute(
        select(AuditEvent.actor, AuditEvent.at).where(AuditEvent.undoes == change_id).limit(1)
    ).first()
    if already is not None:
        raise Refused(
            f"change {change_id} was already undone by {already.actor} at {shown_time(already.at)}"
        )
    plan = plan_change(session, events)
    audit.mark_undo(session, change_id)
    fields = _apply(session, plan)
    first = events[0]
    return UndoneChange(
        change_id=change_id,
        at=first.at,
        actor=first.actor,
        engagement=plan.engagement.slug,
        actions=list(dict.fromkeys(f"{e.entity} {e.action}" for e in events)),
        fields=fields,
    )


def _apply(session: Session, plan: Plan) -> list[UndoneField]:
    """Write the plan: fields put back (and their events), rows taken away, the exit
    checklist reconciled."""
    from transition.services import access, handover

    engagement = plan.engagement
    shown: list[UndoneField] = []
    changes: list[audit.Change] = []
    for step in plan.fields:
        setattr(step.row, step.column, step.value)
        for column, value in step.companions.items():
            setattr(step.row, column, value)
        session.add(step.row)
        changes.append(
            audit.Change(step.key.entity, step.key.row_id, "undo", step.field, step.now, step.back)
        )
        shown.append(_shown(step.key, step.label, step.field, step.now, step.back))
    for participant in plan.participants:
        if participant.add:
            session.execute(
                insert(KTParticipant),
                [
                    {
                        "session_id": participant.key.row_id,
                        "person_id": participant.person_id,
                        "role": participant.role,
                    }
                ],
            )
        else:
            session.execute(
                delete(KTParticipant).where(
                    KTParticipant.session_id == participant.key.row_id,
                    KTParticipant.person_id == participant.person_id,
                )
            )
        now, back = (None, participant.name) if participant.add else (participant.name, None)
        changes.append(
            audit.Change("kt_session", participant.key.row_id, "undo", participant.role, now, back)
        )
        shown.append(_shown(participant.key, participant.label, participant.role, now, back))
    session.flush()
    audit.record_many(session, engagement.id, changes)
    for key, label in plan.revoke:
        access.revoke(session, engagement, key.row_id, reason="undo")
        shown.append(_shown(key, label, "revoked_at", None, "now (reason: undo)"))
    removed: list[audit.Change] = []
    for key, row, label in plan.remove:
        if key.entity == "task":
            session.execute(delete(TaskDependency).where(TaskDependency.task_id == key.row_id))
        if key.entity == "kt_session":  # its presenters and attendees leave it, logged
            for role, name in session.execute(
                select(KTParticipant.role, Person.name)
                .join(Person, Person.id == KTParticipant.person_id)
                .where(KTParticipant.session_id == key.row_id)
                .order_by(KTParticipant.person_id)
            ):
                removed.append(audit.Change(key.entity, key.row_id, "undo", role, name, None))
            session.execute(delete(KTParticipant).where(KTParticipant.session_id == key.row_id))
        session.delete(row)
        session.flush()
        removed.append(audit.Change(key.entity, key.row_id, "undo", None, label, None))
        shown.append(_shown(key, label, None, label, None))
    if plan.roles:
        from transition.services.undo_roles import apply_roles

        for step, field_name, now, back in apply_roles(session, engagement.id, plan.roles):
            shown.append(_shown(step.key, step.label, field_name, now, back))
    if plan.holdings:
        from transition.services.undo_holdings import apply_holdings

        for step, field_name, now, back in apply_holdings(session, engagement.id, plan.holdings):
            shown.append(_shown(step.key, step.label, field_name, now, back))
    if plan.dependencies:
        from transition.services.undo_dependencies import apply_dependencies

        for step, field_name, now, back in apply_dependencies(
            session, engagement.id, plan.dependencies
        ):
            shown.append(_shown(step.key, step.label, field_name, now, back))
    for item in plan.drop_items:
        session.delete(item)
    session.flush()
    audit.record_many(session, engagement.id, removed)
    if plan.grants or plan.systems or plan.runbooks:
        handover.reconcile(
            session,
            engagement,
            grants=sorted(plan.grants),
            systems=sorted(plan.systems),
            runbooks=sorted(plan.runbooks),
        )
    if plan.meetings:  # the plan is back as it was: so are the meetings it lays out
        from transition.models import Meeting
        from transition.services import meetings

        if plan.created_meetings:  # those the change added go again, as rows it created
            session.flush()
            session.execute(delete(Meeting).where(Meeting.id.in_(sorted(plan.created_meetings))))
            session.expire_all()
        meetings.sync(session, engagement)
    return shown


def _shown(key: RowKey, label: str, field: str | None, now: Any, back: Any) -> UndoneField:
    return UndoneField(
        entity=key.entity,
        entity_id=key.row_id,
        label=label,
        field=field,
        now=audit._text(now),
        restored=audit._text(back),
    )


def describe(result: UndoResult | UndoneChange) -> Sequence[str]:
    """Lines for people: each change reverted and what it put back."""
    changes = result.changes if isinstance(result, UndoResult) else [result]
    lines = []
    for change in changes:
        where = f" in {change.engagement}" if change.engagement else ""
        lines.append(
            f"change of {shown_time(change.at)} by {change.actor}{where} "
            f"({', '.join(change.actions)}):"
        )
        for f in change.fields:
            what = SHOWN.get(f.entity, f.entity)
            if f.field is None:
                lines.append(f"  {what} {f.label}: removed (the change created it)")
            else:
                now, back = (v if v is not None else "(none)" for v in (f.now, f.restored))
                lines.append(f"  {what} {f.label} {f.field}: {now} → {back}")
    return lines
