"""Read models of the TUI's inspectors: one noun in full, with what hangs off it and its
history from the audit log, each read in a fixed number of queries."""

from __future__ import annotations

from transition.services.views.access import GrantView
from transition.services.views.audit import AuditEventView
from transition.services.views.base import View
from transition.services.views.kt import KTSessionView
from transition.services.views.owners import SystemInspection
from transition.services.views.raid import RaidItemView
from transition.services.views.runbooks import RunbookExerciseView, RunbookView
from transition.services.views.tasks import TaskDetail


class TaskLink(View):
    """A task one inspected task depends on (``relation`` ``depends on``) or that depends
    on it (``needed by``)."""

    relation: str
    key: str
    title: str
    status: str


class TaskInspection(View):
    """A task in full (``task show``) and the tasks on either side of its dependencies,
    with their titles and status, so the inspector can jump to them."""

    task: TaskDetail
    links: list[TaskLink]


class HandoverLine(View):
    """An exit-checklist item as an inspector lists it."""

    key: str
    title: str
    status: str
    source_kind: str | None


class SystemDetail(View):
    """A system in full: its people and topics, its grants, its KT sessions, its runbooks
    with status and fill, and the exit-checklist items derived from it or from them."""

    system: SystemInspection
    grants: list[GrantView]
    sessions: list[KTSessionView]
    runbooks: list[RunbookView]
    handover: list[HandoverLine]


class GrantDetail(View):
    """A grant in full with its history (granted, rescheduled, revoked)."""

    grant: GrantView
    history: list[AuditEventView]


class KTSessionDetail(View):
    """A KT session in full with its history."""

    session: KTSessionView
    history: list[AuditEventView]


class RunbookDetail(View):
    """A runbook in full: its file (``file``: the path as stored, ``absolute``: where it
    is on this machine), fill, lifecycle, its exercises and its history."""

    runbook: RunbookView
    absolute: str
    exercises: list[RunbookExerciseView]
    history: list[AuditEventView]


class RaidDetail(View):
    """A RAID entry in full with the tasks it links to (by key) and its history."""

    item: RaidItemView
    task_keys: dict[int, str]
    history: list[AuditEventView]
