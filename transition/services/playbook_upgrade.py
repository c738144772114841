"""``engagement upgrade``: a newer version of an engagement's playbook, merged three-way.

base = the playbook the engagement follows (``Engagement.playbook_json``), theirs = the
newer version, ours = the engagement's phases and tasks as they are now:

- phases and tasks new in theirs are added where they belong; a task added to a phase
  already left is added open and listed to decide;
- a title, description, owner role, due offset, dependency list or gate changes where the
  engagement still holds the base value; where both changed it, the engagement's value
  stays and the conflict is listed; a changed due offset re-resolves an open task's due
  date on the engagement's calendar;
- a task gone from theirs is retired (removed, reason "removed from playbook vN") when it
  was never started nor changed here, else kept and listed; ``replaces: old-key`` follows
  a renamed task;
- gates of phases already passed are not judged again; a changed duration re-lays the
  phases not yet done; the runbooks required per tier are the new playbook's.

All in the caller's transaction: one audit event per changed field (action ``upgrade``;
dates that follow a re-laid phase: ``replan``) plus an ``upgrade`` event on the
engagement naming both versions, whose ``playbook_json`` event keeps the old playbook so
the audit replay still lays the plan out as it was first laid. ``dry_run`` works it all
out and writes nothing.
"""

from __future__ import annotations

from sqlalchemy import delete, insert
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from transition.errors import Conflict, Refused, about
from transition.models import Task, TaskDependency
from transition.playbooks import Playbook, content_hash, from_json, resolve_playbook
from transition.services import audit
from transition.services.common import EngagementRef, engagement_of, take_turn
from transition.services.playbook_merge import ACTION, Merge, _deps
from transition.services.views.playbooks import UpgradeStep, UpgradeView

# Writing ---------------------------------------------------------------------------------


def _number(merge: Merge) -> list[tuple[Task, int]]:
    """Tasks of the phases that gained one: the playbook's order, then the others. Each
    task whose place changes is put aside first (flushed by the caller), then ``_place``
    gives it its place: no step holds two tasks at one place of a phase."""
    if not merge.reorder:
        return []
    rank = {t.key: i for i, (_, t) in enumerate(merge.theirs.tasks())}
    moves: list[tuple[Task, int]] = []
    for phase_id in merge.reorder:
        rows = [t for t in merge.tasks.values() if t.phase_id == phase_id]
        rows.sort(
            key=lambda t: (
                t.key not in rank,
                rank.get(t.key, 0),
                merge.held.get(t.id, t.position) if t.id else t.position,
                t.id or 0,
            )
        )
        for position, row in enumerate(rows):
            if row.position != position:
                moves.append((row, position))
                if row.position >= 0:  # a task already there: its place is kept in held
                    merge.held.setdefault(row.id, row.position)
                    row.position = merge.aside()
    return moves


def _place(merge: Merge, moves: list[tuple[Task, int]]) -> None:
    created = {id(row) for row, _, _ in merge.created_tasks}
    for row, position in moves:
        before = merge.held.get(row.id, row.position)
        row.position = position
        merge.session.add(row)
        if id(row) not in created and before != position:
            merge.changes.append(audit.Change("task", row.id, ACTION, "position", before, position))


def _creations(merge: Merge) -> list[audit.Change]:
    """The ``create`` events of the phases and tasks the upgrade added (final values)."""
    out: list[audit.Change] = []
    for row in merge.created_phases:
        for field in (
            "key",
            "position",
            "title",
            "status",
            "planned_start",
            "planned_end",
            "baseline_start",
            "baseline_end",
            "gate_json",
        ):
            out.append(audit.Change("phase", row.id, "create", field, None, getattr(row, field)))
    for row, phase, spec in merge.created_tasks:
        initial = {
            "key": row.key,
            "phase": phase.key,
            "position": row.position,
            "origin": "playbook",
            "title": row.title,
            "status": "todo",
            "due_date": row.due_date,
            "due_rule": row.due_rule,
            "owner_role": row.owner_role or None,
            "description": row.description or None,
            "depends_on": _deps(spec.depends_on) or None,
        }
        out += [
            audit.Change("task", row.id, "create", field, None, value)
            for field, value in initial.items()
            if value is not None
        ]
    return out


