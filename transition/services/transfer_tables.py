"""The tables an export holds, in the order an import writes them, and how they refer
to each other: the map every part of export and import reads."""

from __future__ import annotations

from sqlmodel import SQLModel

from transition import models as m

#: Section name in the file → table, in insertion order (referenced tables first).
SECTIONS: dict[str, type[SQLModel]] = {
    "phases": m.Phase,
    "people": m.Person,
    "systems": m.System,
    "system_people": m.SystemPerson,
    "system_topics": m.SystemTopic,
    "tasks": m.Task,
    "task_dependencies": m.TaskDependency,
    "task_notes": m.TaskNote,
    "access_grants": m.AccessGrant,
    "kt_sessions": m.KTSession,
    "kt_participants": m.KTParticipant,
    "kt_topics": m.KTTopic,
    "runbooks": m.Runbook,
    "runbook_exercises": m.RunbookExercise,
    "handover_items": m.HandoverItem,
    "role_assignments": m.RoleAssignment,
    "audit_events": m.AuditEvent,
}
#: Sections a file written before they existed lacks: read as empty.
LATER_SECTIONS = (
    "system_people",
    "system_topics",
    "task_notes",
    "kt_topics",
    "role_assignments",
    "runbook_exercises",
)
#: Columns written for audit events: the chain (prev_hash, hash) is rebuilt on import.
AUDIT_SKIP = ("prev_hash", "hash")
#: Audit ``entity`` values → the section whose ids they name.
ENTITY_SECTION = {
    "engagement": "engagement",
    "phase": "phases",
    "person": "people",
    "system": "systems",
    "task": "tasks",
    "task_note": "task_notes",
    "access_grant": "access_grants",
    "grant": "access_grants",
    "kt_session": "kt_sessions",
    "runbook": "runbooks",
    "runbook_exercise": "runbook_exercises",
    "handover_item": "handover_items",
    "role_assignment": "role_assignments",
}
#: Derived handover items: source kind → the section of their source.
SOURCE_SECTION = {"grant": "access_grants", "system": "systems", "runbook": "runbooks"}
#: Foreign keys per section: column → section it points into.
REFERENCES: dict[str, dict[str, str]] = {
    "phases": {},
    "people": {},
    "systems": {},
    "system_people": {"system_id": "systems", "person_id": "people"},
    "system_topics": {"system_id": "systems"},
    "tasks": {"phase_id": "phases", "assignee_id": "people"},
    "task_dependencies": {"task_id": "tasks", "depends_on_id": "tasks"},
    "task_notes": {"task_id": "tasks"},
    "access_grants": {"person_id": "people", "system_id": "systems"},
    "kt_sessions": {"system_id": "systems", "signed_off_by_id": "people"},
    "kt_participants": {"session_id": "kt_sessions", "person_id": "people"},
    "kt_topics": {"session_id": "kt_sessions", "topic_id": "system_topics"},
    "runbooks": {"system_id": "systems", "owner_id": "people", "accepted_by_id": "people"},
    "runbook_exercises": {"runbook_id": "runbooks", "person_id": "people"},
    "handover_items": {},
    "role_assignments": {"person_id": "people"},
    "audit_events": {},
}


def columns(model: type[SQLModel]) -> list[str]:
    """The columns of ``model`` a file carries."""
    skip = AUDIT_SKIP if model is m.AuditEvent else ()
    return [c.name for c in model.__table__.columns if c.name not in skip]
