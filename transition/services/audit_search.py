"""The audit list filtered and sorted in its query (the TUI's Audit tab: ``/``, ``>``)."""

from __future__ import annotations

from typing import Any

from transition.models import AuditEvent
from transition.services import textmatch

#: What the audit list can be sorted by (the Audit tab's columns), and the column for each.
EVENT_SORTS: dict[str, Any] = {
    "at": AuditEvent.id,
    "actor": textmatch.folded(AuditEvent.actor),
    "action": AuditEvent.action,
    "entity": AuditEvent.entity,
    "field": AuditEvent.field,
}


def narrowed(stmt: Any, order: Any, text: str | None, sort: str | None, descending: bool) -> Any:
    """``stmt`` (events) kept to those with every word of ``text`` in the time, actor,
    action, entity, field or values, in the order of ``sort``, then ``order``."""
    stmt = stmt.order_by(*textmatch.ordering(sort, descending, EVENT_SORTS, "events"), order)
    if text:
        stmt = stmt.where(
            textmatch.matches(
                text,
                AuditEvent.at,
                AuditEvent.actor,
                AuditEvent.action,
                AuditEvent.entity,
                AuditEvent.entity_id,
                AuditEvent.field,
                AuditEvent.before,
                AuditEvent.after,
            )
        )
    return stmt
