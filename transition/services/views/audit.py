"""Read models: the audit log."""

from __future__ import annotations

from datetime import date

from transition.services.views.base import Timestamp, View


class ChangeView(View):
    """One recorded change: who, when, what."""

    at: Timestamp
    actor: str
    action: str
    entity: str
    entity_id: int | None
    field: str | None
    before: str | None
    after: str | None


class _Numbered(View):
    id: int


class AuditEventView(ChangeView, _Numbered):
    """``audit ENG``: one event of the engagement's log (``id`` first, then the change)."""

    #: Brought in by ``transition import`` (it keeps its original time and actor).
    imported: bool = False


class AuditVerification(View):
    """``audit --verify``: the events checked and every problem found."""

    events: int
    intact: bool
    problems: list[str]


class RecentChanges(View):
    """The changes since a day: counted by kind (``"task update"``), the newest listed."""

    since: date
    count: int
    by_kind: dict[str, int]
    events: list[ChangeView]


class NamedAuditEvent(AuditEventView):
    """An event as the TUI's Audit tab shows it: ``name`` is what its row is called (a
    task's title, a person's name, a grant as "who on what"); None for a row deleted since
    or a kind without a name."""

    name: str | None = None


class MarkedChange(View):
    """One change (a command's transaction) found by the change marker."""

    change_id: str | None
    actor: str
    #: Its newest event id.
    last: int


class ChangeMarker(View):
    """What the TUI polls: the newest audit event id, and the changes after the one asked."""

    newest: int
    changes: list[MarkedChange]