def _dependencies(session: Session, merge: Merge) -> None:
    """Dependency rows of the added tasks and of those whose list changed."""
    wanted = [(row, spec.depends_on) for row, _, spec in merge.created_tasks if spec.depends_on]
    wanted += merge.new_deps
    changed = [row.id for row, _ in merge.new_deps]
    if changed:
        session.execute(delete(TaskDependency).where(TaskDependency.task_id.in_(changed)))
    rows = [
        {"task_id": row.id, "depends_on_id": merge.tasks[dep].id}
        for row, deps in wanted
        for dep in deps
        if dep in merge.tasks
    ]
    if rows:
        session.execute(insert(TaskDependency), rows)


def _runbook_steps(merge: Merge, base: Playbook, theirs: Playbook) -> None:
    """The runbooks required per tier: the new playbook's (gates read them from it)."""
    pairs = {
        tier: (base.required_runbooks(tier), theirs.required_runbooks(tier)) for tier in (1, 2, 3)
    }
    changed = {tier: pair for tier, pair in pairs.items() if pair[0] != pair[1]}
    if len(changed) == 3 and len({(tuple(a), tuple(b)) for a, b in changed.values()}) == 1:
        changed = {0: changed[1]}  # the same change for every tier
    for tier, (before, after) in changed.items():
        merge.step(
            merge.applied,
            "runbooks",
            "every tier" if tier == 0 else f"tier {tier}",
            "update",
            before=", ".join(before) or "(none)",
            after=", ".join(after) or "(none)",
        )


def _label(playbook: Playbook, digest: str) -> str:
    return f"{playbook.name} v{playbook.version} ({digest[:12]})"


