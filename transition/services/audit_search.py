"""The audit list filtered and sorted in its query (the TUI's Audit tab: ``/``, ``>``).

The filter finds a word where the tab shows it: in the time, actor, action, entity, field
or values, and in the name of the row the event is about (a task's title, a person's,
system's or runbook's name, a grant's person or system, a system dependency's two
systems), as ``audit_names`` tells it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from transition.models import (
    AccessGrant,
    AuditEvent,
    Engagement,
    HandoverItem,
    Person,
    Phase,
    Runbook,
    System,
    SystemDependency,
    Task,
)
from transition.services import textmatch
from transition.services.audit import CHANGE_COLUMNS
from transition.services.audit_names import DEPENDENCY

#: What the audit list can be sorted by (the Audit tab's columns), and the column for each.
EVENT_SORTS: dict[str, Any] = {
    "at": AuditEvent.id,
    "actor": textmatch.folded(AuditEvent.actor),
    "action": AuditEvent.action,
    "entity": AuditEvent.entity,
    "field": AuditEvent.field,
}

#: The stored columns the filter looks in.
STORED = (AuditEvent.at, *CHANGE_COLUMNS)

#: Entity (as the log names it) → the row and the column that name it.
NAMED: dict[str, tuple[Any, Any]] = {
    "task": (Task, Task.title),
    "person": (Person, Person.name),
    "system": (System, System.name),
    "phase": (Phase, Phase.title),
    "runbook": (Runbook, Runbook.title),
    "handover_item": (HandoverItem, HandoverItem.title),
    "engagement": (Engagement, Engagement.name),
}


def _named(word: str, engagement_id: int) -> Any:
    """Events about a row whose name holds ``word`` (each row kind's ids found once)."""
    kinds = [
        and_(
            AuditEvent.entity == entity,
            AuditEvent.entity_id.in_(
                select(model.id).where(
                    (model.id if model is Engagement else model.engagement_id) == engagement_id,
                    textmatch.matches(word, column),
                )
            ),
        )
        for entity, (model, column) in NAMED.items()
    ]
    grants = (
        select(AccessGrant.id)
        .join(Person, Person.id == AccessGrant.person_id)
        .join(System, System.id == AccessGrant.system_id)
        .where(
            AccessGrant.engagement_id == engagement_id,
            textmatch.matches(word, Person.name, System.name, AccessGrant.role),
        )
    )
    kinds.append(and_(AuditEvent.entity == "access_grant", AuditEvent.entity_id.in_(grants)))
    kinds.append(
        and_(
            AuditEvent.entity == DEPENDENCY,
            AuditEvent.entity_id.in_(_dependencies(word, engagement_id)),
        )
    )
    return or_(*kinds)


def _dependencies(word: str, engagement_id: int) -> Any:
    """The system dependencies of ``engagement_id`` with ``word`` in either system's name:
    those in place by their rows, those removed since by what their events named (the
    rows are deleted; ``audit_names`` tells them the same way)."""
    source, target, logged = aliased(System), aliased(System), aliased(AuditEvent)
    in_place = (
        select(SystemDependency.id)
        .join(source, source.id == SystemDependency.system_id)
        .join(target, target.id == SystemDependency.depends_on_id)
        .where(
            SystemDependency.engagement_id == engagement_id,
            textmatch.matches(word, source.name, target.name),
        )
    )
    removed = select(logged.entity_id).where(
        logged.engagement_id == engagement_id,
        logged.entity == DEPENDENCY,
        logged.field.in_(("system", "depends_on")),
        textmatch.matches(word, logged.before, logged.after),
    )
    return in_place.union(removed)


def narrowed(
    stmt: Any,
    order: Any,
    text: str | None,
    sort: str | None,
    descending: bool,
    engagement_id: int,
) -> Any:
    """``stmt`` (the events of ``engagement_id``) kept to those with every word of
    ``text`` in a stored column or the name of their row, in the order of ``sort``, then
    ``order``."""
    stmt = stmt.order_by(*textmatch.ordering(sort, descending, EVENT_SORTS, "events"), order)
    for word in textmatch.words(text):
        stmt = stmt.where(or_(textmatch.matches(word, *STORED), _named(word, engagement_id)))
    return stmt
