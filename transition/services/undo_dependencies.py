"""Undoing changes of the dependency map (``system depends``, ``system depends --remove``).

An ``add`` is recorded on the new row (``depends_on``: ``Target (kind)``); undoing it
removes that dependency, refused (nothing written) when it was removed or changed since.
A ``remove`` is recorded on the row it deleted with the target (``depends_on``), the
system that depended on it (``system``) and the ``kind``; undoing it puts the same
dependency back, refused when a system of it is gone or removed, when an equal dependency
exists again, or when it would now close a cycle. A removal recorded before the system and
kind were kept cannot be put back, and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from transition.errors import Conflict, Refused
from transition.models import AuditEvent, System, SystemDependency
from transition.services import audit
from transition.services.common import add_unique
from transition.services.undo_people import named_then

ENTITY = "system_dependency"


@dataclass
class DependencyStep:
    key: Any  # undo_rules.RowKey of the dependency (when put back: the id it had)
    #: The system that depends (its name now).
    label: str
    #: The system depended on (its name now), and the kind.
    target: str
    kind: str
    #: True: put it back (undoing a removal); False: take it away (undoing an addition).
    add: bool
    row: SystemDependency | None = None
    source_id: int | None = None
    target_id: int | None = None
    #: What the addition recorded (``Target (kind)``), said back by its undo.
    recorded: str | None = None


def plan_dependencies(session: Session, plan: Any, events: Sequence[AuditEvent], when: str) -> None:
    """Add to ``plan`` the steps undoing the dependency events of a change."""
    from transition.services.undo_rules import check_later

    by_id: dict[int, list[AuditEvent]] = {}
    for e in events:
        if e.entity_id is None:
            raise Refused(f"{when} ({ENTITY} {e.action}) cannot be undone")
        by_id.setdefault(e.entity_id, []).append(e)
    adds: dict[int, AuditEvent] = {}
    removes: dict[int, dict[str | None, AuditEvent]] = {}
    for row_id, history in by_id.items():
        actions = {e.action for e in history}
        fields = {e.field: e for e in history}
        if actions == {"add"} and "depends_on" in fields:
            adds[row_id] = fields["depends_on"]
        elif actions == {"remove"} and "depends_on" in fields:
            removes[row_id] = fields
        else:
            raise Refused(f"{when} ({ENTITY} {', '.join(sorted(actions))}) cannot be undone")
    if adds:
        loaded = _touch_added(session, plan, adds)
        # Who changed a dependency since is the clearest answer: asked first.
        check_later(session, plan, plan.last_id)
        for row_id, e in adds.items():
            row, names = loaded[row_id]
            plan.dependencies.append(_taken_away(plan, row_id, row, names, e, when))
    for row_id, fields in removes.items():
        plan.dependencies.append(_put_back(session, plan, row_id, fields, when))


def _touch_added(
    session: Session, plan: Any, adds: dict[int, AuditEvent]
) -> dict[int, tuple[SystemDependency | None, dict[int, str]]]:
    """The dependencies the change added (None: gone) with their systems' names, each
    marked as touched by the plan; two queries."""
    from transition.services.undo_rules import RowKey

    rows = {
        r.id: r
        for r in session.execute(
            select(SystemDependency).where(SystemDependency.id.in_(sorted(adds)))
        ).scalars()
    }
    ids = {i for r in rows.values() for i in (r.system_id, r.depends_on_id)}
    names = dict(session.execute(select(System.id, System.name).where(System.id.in_(ids))).all())
    for row_id, e in adds.items():
        row = rows.get(row_id)
        label = (
            f"{names[row.system_id]} → {names[row.depends_on_id]}"
            if row is not None
            else f"on {e.after} (#{row_id})"
        )
        plan.touched[RowKey(ENTITY, row_id)] = label
    return {row_id: (rows.get(row_id), names) for row_id in adds}


def _taken_away(
    plan: Any,
    row_id: int,
    row: SystemDependency | None,
    names: dict[int, str],
    e: AuditEvent,
    when: str,
) -> DependencyStep:
    from transition.services.undo_rules import RowKey

    key = RowKey(ENTITY, row_id)
    if row is None:
        raise Conflict(
            f"system dependency {plan.touched[key]} is gone since {when}; nothing undone"
        )
    if not (e.after or "").endswith(f" ({row.kind})"):
        raise Conflict(
            f"system dependency {plan.touched[key]} is {row.kind} now, not as the change left "
            f"it ({e.after}); nothing undone"
        )
    return DependencyStep(
        key,
        names[row.system_id],
        names[row.depends_on_id],
        row.kind,
        add=False,
        row=row,
        recorded=e.after,
    )


def _put_back(
    session: Session, plan: Any, row_id: int, fields: dict[str | None, AuditEvent], when: str
) -> DependencyStep:
    from transition.services.dependencies import _edges, cycle_formed, lock_graph
    from transition.services.undo_rules import RowKey

    target_e, system_e, kind_e = fields["depends_on"], fields.get("system"), fields.get("kind")
    target_name = target_e.before or ""
    if system_e is None or kind_e is None or not system_e.before or not kind_e.before:
        raise Refused(
            f"{when} removed a dependency on {target_name} recorded without the system that "
            "depended on it and its kind (an older record): undo cannot put it back; add it "
            "again with `transition system depends`"
        )
    eid = plan.engagement.id
    source = named_then(session, System, eid, system_e.before, target_e.id)
    target = named_then(session, System, eid, target_name, target_e.id)
    shown = f"{system_e.before} → {target_name}"
    for name, system in ((system_e.before, source), (target_name, target)):
        if system is None:
            raise Conflict(
                f"system dependency {shown}: system {name} is gone since {when}; nothing undone"
            )
        if system.removed_at is not None:
            raise Conflict(
                f"system dependency {shown}: system {system.name} was removed since {when}; "
                "nothing undone"
            )
    assert source is not None and target is not None
    shown = f"{source.name} → {target.name}"
    lock_graph(session)
    edges = _edges(session, eid)
    equal = next((k for s, d, k in edges if s == source.id and d == target.id), None)
    if equal is not None:
        raise Conflict(
            f"system dependency {shown}: {source.name} depends on {target.name} ({equal}) "
            f"again since {when}; nothing undone"
        )
    cycle = cycle_formed(session, edges, source.id, target.id)
    if cycle is not None:
        raise Conflict(
            f"system dependency {shown} cannot be put back: a dependency cycle would form: "
            f"{cycle}; nothing undone"
        )
    return DependencyStep(
        RowKey(ENTITY, row_id),
        source.name,
        target.name,
        kind_e.before,
        add=True,
        source_id=source.id,
        target_id=target.id,
    )


def apply_dependencies(
    session: Session, engagement_id: int, steps: Sequence[DependencyStep]
) -> list[tuple[DependencyStep, str, Any, Any]]:
    """Write the steps and their ``undo`` events; returns (step, field, now, restored) for
    the lines shown."""
    changes: list[audit.Change] = []
    shown: list[tuple[DependencyStep, str, Any, Any]] = []
    for step in steps:
        if step.add:
            row = SystemDependency(
                engagement_id=engagement_id,
                system_id=step.source_id,
                depends_on_id=step.target_id,
                kind=step.kind,
            )
            if session.get(SystemDependency, step.key.row_id) is None:
                row.id = step.key.row_id  # back under the id its history is logged on
            if not add_unique(session, row):
                raise Conflict(
                    f"system dependency {step.label} → {step.target} was added again a moment "
                    "ago by another change; nothing undone"
                )
            row_id = row.id
            step.key = replace(step.key, row_id=row_id)
            pairs = (
                ("depends_on", None, step.target, True),
                ("system", None, step.label, False),
                ("kind", None, step.kind, True),
            )
        else:
            row_id = step.key.row_id
            session.delete(step.row)
            session.flush()
            pairs = (
                ("depends_on", step.recorded, None, True),
                ("system", step.label, None, False),
            )
        for field_name, now, back, listed in pairs:
            changes.append(audit.Change(ENTITY, row_id, "undo", field_name, now, back))
            if listed:
                shown.append((step, field_name, now, back))
    audit.record_many(session, engagement_id, changes)
    return shown
