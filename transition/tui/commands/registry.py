"""Each command is declared once here. Screens build their ``BINDINGS`` from these
entries, the help screen lists them, and the command palette offers them; the binding id
lets users remap any key (``App.set_keymap``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from textual.binding import Binding


@dataclass(frozen=True)
class Command:
    id: str
    key: str
    action: str
    label: str
    help: str
    show: bool = True
    priority: bool = False

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.action,
            self.label,
            show=self.show,
            id=self.id,
            priority=self.priority,
        )


def bindings(*commands: Command) -> list[Binding]:
    return [c.binding() for c in commands]


def changing(bindings: list[Binding]) -> frozenset[str]:
    """The actions of ``bindings`` that change the engagement (``CHANGES``)."""
    found = (by_id(b.id) for b in bindings if isinstance(b, Binding))
    return frozenset(c.action for c in found if c is not None and c in CHANGES)


def by_id(binding_id: str | None) -> Command | None:
    """The command a binding was built from (None for Textual's own bindings)."""
    return _by_id().get(binding_id or "")


@cache
def _by_id() -> dict[str, Command]:
    return {c.id: c for c in globals().values() if isinstance(c, Command)}


# Everywhere
QUIT = Command("app.quit", "q", "quit", "Quit", "Leave transition")
HELP = Command("app.help", "question_mark", "help", "Help", "Show every key binding")
RELOAD = Command(
    "app.reload", "f5", "reload", "Reload", "Reload what is on screen from the database", show=False
)
UNDO = Command("app.undo", "u", "undo", "Undo", "Undo the last change made here", show=False)
BACK = Command("app.back", "escape", "back", "Back", "Back to the dashboard")

# Every list (the dashboard's and each tab's)
LIST_FILTER = Command(
    "list.filter",
    "slash",
    "filter_text",
    "Filter",
    "Filter the list as you type: rows with every word in some column (esc clears it)",
    show=False,
)
LIST_SORT = Command(
    "list.sort",
    "greater_than_sign",
    "sort_next",
    "Sort",
    "Sort by the next column (or click a column's heading); after the last, as listed",
    show=False,
)
LIST_REVERSE = Command(
    "list.reverse", "less_than_sign", "sort_reverse", "Reverse", "Reverse the sort", show=False
)
LIST_CLEAR = Command(
    "list.clear_filter", "escape", "clear_filter", "Clear filter", "Clear the filter", show=False
)

# Dashboard
OPEN = Command("dashboard.open", "enter", "open", "Open", "Open the highlighted engagement")
REASONS = Command(
    "dashboard.reasons", "r", "reasons", "Why?", "Why the engagement is red, amber or green"
)
NEW_ENGAGEMENT = Command(
    "dashboard.new", "n", "new_engagement", "New", "Start an engagement from a playbook"
)
MY_WORK = Command(
    "dashboard.agenda",
    "m",
    "my_work",
    "My work",
    "Your agenda across engagements: tasks, KT sessions, sign-offs, expiries, releases",
)
ARCHIVE = Command(
    "dashboard.archive",
    "A",
    "archive",
    "Archive",
    "Archive the highlighted engagement, once confirmed (or bring an archived one back)",
)
SHOW_ARCHIVED = Command(
    "dashboard.archived",
    "H",
    "toggle_archived",
    "Archived",
    "Show the archived engagements instead (and back)",
)

# My work (the agenda)
AGENDA_OPEN = Command(
    "agenda.open", "enter", "open_item", "Open", "Open the engagement of the highlighted item"
)

# Engagement
ADVANCE = Command(
    "engagement.advance", "g", "gate", "Gate", "Check the current phase's gate and advance"
)
ADD_SYSTEM = Command(
    "engagement.add_system", "S", "add_system", "+System", "Add a system in scope", show=False
)
ADD_PERSON = Command(
    "engagement.add_person", "P", "add_person", "+Person", "Add a person", show=False
)
EDIT_ENGAGEMENT = Command(
    "engagement.edit",
    "E",
    "edit_engagement",
    "Edit engagement",
    "Edit the engagement: names, parties, calendar, time zone",
    show=False,
)
UPCOMING = Command(
    "engagement.upcoming",
    "w",
    "upcoming",
    "Next 14 days",
    "Everything on the next 14 days by day: cutover, phase ends, releases, expiries, KT, tasks",
    show=False,
)
TAB_NEXT = Command(
    "engagement.next_tab", "right_square_bracket", "next_tab", "Next tab", "Next tab", show=False
)
TAB_PREV = Command(
    "engagement.prev_tab", "left_square_bracket", "prev_tab", "Prev tab", "Previous tab", show=False
)
UPGRADE_PLAYBOOK = Command(
    "engagement.upgrade",
    "U",
    "upgrade_playbook",
    "Upgrade playbook",
    "Preview a newer version of the playbook merged in, and apply it",
    show=False,
)
REPLAN = Command(
    "engagement.replan",
    "R",
    "replan",
    "Replan",
    "Move a phase not yet started, and the ones after it, to a new start",
    show=False,
)
START_EXIT = Command(
    "engagement.start_exit",
    "X",
    "start_exit",
    "Start exit",
    "Start exit of this engagement…: a new engagement hands the service to a successor",
    show=False,
)

# Engagement: what a manager takes out of it weekly (also in the command palette)
ACCESS_REVIEW = Command(
    "engagement.access_review",
    "V",
    "access_review",
    "Access review",
    "Every access finding of this engagement, in full (transition access review)",
    show=False,
)
WRITE_REPORT = Command(
    "engagement.report",
    "O",
    "write_report",
    "Write status report…",
    "Write this engagement's status report to a file, Markdown or HTML (transition report)",
    show=False,
)
EXPORT_CALENDAR = Command(
    "engagement.calendar",
    "C",
    "export_calendar",
    "Export calendar (.ics)…",
    "Write the KT sessions, or everything with a date, to an .ics file (transition kt ics)",
    show=False,
)
EXPORT_CHECKLIST = Command(
    "engagement.checklist",
    "L",
    "export_checklist",
    "Export exit checklist…",
    "Write the exit checklist as a reusable YAML checklist (transition handover export)",
    show=False,
)
REVIEW_CLOSE = Command("review.close", "escape", "close", "Back", "Back to the engagement")
REVIEW_OPEN = Command(
    "review.open",
    "i",
    "open_grant",
    "Grant",
    "Open the highlighted finding's grant in full, where x revokes it too (or enter)",
)
REVIEW_REVOKE = Command(
    "review.revoke", "x", "revoke", "Revoke", "Revoke the grant of the highlighted finding"
)

# Tasks tab
TOGGLE = Command(
    "tasks.toggle", "space", "toggle", "Done/undo", "Mark the task done, or open again"
)
START = Command("tasks.start", "s", "start", "Start", "Set the task in progress")
BLOCK = Command(
    "tasks.block", "b", "block", "Blocked", "Mark the task blocked, with a note", show=False
)
SKIP = Command(
    "tasks.skip", "k", "skip", "Skip", "Skip the task (not needed), with a note", show=False
)
ASSIGN = Command("tasks.assign", "a", "assign", "Assign", "Assign the task to a person")
FILTER = Command("tasks.filter", "f", "filter", "Filter", "Filter by status, assignee, overdue")
OPEN_ONLY = Command(
    "tasks.open_only",
    "o",
    "toggle_open",
    "Open/all",
    "Show open tasks only (as the tab opens), or every task",
    show=False,
)
# Listed in the help screen and the palette; the footer keeps to the everyday keys.
TASK_ADD = Command("tasks.add", "n", "add_task", "Add", "Add an ad-hoc task to a phase", show=False)
TASK_EDIT = Command(
    "tasks.edit", "e", "edit_task", "Edit", "Edit the task's title, due, owner…", show=False
)
TASK_REMOVE = Command(
    "tasks.remove",
    "x,delete",
    "remove_task",
    "Remove",
    "Remove the task, with a reason",
    show=False,
)
TASK_NOTE = Command(
    "tasks.note", "N", "note_task", "Note", "Add a note to the task's thread", show=False
)
TASK_SHOW = Command(
    "tasks.show",
    "i",
    "show_task",
    "Details",
    "The task's fields, notes and history (or enter)",
    show=False,
)

# Access tab
GRANT = Command("access.grant", "n", "grant", "Grant", "Record an access grant")
REVOKE = Command("access.revoke", "x", "revoke", "Revoke", "Revoke the highlighted grant")
ACCESS_FILTER = Command(
    "access.filter", "f", "cycle_filter", "Filter", "All / active / expiring in 30 days"
)

# KT tab
KT_SCHEDULE = Command("kt.schedule", "n", "schedule", "Schedule", "Schedule a KT session")
KT_HOLD = Command("kt.hold", "h", "hold", "Held", "Record the session as held")
KT_SIGNOFF = Command("kt.signoff", "o", "signoff", "Sign off", "Sign the session off")
KT_RESCHEDULE = Command(
    "kt.reschedule", "r", "reschedule", "Move", "Move the planned session to another time"
)
KT_CANCEL = Command(
    "kt.cancel", "c", "cancel_session", "Cancel", "Cancel the planned session, saying why"
)
KT_EDIT = Command(
    "kt.edit", "e", "edit", "Edit", "Change the session's topic, attendees or topics covered"
)
KT_COVERAGE = Command(
    "kt.coverage", "v", "coverage", "Coverage", "KT coverage by system, topic and kind"
)

# Runbooks tab
RUNBOOK_NEW = Command(
    "runbooks.new", "n", "generate", "Generate", "Generate a runbook from a template"
)
RUNBOOK_STATUS = Command(
    "runbooks.advance",
    "p",
    "promote",
    "Next status",
    "Move the runbook to its next status (to accepted: who signs it, as a does)",
)
RUNBOOK_UPDATE = Command(
    "runbooks.update",
    "U",
    "update_runbook",
    "Update",
    "Merge the runbook's improved template into it, keeping your edits (preview first)",
)

# Handover tab
HANDOVER_DONE = Command(
    "handover.done", "space", "toggle", "Done/undo", "Mark the checklist item done, or open again"
)
HANDOVER_SYNC = Command(
    "handover.sync", "y", "sync", "Sync", "Reconcile derived items with their sources"
)
HANDOVER_UPGRADE = Command(
    "handover.upgrade",
    "U",
    "upgrade",
    "Upgrade",
    "Preview, then apply, a newer version of the exit checklist",
)

# Systems tab
SYSTEM_ADD = Command("systems.add", "n", "add_system", "Add", "Add a system in scope")
SYSTEM_EDIT = Command("systems.edit", "e", "edit_system", "Edit", "Edit the highlighted system")
SYSTEM_OWNERS = Command(
    "systems.owners", "o", "owners", "Owners", "Add or remove an owner, SME or backup"
)
SYSTEM_TOPICS = Command(
    "systems.topics", "t", "topics", "Topics", "Add or remove a topic of the system's knowledge"
)
SYSTEM_INSPECT = Command(
    "systems.inspect",
    "i",
    "inspect",
    "Inspect",
    "The highlighted system in full: people, topics, grants, KT, runbooks, exit items (or enter)",
)

# People tab
PERSON_ADD = Command("people.add", "n", "add_person", "Add", "Add a person")
PERSON_INSPECT = Command(
    "people.inspect",
    "i",
    "inspect_person",
    "Inspect",
    "The highlighted person: roles, systems, KT given and received, release (also Enter)",
    show=False,
)
PERSON_EDIT = Command("people.edit", "e", "edit_person", "Edit", "Edit the highlighted person")
PERSON_REMOVE = Command(
    "people.remove", "x", "remove_person", "Remove", "Take the highlighted person off"
)
PERSON_ROLE = Command(
    "people.role",
    "o",
    "person_role",
    "Role",
    "Give the highlighted person a playbook role, or take one back",
    show=False,
)
PERSON_RELEASE = Command(
    "people.release",
    "r",
    "release_person",
    "Release",
    "Release the highlighted person (their grants revoked; a reason when not ready)",
)
PERSON_MOVE = Command(
    "people.move", "m", "move_person", "Move", "Re-badge the highlighted incumbent to the provider"
)
PERSON_READINESS = Command(
    "people.readiness", "d", "readiness", "Readiness", "What the highlighted person still holds"
)

# RAID tab
RAID_ADD = Command("raid.add", "n", "add_raid", "Add", "Add a RAID entry")
RAID_CLOSE = Command(
    "raid.close", "x", "close_raid", "Close", "Close the highlighted entry with a resolution"
)

# Forms and dialogs
SUBMIT = Command("form.submit", "ctrl+s", "submit", "Save", "Save the form", priority=True)
# Not a priority binding: an open dropdown takes escape first and only closes itself.
CANCEL = Command("form.cancel", "escape", "cancel", "Cancel", "Close without saving")

# Handover tab: the hand-back pack
HANDOVER_PACK = Command(
    "handover.pack",
    "W",
    "write_pack",
    "Write hand-back pack…",
    "Write the hand-back pack (files and a manifest of hashes) to a folder or a .zip file",
    show=False,
)

# The Scorecard tab
SCORE_RECORD = Command(
    "scorecard.record", "r", "record_score", "Record", "Record a KPI value for a party and week"
)

# Go-live tab
EXERCISE_ADD = Command(
    "golive.exercise", "n", "add_exercise", "Exercise", "Record a tabletop exercise"
)
EXERCISE_FINDING = Command(
    "golive.finding",
    "f",
    "add_finding",
    "Finding",
    "Turn a finding of the highlighted exercise into a task",
)
GOLIVE_DECIDE = Command(
    "golive.decide", "d", "decide", "Decide", "Record a go/no-go decision signed by both sides"
)

# Meetings tab
MEETING_HELD = Command(
    "meetings.held", "h", "meeting_held", "Held", "Record the meeting as held: attendees, minutes"
)
MEETING_CANCEL = Command(
    "meetings.cancel", "c", "meeting_cancel", "Cancel", "Cancel the planned meeting, saying why"
)
MEETING_ACTION = Command(
    "meetings.action", "a", "meeting_action", "Action", "Add an action: a task for a person"
)

# Runbook evidence (Runbooks tab)
RUNBOOK_EXERCISE = Command(
    "runbooks.exercise", "X", "exercise", "Exercise", "Record an exercise of the runbook"
)
RUNBOOK_SIGN = Command(
    "runbooks.sign", "a", "sign", "Accept", "Accept the runbook, signed by a provider person"
)

# Inspectors: enter on a row opens one
INSPECT = Command(
    "list.inspect",
    "enter",
    "inspect",
    "Inspect",
    "Open the highlighted row in full: a task, system, grant, KT session, runbook or RAID "
    "entry; enter on a link inside opens that in turn",
    show=False,
)
INSPECT_CLOSE = Command("inspector.close", "escape", "close", "Back", "Close the inspector")
INSPECT_REVOKE = Command(
    "inspector.revoke", "x", "revoke", "Revoke", "Revoke the grant being inspected"
)
INSPECT_EDIT_FILE = Command(
    "inspector.edit_file",
    "e",
    "edit_file",
    "Edit file",
    "Open the runbook's file in $EDITOR, then read its fill again",
)
ACCESS_FINDINGS = Command(
    "access.review",
    "v",
    "review",
    "Review",
    "The access review in full (V on the engagement): enter opens a finding's grant, x revokes it",
)

#: The commands that change the engagement: on an archived one each is refused at once,
#: before any form opens (``screens.base.refused_archived``).
CHANGES = frozenset(
    {
        *(ADVANCE, ADD_SYSTEM, ADD_PERSON, EDIT_ENGAGEMENT, UPGRADE_PLAYBOOK, REPLAN),
        *(START_EXIT, TOGGLE, START, BLOCK, SKIP, ASSIGN),
        *(TASK_ADD, TASK_EDIT, TASK_REMOVE, TASK_NOTE, GRANT, REVOKE),
        *(KT_SCHEDULE, KT_HOLD, KT_SIGNOFF, KT_RESCHEDULE, KT_CANCEL, KT_EDIT),
        *(RUNBOOK_NEW, RUNBOOK_STATUS, RUNBOOK_UPDATE, RUNBOOK_EXERCISE, RUNBOOK_SIGN),
        *(HANDOVER_DONE, HANDOVER_SYNC, HANDOVER_UPGRADE),
        *(SYSTEM_ADD, SYSTEM_EDIT, SYSTEM_OWNERS, SYSTEM_TOPICS),
        *(PERSON_ADD, PERSON_EDIT, PERSON_REMOVE, PERSON_ROLE, PERSON_RELEASE, PERSON_MOVE),
        *(RAID_ADD, RAID_CLOSE, SCORE_RECORD, EXERCISE_ADD, EXERCISE_FINDING, GOLIVE_DECIDE),
        *(MEETING_HELD, MEETING_CANCEL, MEETING_ACTION),
    }
)
