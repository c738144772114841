"""The audit replay of role assignments: who holds which role, as the log says, against
the ``role_assignments`` rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

ENTITY = "role_assignment"


def logged_roles(log: Sequence[Mapping[str, Any]]) -> set[tuple[str, str]]:
    """(role, person name) held, replayed in order: each change to an assignment logs its
    ``role`` and ``person`` fields; one filled in is an assignment, one emptied a removal
    (``assign``, ``remove`` and the ``undo`` of either)."""
    changes: dict[tuple[Any, Any], dict[str, Mapping[str, Any]]] = {}
    for e in log:
        if e["entity"] == ENTITY and e["field"] in ("role", "person"):
            group = e.get("change_id") or e.get("id")
            changes.setdefault((group, e["entity_id"]), {})[e["field"]] = e
    held: set[tuple[str, str]] = set()
    for fields in changes.values():
        role, person = fields.get("role"), fields.get("person")
        if role is None or person is None:
            continue
        if role["after"] and person["after"]:
            held.add((role["after"], person["after"]))
        elif role["before"] and person["before"]:
            held.discard((role["before"], person["before"]))
    return held


def role_problems(
    rows: Sequence[Mapping[str, Any]],
    log: Sequence[Mapping[str, Any]],
    person_names: Mapping[Any, set[str]],
) -> list[str]:
    """One line per role assignment the rows and the log disagree on."""
    logged = logged_roles(log)
    problems = []
    matched: set[tuple[str, str]] = set()
    for row in rows:
        names = person_names.get(row["person_id"], set())
        hit = next((p for p in logged if p[0] == row["role"] and p[1] in names), None)
        if hit is None:
            who = sorted(names)[0] if names else row["person_id"]
            problems.append(
                f"role {row['role']} of {who}: not in the log (a row inserted behind the "
                "tool's back?)"
            )
        else:
            matched.add(hit)
    for role, name in sorted(logged - matched):
        problems.append(f"role {role} of {name}: the log assigns it but the row is gone")
    return problems
