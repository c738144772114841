"""Tasks and phases a newer playbook drops (``engagement upgrade``, ``playbook_merge``).

A task gone from the playbook is retired only when it was never started nor changed and
no open task still depends on it: the same rule as ``task remove``, so an upgrade never
leaves a task waiting on one that is gone. A phase gone from the playbook is kept; its
line says how many of its tasks stay in it and how many the playbook moved elsewhere.
"""

from __future__ import annotations

from typing import Any

OPEN = ("todo", "in_progress", "blocked")


def _depends_on(merge: Any) -> dict[str, set[str]]:
    """Each open task's dependencies (keys) as they are once the merge is applied."""
    replaced = {id(row): set(keys) for row, keys in merge.new_deps}
    out: dict[str, set[str]] = {}
    for key, row in merge.tasks.items():
        if row.removed_at is not None or row.status not in OPEN or row.id is None:
            continue
        deps = replaced.get(id(row), merge.deps.get(row.id, set()))
        out[key] = {merge.renames.get(d, d) for d in deps}
    return out


def retire_gone(merge: Any, gone: list[str]) -> None:
    """Retire the playbook's tasks in ``gone`` that may go; keep and list the others."""
    rows = {
        key: merge.tasks[key]
        for key in gone
        if key in merge.tasks
        and merge.tasks[key].removed_at is None
        and merge.tasks[key].origin == "playbook"
    }
    going = {k for k, row in rows.items() if merge.untouched(row, merge.base_tasks[k][1])}
    deps = _depends_on(merge)

    def needed_by(key: str) -> list[str]:
        return sorted(t for t, on in deps.items() if key in on and t not in going)

    changed = True
    while changed:  # a task kept keeps what it depends on
        changed = False
        for key in sorted(going):
            if needed_by(key):
                going.discard(key)
                changed = True
    for key, row in rows.items():
        merge.retire(row, merge.base_tasks[key][1], needed_by(key) if key not in going else None)


def describe_kept_phases(merge: Any) -> None:
    """A phase the playbook dropped is kept; its tasks the playbook now places in another
    phase went there, so its line says how many stay in it."""
    kept = {p.key: p.id for p in merge.phases}
    for step in merge.to_decide:
        if (step.what, step.action) != ("phase", "keep") or step.key not in kept:
            continue
        stay = sum(
            1 for t in merge.tasks.values() if t.phase_id == kept[step.key] and t.removed_at is None
        )
        moved = sum(
            1
            for c in merge.changes
            if c.entity == "task" and c.field == "phase" and c.before == step.key
        )
        if moved:
            step.note = (
                f"no longer in the playbook: kept with {stay} task(s); {moved} task(s) "
                "moved to the phase the playbook now puts them in"
            )
