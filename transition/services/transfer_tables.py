"""The tables an export holds, in the order an import writes them, and how they refer
to each other: the map every part of export and import reads."""

from __future__ import annotations

from sqlmodel import SQLModel

from transition.models import (
    AccessGrant,
    AuditEvent,
    HandoverItem,
    KTParticipant,
    KTSession,
    Person,
    Phase,
    Runbook,
    System,
    Task,
    TaskDependency,
)

#: Section name in the file → table, in insertion order (referenced tables first).
SECTIONS: dict[str, type[SQLModel]] = {
    "phases": Phase,
    "people": Person,
    "systems": System,
    "tasks": Task,
    "task_dependencies": TaskDependency,
    "access_grants": AccessGrant,
    "kt_sessions": KTSession,
    "kt_participants": KTParticipant,
    "runbooks": Runbook,
    "handover_items": HandoverItem,
    "audit_events": AuditEvent,
}
#: Columns written for audit events: the chain (prev_hash, hash) is rebuilt on import.
AUDIT_SKIP = ("prev_hash", "hash")
#: Audit ``entity`` values → the section whose ids they name.
ENTITY_SECTION = {
    "engagement": "engagement",
    "phase": "phases",
    "person": "people",
    "system": "systems",
    "task": "tasks",
    "access_grant": "access_grants",
    "grant": "access_grants",
    "kt_session": "kt_sessions",
    "runbook": "runbooks",
    "handover_item": "handover_items",
}
#: Derived handover items: source kind → the section of their source.
SOURCE_SECTION = {"grant": "access_grants", "system": "systems", "runbook": "runbooks"}
#: Foreign keys per section: column → section it points into.
REFERENCES: dict[str, dict[str, str]] = {
    "phases": {},
    "people": {},
    "systems": {},
    "tasks": {"phase_id": "phases", "assignee_id": "people"},
    "task_dependencies": {"task_id": "tasks", "depends_on_id": "tasks"},
    "access_grants": {"person_id": "people", "system_id": "systems"},
    "kt_sessions": {"system_id": "systems", "signed_off_by_id": "people"},
    "kt_participants": {"session_id": "kt_sessions", "person_id": "people"},
    "runbooks": {"system_id": "systems"},
    "handover_items": {},
    "audit_events": {},
}


def columns(model: type[SQLModel]) -> list[str]:
    """The columns of ``model`` a file carries."""
    skip = AUDIT_SKIP if model is AuditEvent else ()
    return [c.name for c in model.__table__.columns if c.name not in skip]
