"""What each table's unique constraints promise, as the refusal of a lost race names it
("… already exists (another change saved it a moment ago)"): table → the thing."""

from __future__ import annotations

UNIQUE_WHAT: dict[str, str] = {
    "engagement": "an engagement with this name",
    "person": "a person with this name in this engagement",
    "system": "a system with this name in this engagement",
    "phase": "a phase with this key in this engagement",
    "task": "a task with this key in this engagement",
    "taskdependency": "this task dependency",
    "accessgrant": "an identical grant in force (same person, system and role)",
    "kt_session": "a KT session with this uid",
    "kt_participant": "this KT participant",
    "runbook": "a runbook for this system and template",
    "handover_item": "a handover item with this key in this engagement",
    "role_assignment": "this role held by this person",
    "system_person": "this owner, SME or backup of the system",
    "system_topic": "a topic with this title on the system",
    "system_dependency": "this system dependency",
    "meeting": "a meeting with this number or occurrence in this engagement",
    "raid_item": "a RAID entry with this number in this engagement",
    "raid_link": "this RAID link",
    "score_entry": "a score for this KPI, party and week",
    "exercise": "an exercise of this scenario on this day",
    "exercise_participant": "this exercise participant",
    "runbook_exercise": "this runbook exercise",
    "readiness_snapshot": "a readiness score for this day",
}
