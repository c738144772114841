"""Read models: the exit-handover checklist."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import SerializerFunctionWrapHandler, model_serializer

from transition.services.views.base import Timestamp, View


class _Ref(View):
    """What an item comes from. Only the fields it was given are written: a source whose
    row is gone shows its id alone."""

    @model_serializer(mode="wrap")
    def _given(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        return {k: v for k, v in data.items() if k in self.model_fields_set}


class GrantRef(_Ref):
    grant_id: int | None
    person: str | None = None
    system: str | None = None
    role: str | None = None


class SystemRef(_Ref):
    system_id: int | None
    system: str | None = None


class RunbookRef(_Ref):
    runbook_id: int | None
    template: str | None = None
    title: str | None = None
    system: str | None = None


class ChecklistRef(_Ref):
    checklist: str | None


SourceRef = GrantRef | SystemRef | RunbookRef | ChecklistRef


class HandoverItemView(View):
    """``handover show``: one item of the exit checklist."""

    id: int
    key: str
    section: str
    section_title: str | None
    title: str
    description: str
    owner: str | None
    source: str
    source_kind: str | None
    source_id: int | None
    checklist: str | None
    status: str
    resolved_at: Timestamp | None
    resolved_by: str | None
    note: str | None
    version: int
    source_ref: SourceRef
    #: When it is due: its rule (``exit-30d``; derived items: their kind's default) and the
    #: date it falls on (None until the notice or exit date it counts from is set).
    due_rule: str | None = None
    due_date: date | None = None
    overdue: bool = False

    @property
    def derived(self) -> bool:
        """Follows its grant, system or runbook (never ticked by hand)."""
        return self.source == "derived"


class HandoverSync(View):
    """``handover sync``: how many derived items each kind of change touched."""

    added: int = 0
    resolved: int = 0
    retired: int = 0
    reopened: int = 0

    @property
    def changed(self) -> bool:
        return any((self.added, self.resolved, self.retired, self.reopened))

    def describe(self) -> str:
        """``"3 added, 1 resolved"``, or empty when nothing changed."""
        return ", ".join(f"{n} {what}" for what, n in self.model_dump().items() if n)


class ItemDifference(View):
    """An item of a checklist file whose key the engagement has, with other text."""

    key: str
    fields: list[str]


class ChecklistImport(View):
    """``handover import``: what a saved checklist added, and the items it holds with
    other text than the engagement's (left as they are: ``handover upgrade`` applies a
    newer version)."""

    checklist: str
    added: int
    skipped: int
    keys: list[str]
    differs: list[ItemDifference] = []
    applied: bool = False


class ChecklistStep(View):
    """One line of a checklist upgrade: what happens to one item (or one of its fields).

    ``kind``: ``added``, ``restored`` (an item removed earlier comes back), ``changed``,
    ``removed``, ``kept`` (dropped by the new version, but ticked or edited here) or
    ``conflict`` (changed here and in the new version: the engagement's value stays).
    ``before``/``after``: the engagement's value and the new version's."""

    kind: str
    key: str
    title: str
    field: str | None = None
    before: str | None = None
    after: str | None = None
    reason: str | None = None


class ChecklistUpgrade(View):
    """``handover upgrade``: the checklist three-way merge, previewed or applied."""

    checklist: str
    from_version: int | None
    to_version: int
    recorded: bool
    dry_run: bool
    steps: list[ChecklistStep]

    def count(self, kind: str) -> int:
        return sum(1 for s in self.steps if s.kind == kind)


class ExitReadiness(View):
    """How ready the exit is: of the items due by today, how many are done; and of all
    items (retired ones left out), how many are done. ``dated``: items with a due date;
    ``percent``: done of due (None when nothing is due yet)."""

    notice_date: date | None
    exit_date: date | None
    today: date
    total: int
    done: int
    dated: int
    due: int
    due_done: int
    overdue: int
    percent: int | None

    def describe(self) -> str:
        """``exit readiness: 3 of 5 due items done (60%), 10 of 40 in all; 2 overdue``."""
        if not self.dated:
            head = "exit readiness: no item has a due date (set the notice and exit dates)"
        elif self.due:
            head = f"exit readiness: {self.due_done} of {self.due} due items done ({self.percent}%)"
        else:
            head = "exit readiness: nothing due yet"
        tail = f"{self.done} of {self.total} in all"
        if self.overdue:
            tail += f"; {self.overdue} overdue"
        return f"{head}, {tail}"
