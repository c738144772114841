"""Undoing a change that brought back a person or a system removed before (``person add``
or ``system add`` of the same name): it is taken off again, each field it came back with
put back, when removing it is allowed now as ``person remove`` or ``system remove``
allows it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from transition.errors import Conflict, Refused
from transition.models import AccessGrant, AuditEvent

#: The rows a re-add brings back, field by field.
RETURNING = ("person", "system")


def check_removable(
    session: Session,
    entity: str,
    row: Any,
    history: Sequence[AuditEvent],
    what: str,
    when: str,
) -> None:
    """Refuse unless the change brought ``row`` back field by field (its removal is
    recorded with what it had) and the row could be removed again now."""
    came_back = any(
        e.field == "removed_at" and e.before is not None and e.after is None for e in history
    )
    if entity not in RETURNING or not came_back:
        raise Refused(f"{when} brought back {what}, which existed before; undo cannot take it away")
    if entity == "person":
        from transition.services.people_edit import _live_grants, _planned_kt

        grants, sessions = _live_grants(session, row), _planned_kt(session, row)
        held = [f"grant {gid} ({role} on {system})" for gid, role, system in grants[:10]]
        held += [f"KT session {sid} ({topic})" for sid, topic, _ in sessions[:10]]
    else:
        held = [
            f"grant {gid} ({role})"
            for gid, role in session.execute(
                select(AccessGrant.id, AccessGrant.role)
                .where(AccessGrant.system_id == row.id, AccessGrant.revoked_at.is_(None))
                .order_by(AccessGrant.id)
                .limit(10)
            )
        ]
    if held:
        raise Conflict(
            f"{when} brought back {what}, which now holds {', '.join(held)}: it cannot be "
            "removed again; revoke or cancel those first (nothing undone)"
        )
