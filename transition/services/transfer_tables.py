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
    "raid_items": m.RaidItem,
    "raid_links": m.RaidLink,
    "system_dependencies": m.SystemDependency,
    "score_entries": m.ScoreEntry,
    "interventions": m.Intervention,
    "exercises": m.Exercise,
    "exercise_participants": m.ExerciseParticipant,
    "exercise_findings": m.ExerciseFinding,
    "golive_decisions": m.GoLiveDecision,
    "meetings": m.Meeting,
    "meeting_attendees": m.MeetingAttendee,
    "meeting_actions": m.MeetingAction,
    "audit_events": m.AuditEvent,
}
#: Sections a file written before they existed lacks: read as empty.
LATER_SECTIONS = (
    "system_people",
    "system_topics",
    "task_notes",
    "kt_topics",
    "role_assignments",
    "raid_items",
    "raid_links",
    "system_dependencies",
    "score_entries",
    "interventions",
    "exercises",
    "exercise_participants",
    "exercise_findings",
    "golive_decisions",
    "meetings",
    "meeting_attendees",
    "meeting_actions",
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
    "raid_item": "raid_items",
    "system_dependency": "system_dependencies",
    "score_entry": "score_entries",
    "intervention": "interventions",
    "exercise": "exercises",
    "golive_decision": "golive_decisions",
    "meeting": "meetings",
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
    "raid_items": {"owner_id": "people", "phase_id": "phases"},
    "raid_links": {
        "raid_id": "raid_items",
        "system_id": "systems",
        "person_id": "people",
        "task_id": "tasks",
    },
    "system_dependencies": {"system_id": "systems", "depends_on_id": "systems"},
    "score_entries": {},
    "interventions": {},
    "exercises": {},
    "exercise_participants": {"exercise_id": "exercises", "person_id": "people"},
    "exercise_findings": {"exercise_id": "exercises", "task_id": "tasks"},
    "golive_decisions": {"client_person_id": "people", "provider_person_id": "people"},
    "meetings": {},
    "meeting_attendees": {"meeting_id": "meetings", "person_id": "people"},
    "meeting_actions": {"meeting_id": "meetings", "task_id": "tasks"},
    "audit_events": {},
}


def columns(model: type[SQLModel]) -> list[str]:
    """The columns of ``model`` a file carries."""
    skip = AUDIT_SKIP if model is m.AuditEvent else ()
    return [c.name for c in model.__table__.columns if c.name not in skip]
