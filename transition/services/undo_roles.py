"""Undoing role assignments: an ``assign`` is taken back by removing the assignment, a
``remove`` by assigning the role again; both are refused (nothing written) when the
assignment or its person changed since."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from transition.errors import Conflict, Refused
from transition.models import AuditEvent, RoleAssignment
from transition.services import audit
from transition.services.common import add_unique
from transition.services.undo_people import live_person_then

ENTITY = "role_assignment"


@dataclass
class RoleStep:
    key: Any  # undo_rules.RowKey
    label: str
    role: str
    person_id: int
    name: str
    #: True: assign the role again (undoing a removal); False: take the row away.
    add: bool
    row: RoleAssignment | None = None


def plan_roles(session: Session, plan: Any, events: Sequence[AuditEvent], when: str) -> None:
    """Add to ``plan`` the steps undoing the role events of a change."""
    from transition.services.undo_rules import RowKey, check_later

    by_id: dict[int, list[AuditEvent]] = {}
    for e in events:
        if e.entity_id is None:
            raise Refused(f"{when} ({e.entity} {e.action}) cannot be undone")
        by_id.setdefault(e.entity_id, []).append(e)
    pending = []
    for row_id, history in by_id.items():
        fields = {e.field: e for e in history}
        action = history[0].action
        role_e, person_e = fields.get("role"), fields.get("person")
        if action not in ("assign", "remove") or role_e is None or person_e is None:
            raise Refused(f"{when} ({ENTITY} {action}) cannot be undone")
        adding = action == "remove"
        role = (role_e.before if adding else role_e.after) or ""
        name = (person_e.before if adding else person_e.after) or ""
        key = RowKey(ENTITY, row_id)
        plan.touched[key] = f"{role} of {name}"
        pending.append((key, role, name, adding, person_e.id))
    # Who changed an assignment since is the clearest answer: asked first.
    check_later(session, plan, plan.last_id)
    for key, role, name, adding, event_id in pending:
        label = plan.touched[key]
        person = live_person_then(session, plan.engagement.id, name, event_id)
        if person is None:
            raise Conflict(f"role {label}: {name} is not a person of the engagement now")
        row = session.execute(
            select(RoleAssignment).where(
                RoleAssignment.engagement_id == plan.engagement.id,
                RoleAssignment.role == role,
                RoleAssignment.person_id == person.id,
            )
        ).scalar_one_or_none()
        if adding and row is not None:
            raise Conflict(f"role {label} was assigned again since {when}; nothing undone")
        if not adding and row is None:
            raise Conflict(f"role {label} is gone since {when}; nothing undone")
        plan.roles.append(RoleStep(key, label, role, person.id, name, adding, row))


def apply_roles(
    session: Session, engagement_id: int, steps: Sequence[RoleStep]
) -> list[tuple[RoleStep, str, Any, Any]]:
    """Write the steps and their ``undo`` events; returns (step, field, now, restored)."""
    changes: list[audit.Change] = []
    shown: list[tuple[RoleStep, str, Any, Any]] = []
    for step in steps:
        if step.add:
            row = RoleAssignment(
                engagement_id=engagement_id, role=step.role, person_id=step.person_id
            )
            if not add_unique(session, row):  # another writer assigned it a moment ago
                raise Conflict(
                    f"{step.name} was given the role {step.role} again a moment ago by another "
                    "change; nothing undone"
                )
            row_id = row.id
            pairs = (("role", None, step.role), ("person", None, step.name))
        else:
            row_id = step.key.row_id
            session.delete(step.row)
            session.flush()
            pairs = (("role", step.role, None), ("person", step.name, None))
        for field, now, back in pairs:
            changes.append(audit.Change(ENTITY, row_id, "undo", field, now, back))
            shown.append((step, field, now, back))
    audit.record_many(session, engagement_id, changes)
    return shown
