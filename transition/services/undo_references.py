"""What refers to a row an undo would take away: while anything does, the row stays."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session

from transition.models import (
    AccessGrant,
    KTParticipant,
    KTSession,
    RaidLink,
    RoleAssignment,
    Runbook,
    SystemDependency,
    SystemPerson,
    SystemTopic,
    Task,
    TaskDependency,
    TaskNote,
)


def references(session: Session, entity: str, row: Any) -> str | None:
    """What refers to a row the undo would take away (which then stays)."""
    checks: list[tuple[str, Any]] = []
    if entity == "task":
        if row.origin != "adhoc":
            return "the playbook (only ad-hoc tasks are taken away)"
        checks = [
            (
                "tasks that depend on it",
                select(TaskDependency.task_id).where(TaskDependency.depends_on_id == row.id),
            ),
            ("notes", select(TaskNote.id).where(TaskNote.task_id == row.id)),
            ("RAID entries linked to it", select(RaidLink.id).where(RaidLink.task_id == row.id)),
        ]
    elif entity == "person":
        checks = [
            ("grants", select(AccessGrant.id).where(AccessGrant.person_id == row.id)),
            ("tasks", select(Task.id).where(Task.assignee_id == row.id)),
            (
                "KT sessions",
                select(KTParticipant.session_id).where(KTParticipant.person_id == row.id),
            ),
            ("KT sign-offs", select(KTSession.id).where(KTSession.signed_off_by_id == row.id)),
            ("roles", select(RoleAssignment.id).where(RoleAssignment.person_id == row.id)),
            ("systems they own", select(SystemPerson.id).where(SystemPerson.person_id == row.id)),
            (
                "RAID entries linked to them",
                select(RaidLink.id).where(RaidLink.person_id == row.id),
            ),
        ]
    elif entity == "system":
        checks = [
            ("grants", select(AccessGrant.id).where(AccessGrant.system_id == row.id)),
            ("KT sessions", select(KTSession.id).where(KTSession.system_id == row.id)),
            ("runbooks", select(Runbook.id).where(Runbook.system_id == row.id)),
            ("its owners", select(SystemPerson.id).where(SystemPerson.system_id == row.id)),
            ("its topics", select(SystemTopic.id).where(SystemTopic.system_id == row.id)),
            (
                "dependencies",
                select(SystemDependency.id).where(
                    or_(
                        SystemDependency.system_id == row.id,
                        SystemDependency.depends_on_id == row.id,
                    )
                ),
            ),
            ("RAID entries linked to it", select(RaidLink.id).where(RaidLink.system_id == row.id)),
        ]
    elif entity == "raid_item":
        checks = [("its links", select(RaidLink.raid_id).where(RaidLink.raid_id == row.id))]
    elif entity == "kt_session" and row.status != "planned":
        return f"its record as {row.status.replace('_', ' ')}"
    elif entity == "access_grant" and row.revoked_at is not None:
        return "a revocation"
    for what, stmt in checks:
        if session.execute(stmt.limit(1)).first() is not None:
            return what
    return None
