"""What undo knows of each kind of row and action: which rows it can put back, which
actions are final or evidence, which creations it can take away."""

from __future__ import annotations

from typing import Any

from transition.models import (
    AccessGrant,
    Engagement,
    HandoverItem,
    KTSession,
    Person,
    Phase,
    RaidItem,
    Runbook,
    System,
    Task,
    TaskNote,
)

ENTITIES: dict[str, Any] = {
    "engagement": Engagement,
    "phase": Phase,
    "person": Person,
    "system": System,
    "task": Task,
    "task_note": TaskNote,
    "kt_session": KTSession,
    "access_grant": AccessGrant,
    "runbook": Runbook,
    "handover_item": HandoverItem,
    "raid_item": RaidItem,
}
#: How rows are named in messages.
SHOWN = {
    "access_grant": "grant",
    "kt_session": "KT session",
    "task_note": "task note",
    "handover_item": "handover item",
    "role_assignment": "role",
    "raid_item": "RAID entry",
    "system_dependency": "system dependency",
}
#: Actions that can never be undone, and what they are.
FINAL = {
    "advance": "a gate decision (phase advance)",
    "import": "an import",
    "delete": "a deletion",
    "backdate": "a backdating",
    "regenerate": "a runbook regeneration (its file was rewritten)",
    "upgrade": "an upgrade to a newer template version",
    "apply": "an import of an exit checklist",
    "template-update": "a runbook template update (its file was merged and rewritten)",
    "exit": "the start of an exit engagement",
}
#: Records kept as evidence (of the parallel run, the go/no-go, governance): never undone.
EVIDENCE = {
    "score_entry": "a scorecard value",
    "exercise": "a tabletop exercise",
    "golive_decision": "a go/no-go decision",
    "meeting": "a meeting's record",
}
#: Events the exit checklist writes when it reconciles: recomputed, never inverted.
DERIVED = {"derive", "resolve", "retire", "reopen"}
#: Meetings laid out from the playbook's cadence, which follow the plan and its calendar.
LAID = {"schedule", "move", "drop", "restore"}
#: Actions that create the row they name.
CREATES = {"create", "add", "grant", "schedule"}
#: The creations undo can take back; any other creation is refused.
UNDOABLE_CREATIONS = {
    ("task", "create"),
    ("task", "add"),
    ("task_note", "create"),
    ("task_note", "add"),
    ("task_note", "note"),
    ("person", "create"),
    ("system", "create"),
    ("access_grant", "grant"),
    ("raid_item", "add"),
    ("kt_session", "schedule"),
}
#: Fields an event records beside a change, with nothing of their own to put back.
ANNOTATIONS = {"reason"}
#: Columns that follow a field put back to empty (a revocation names who revoked).
COMPANIONS = {("access_grant", "revoked_at"): ("revoked_by",)}
#: The exit checklist's sources: a change to one of these rows is reconciled.
SOURCES = {"access_grant": "grants", "system": "systems", "runbook": "runbooks"}
