"""Read models: the exit-handover checklist."""

from __future__ import annotations

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