def upgrade(
    session: Session,
    engagement: EngagementRef,
    *,
    to: str | None = None,
    dry_run: bool = False,
) -> UpgradeView:
    """Merge a newer version of the engagement's playbook into it (``to``: a playbook's
    name or a YAML file; default: the newest version of its playbook by name). A version
    that is not newer, or a different playbook, is refused; an invalid file changes
    nothing and reports every error. ``dry_run``: the same work, then nothing written."""
    from transition.services import plan as plan_rules
    from transition.services.playbook_versions import latest

    eng = engagement_of(session, engagement)
    base = from_json(eng.playbook_json)
    with about("to"):
        if to is None or not to.strip():
            found = latest().get(eng.playbook_name)
            if found is None or found.version <= base.version:
                raise Refused(
                    f"{eng.slug} follows {base.name} v{base.version}, the newest version among "
                    "the shipped playbooks and yours (TRANSITION_PLAYBOOKS): nothing to "
                    "upgrade to (give a file with --to)",
                    field="to",
                )
            target = str(found.path)
        else:
            target = to.strip()
        theirs, raw, _ = resolve_playbook(target)
    if theirs.name != base.name:
        raise Refused(
            f"playbook {theirs.name!r} is not a version of {base.name!r}, which "
            f"{eng.slug} follows: an engagement upgrades to a newer version of its own playbook",
            field="to",
        )
    if theirs.version <= base.version:
        which = "the same version" if theirs.version == base.version else "an older version"
        raise Refused(
            f"{eng.slug} follows {base.name} v{base.version}; v{theirs.version} is {which}: "
            "only a newer version can be applied (no downgrade)",
            field="to",
        )
    digest = content_hash(raw)
    if not dry_run:  # another upgrade (or task added) at the same time: read once it committed
        take_turn(session)
    merge = Merge(session, eng, base, theirs)
    phases = merge.merge_phases()
    merge.merge_tasks(phases)
    moves = _number(merge)
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise Conflict(
            "a phase or task was changed by someone else during the upgrade; nothing was "
            "saved, reload and try again"
        ) from None
    _place(merge, moves)
    _dependencies(session, merge)
    old_label = _label(base, eng.playbook_hash)
    new_json = theirs.model_dump_json()
    engagement_changes = [
        audit.Change("engagement", eng.id, ACTION, "playbook", old_label, _label(theirs, digest)),
        audit.Change(
            "engagement", eng.id, ACTION, "playbook_version", base.version, theirs.version
        ),
        audit.Change("engagement", eng.id, ACTION, "playbook_hash", eng.playbook_hash, digest),
        audit.Change("engagement", eng.id, ACTION, "playbook_json", eng.playbook_json, new_json),
    ]
    eng.playbook_version, eng.playbook_hash, eng.playbook_json = theirs.version, digest, new_json
    session.add(eng)
    _runbook_steps(merge, base, theirs)
    if theirs.handover != base.handover:
        merge.step(
            merge.to_decide,
            "handover",
            "checklist",
            "keep",
            before=base.handover,
            after=theirs.handover,
            note="the exit checklist is not changed by a playbook upgrade: apply it with "
            "`handover upgrade`",
        )
    changes = [*engagement_changes, *_creations(merge), *merge.changes]
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise Conflict(
            f"engagement {eng.slug} was changed by someone else during the upgrade; nothing "
            "was saved, reload and try again"
        ) from None
    events = audit.record_many(session, eng.id, changes)
    if merge.relay_from is not None:
        start = merge.order[merge.relay_from].planned_start
        moved = plan_rules.relay(session, eng, merge.relay_from, start, action=ACTION)
        moved = plan_rules._with_grants(session, eng, moved)
        for phase in moved.phases:
            merge.step(
                merge.applied,
                "phase",
                phase.key,
                "replan",
                before=f"{phase.old_start}..{phase.old_end}",
                after=f"{phase.new_start}..{phase.new_end}",
                note=f"{phase.tasks_moved} open task(s) moved with it" if phase.tasks_moved else "",
            )
        events += 2 * len(moved.phases) + moved.tasks_moved
    view = UpgradeView(
        engagement=eng.slug,
        playbook=theirs.name,
        from_version=base.version,
        to_version=theirs.version,
        dry_run=dry_run,
        applied=merge.applied,
        conflicts=merge.conflicts,
        to_decide=merge.to_decide,
        events=events,
    )
    if dry_run:
        session.rollback()
    return view


def _shown(value: str | None) -> str:
    return "(none)" if value is None or value == "" else value


def _step(s: UpgradeStep) -> str:
    subject = f"{s.what} {s.key}" + (f" {s.field}" if s.field else "")
    if s.before is not None or s.after is not None:
        if s.action == "add":
            subject += f": {s.after}"
        elif s.action == "retire":
            subject += f": {s.before}"
        else:
            subject += f": {_shown(s.before)} → {_shown(s.after)}"
    return f"{s.action} {subject}" + (f" ({s.note})" if s.note else "")


def describe(view: UpgradeView) -> list[str]:
    """The upgrade as lines of text (the CLI prints them, the TUI shows them)."""
    verb = "would upgrade" if view.dry_run else "upgraded"
    lines = [f"{verb} {view.engagement}: {view.playbook} v{view.from_version} → v{view.to_version}"]
    for title, steps in (
        ("changes", view.applied),
        ("conflicts (the engagement's value stays)", view.conflicts),
        ("to decide", view.to_decide),
    ):
        if steps:
            lines.append(f"{title}:")
            lines += [f"  {_step(s)}" for s in steps]
    lines.append("nothing written (dry run)" if view.dry_run else f"{view.events} audit events")
    return lines


__all__ = ["describe", "upgrade"]
