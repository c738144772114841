"""Read models of ``undo``: the changes reverted (or that would be), field by field."""

from __future__ import annotations

from pydantic import Field

from transition.services.views.base import Timestamp, View


class UndoneField(View):
    """One value put back: on ``entity`` (``label`` names the row), ``field`` goes from
    ``now`` (what the change had set) back to ``restored``. A row the change created and
    the undo removes has no field (``restored`` is None)."""

    entity: str
    entity_id: int | None
    label: str
    field: str | None
    now: str | None
    restored: str | None


class UndoneChange(View):
    """One change (the events of one command) and how it is reverted."""

    change_id: str
    at: Timestamp
    actor: str
    engagement: str | None
    actions: list[str]
    fields: list[UndoneField] = Field(default_factory=list)


class UndoResult(View):
    """What ``undo`` reverted, newest change first (with ``dry_run``: would revert)."""

    dry_run: bool
    changes: list[UndoneChange]
