"""The three-way merge of ``engagement upgrade`` (``playbook_upgrade``): phases and tasks
of the engagement (ours) against the playbook it follows (base) and the newer one
(theirs). Changes are made on the loaded rows and collected as audit changes; the caller
writes them in its transaction."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from transition.dates import utcnow
from transition.models import AuditEvent, Phase, Task, TaskDependency, TaskNote
from transition.playbooks import PhaseSpec, Playbook, TaskSpec
from transition.services import audit
from transition.services.views.playbooks import UpgradeStep
from transition.workdays import Calendar

ACTION = "upgrade"
CLOSED = ("done", "skipped")


def _gate_json(spec: PhaseSpec) -> str:
    return "[" + ",".join(c.model_dump_json() for c in spec.gate) + "]"


def _shown_gate(gate_json: str) -> str:
    """A stored gate as its criteria read (``tasks_done, kt_coverage (shadow)``)."""
    import json

    from transition.playbooks import Criterion

    try:
        return ", ".join(Criterion(**c).label() for c in json.loads(gate_json)) or "(none)"
    except Exception:  # a gate stored before criteria had their options
        return gate_json


def _deps(keys: Any) -> str:
    return ", ".join(sorted(keys))


class Merge:
    """The merge's state: rows loaded once, changes collected, then written together."""

    def __init__(self, session: Session, engagement: Any, base: Playbook, theirs: Playbook):
        self.session, self.eng, self.base, self.theirs = session, engagement, base, theirs
        self.calendar = Calendar.of(engagement)
        self.changes: list[audit.Change] = []
        self.applied: list[UpgradeStep] = []
        self.conflicts: list[UpgradeStep] = []
        self.to_decide: list[UpgradeStep] = []
        eid = engagement.id
        self.phases: list[Phase] = list(
            session.execute(
                select(Phase).where(Phase.engagement_id == eid).order_by(Phase.position)
            ).scalars()
        )
        self.tasks: dict[str, Task] = {
            t.key: t
            for t in session.execute(
                select(Task).where(Task.engagement_id == eid).order_by(Task.position, Task.id)
            ).scalars()
        }
        by_id = {t.id: t.key for t in self.tasks.values()}
        self.deps: dict[int, set[str]] = defaultdict(set)
        for task_id, dep_id in session.execute(
            select(TaskDependency.task_id, TaskDependency.depends_on_id)
            .join(Task, Task.id == TaskDependency.task_id)
            .where(Task.engagement_id == eid)
        ):
            self.deps[task_id].add(by_id.get(dep_id, "?"))
        self.noted = set(
            session.execute(select(TaskNote.task_id).where(TaskNote.engagement_id == eid)).scalars()
        )
        self.started = set(
            session.execute(
                select(AuditEvent.entity_id).where(
                    AuditEvent.engagement_id == eid,
                    AuditEvent.entity == "task",
                    AuditEvent.field == "status",
                    AuditEvent.action != "create",
                )
            ).scalars()
        )
        self.base_tasks = {t.key: (p, t) for p, t in base.tasks()}
        self.renames: dict[str, str] = {}  # base key → theirs key
        self.reorder: set[int] = set()  # phase ids whose tasks are numbered again
        self.held: dict[int, int] = {}  # task id → its place before it moved phase
        self._aside = 0
        self.relay_from: int | None = None
        self.created_phases: list[Phase] = []
        self.created_tasks: list[tuple[Task, Phase, TaskSpec]] = []
        self.new_deps: list[tuple[Task, tuple[str, ...]]] = []
        self.phase_keys = {p.id: p.key for p in self.phases}
        self.order: list[Phase] = []

    # Recording ---------------------------------------------------------------------

    def step(self, into: list[UpgradeStep], what: str, key: str, action: str, **more: Any) -> None:
        into.append(UpgradeStep(what=what, key=key, action=action, **more))

    def set(
        self, entity: str, row: Any, label: str, field: str, value: Any, column: str = ""
    ) -> None:
        column = column or field
        before = getattr(row, column)
        self.changes.append(audit.Change(entity, row.id, ACTION, field, before, value))
        setattr(row, column, value)
        self.session.add(row)

    def aside(self) -> int:
        """A place below every real one, a new one each time: a task added or moved is
        kept out of the others' way there until its phase is numbered again (a place is
        unique in its phase, ``uq_task_phase_position``)."""
        self._aside -= 1
        return self._aside

    def three_way(
        self,
        entity: str,
        row: Any,
        label: str,
        field: str,
        base: Any,
        theirs: Any,
        ours: Any,
        apply,
    ) -> bool:
        """Take theirs where ours is still base; a conflict where both changed."""
        if theirs in (base, ours):
            return False
        show = _shown_gate if field == "gate_json" else str
        shown = (None if base is None else show(base), show(ours), show(theirs))
        shown_field = None if entity == "gate" else field
        if ours != base:
            self.step(
                self.conflicts,
                entity,
                label,
                "conflict",
                field=shown_field,
                before=shown[1],
                after=shown[2],
                note=f"the playbook had {shown[0]!r}",
            )
            return False
        apply()
        self.step(
            self.applied,
            entity,
            label,
            "update",
            field=shown_field,
            before=shown[1],
            after=shown[2],
        )
        return True

    # Phases ------------------------------------------------------------------------

    def merge_phases(self) -> dict[str, Phase]:
        ours = {p.key: p for p in self.phases}
        base = {p.key: p for p in self.base.phases}
        order: list[Phase] = []
        for index, spec in enumerate(self.theirs.phases):
            row = ours.get(spec.key)
            if row is None:
                row = self.add_phase(index, spec, ours)
                ours[spec.key] = row
            else:
                self.merge_phase(row, base.get(spec.key), spec)
            order.append(row)
        for row in self.phases:  # phases no longer in the playbook stay after their neighbour
            if row.key not in {p.key for p in self.theirs.phases}:
                at = self.phases.index(row)
                prev = self.phases[at - 1] if at else None
                order.insert(order.index(prev) + 1 if prev in order else 0, row)
                self.step(
                    self.to_decide,
                    "phase",
                    row.key,
                    "keep",
                    note="no longer in the playbook: kept with its tasks",
                )
        for position, row in enumerate(order):
            if row.position != position:
                if row in self.created_phases:
                    row.position = position
                else:
                    self.set("phase", row, row.key, "position", position)
        self._lay_created(order)
        self.order = order
        return ours

    def _lay_created(self, order: list[Phase]) -> None:
        """An added phase starts where the phase before it in the final order ends: a phase
        kept although the playbook dropped it (a renamed phase) sits between, so the new
        one does not overlap it, and its baseline is where it was first laid, not a slip."""
        from transition.services.plan import phase_end

        durations = {p.key: p.duration for p in self.theirs.phases}
        for at, row in enumerate(order):
            if not at or row not in self.created_phases or row.status == "done":
                continue
            start = order[at - 1].planned_end
            if start is None or start == row.planned_start:
                continue
            row.planned_start = start
            row.planned_end = phase_end(self.calendar, start, durations[row.key])
            row.baseline_start, row.baseline_end = row.planned_start, row.planned_end

    def add_phase(self, index: int, spec: PhaseSpec, ours: dict[str, Phase]) -> Phase:
        from transition.services.plan import phase_end

        later = [ours[p.key] for p in self.theirs.phases[index + 1 :] if p.key in ours]
        left = any(p.status in ("active", "done") for p in later)
        earlier = [ours[p.key] for p in self.theirs.phases[:index] if p.key in ours]
        start = (
            earlier[-1].planned_end
            if earlier
            else (later[0].planned_start if later else self.eng.start_date)
        )
        end = phase_end(self.calendar, start, spec.duration)
        row = Phase(
            engagement_id=self.eng.id,
            position=index,
            key=spec.key,
            title=spec.title,
            status="done" if left else "pending",
            planned_start=start,
            planned_end=end,
            baseline_start=start,
            baseline_end=end,
            gate_json=_gate_json(spec),
        )
        self.session.add(row)
        self.session.flush()
        self.created_phases.append(row)
        note = "added after the current phase"
        if left:
            note = "added among the phases already left (marked done, its gate not judged)"
        elif self.relay_from is None or index < self.relay_from:
            self.relay_from = index
        self.step(self.applied, "phase", spec.key, "add", after=spec.title, note=note)
        return row

    def merge_phase(self, row: Phase, base: PhaseSpec | None, spec: PhaseSpec) -> None:
        from transition.services.plan import phase_end

        def title() -> None:
            self.set("phase", row, row.key, "title", spec.title)

        self.three_way(
            "phase",
            row,
            row.key,
            "title",
            base.title if base else row.title,
            spec.title,
            row.title,
            title,
        )
        gate = _gate_json(spec)
        if row.status == "done":
            if gate != row.gate_json:
                self.step(
                    self.to_decide,
                    "gate",
                    row.key,
                    "keep",
                    before=_shown_gate(row.gate_json),
                    after=_shown_gate(gate),
                    note="phase already passed: its gate is not judged again",
                )
        else:

            def set_gate() -> None:
                self.set("phase", row, row.key, "gate_json", gate)

            self.three_way(
                "gate",
                row,
                row.key,
                "gate_json",
                _gate_json(base) if base else row.gate_json,
                gate,
                row.gate_json,
                set_gate,
            )
        if base is not None and base.duration != spec.duration:
            if row.status == "done":
                self.step(
                    self.to_decide,
                    "duration",
                    row.key,
                    "keep",
                    before=base.duration,
                    after=spec.duration,
                    note="phase already done: its dates stay",
                )
                return
            end = phase_end(self.calendar, row.planned_start, spec.duration)
            if end != row.planned_end:
                self.set("phase", row, row.key, "planned_end", end)
            self.step(
                self.applied,
                "duration",
                row.key,
                "update",
                before=base.duration,
                after=spec.duration,
            )
            if self.relay_from is None or row.position < self.relay_from:
                self.relay_from = row.position

    # Tasks -------------------------------------------------------------------------

    def merge_tasks(self, phases: dict[str, Phase]) -> None:
        theirs_keys = {t.key for _, t in self.theirs.tasks()}
        for phase_spec, spec in self.theirs.tasks():
            row = self.tasks.get(spec.key)
            old = spec.replaces
            if row is None and old and old in self.tasks and old not in theirs_keys:
                row = self.tasks.pop(old)
                self.set("task", row, spec.key, "key", spec.key)
                self.tasks[spec.key] = row
                self.renames[old] = spec.key
                self.step(self.applied, "task", spec.key, "rename", before=old, after=spec.key)
            base = self.base_tasks.get(spec.key) or (self.base_tasks.get(old) if old else None)
            phase = phases[phase_spec.key]
            if row is None:
                self.add_task(phase, spec)
            elif base is None or row.origin != "playbook":
                self.step(
                    self.conflicts,
                    "task",
                    spec.key,
                    "conflict",
                    note="the engagement has its own task with this key: kept, the playbook's not added",
                )
            elif row.removed_at is None:
                self.merge_task(row, base, phase, phase_spec, spec)
        from transition.services import playbook_retire

        gone = [k for k in self.base_tasks if k not in theirs_keys and k not in self.renames]
        playbook_retire.retire_gone(self, gone)
        playbook_retire.describe_kept_phases(self)

    def add_task(self, phase: Phase, spec: TaskSpec) -> None:
        from transition.services.plan import task_due

        due = task_due(self.calendar, phase.planned_start, spec.due)
        row = Task(
            engagement_id=self.eng.id,
            phase_id=phase.id,
            position=self.aside(),  # numbered with its phase at the end
            key=spec.key,
            title=spec.title,
            description=spec.description.strip(),
            owner_role=spec.owner,
            due_date=due,
            due_rule=spec.due,
            origin="playbook",
        )
        self.session.add(row)
        self.created_tasks.append((row, phase, spec))
        self.tasks[spec.key] = row
        self.reorder.add(phase.id)
        left = phase.status == "done"
        self.step(
            self.to_decide if left else self.applied,
            "task",
            spec.key,
            "add",
            after=spec.title,
            note=f"added open to {phase.key}, a phase already left: decide what to do with it"
            if left
            else f"added to phase {phase.key}",
        )

    def merge_task(
        self,
        row: Task,
        base: tuple[PhaseSpec, TaskSpec],
        phase: Phase,
        phase_spec: PhaseSpec,
        spec: TaskSpec,
    ) -> None:
        from transition.services.plan import task_due

        base_phase, old = base
        key = spec.key
        for field, column, before, after in (
            ("title", "title", old.title, spec.title),
            ("description", "description", old.description.strip(), spec.description.strip()),
            ("owner_role", "owner_role", old.owner, spec.owner),
        ):
            self.three_way(
                "task",
                row,
                key,
                field,
                before,
                after,
                getattr(row, column),
                lambda c=column, v=after: self.set("task", row, key, c, v),
            )

        current = self.phase_keys.get(row.phase_id, phase.key)

        def move() -> None:
            self.changes.append(audit.Change("task", row.id, ACTION, "phase", current, phase.key))
            self.held.setdefault(row.id, row.position)
            row.phase_id, row.position = phase.id, self.aside()
            self.session.add(row)
            self.reorder.add(phase.id)
            if row.status not in CLOSED and row.due_rule and phase.planned_start is not None:
                when = task_due(self.calendar, phase.planned_start, row.due_rule)
                if when != row.due_date:  # due from the start of the phase it is now in
                    self.set("task", row, key, "due_date", when)

        self.three_way("task", row, key, "phase", base_phase.key, phase_spec.key, current, move)

        def due() -> None:
            self.set("task", row, key, "due_rule", spec.due)
            if row.status not in CLOSED:
                when = task_due(self.calendar, phase.planned_start, spec.due)
                if when != row.due_date:
                    self.set("task", row, key, "due_date", when)

        self.three_way("task", row, key, "due_rule", old.due, spec.due, row.due_rule, due)
        base_deps = _deps(self.renames.get(d, d) for d in old.depends_on)
        ours = _deps(self.deps.get(row.id, ()))

        def deps() -> None:
            self.changes.append(
                audit.Change(
                    "task",
                    row.id,
                    ACTION,
                    "depends_on",
                    ours or None,
                    _deps(spec.depends_on) or None,
                )
            )
            self.new_deps.append((row, spec.depends_on))

        self.three_way(
            "task", row, key, "depends_on", base_deps, _deps(spec.depends_on), ours, deps
        )

    def untouched(self, row: Task, spec: TaskSpec) -> bool:
        return (
            row.status == "todo"
            and row.id not in self.started
            and row.id not in self.noted
            and row.assignee_id is None
            and not row.note
            and row.title == spec.title
            and row.description == spec.description.strip()
            and row.owner_role == spec.owner
            and row.due_rule == spec.due
        )

    def retire(self, row: Task, spec: TaskSpec, needed_by: list[str] | None = None) -> None:
        if needed_by or not self.untouched(row, spec):
            why = "started" if row.status != "todo" or row.id in self.started else "changed here"
            if needed_by and why == "changed here" and self.untouched(row, spec):
                why = f"open task(s) depend on it ({', '.join(needed_by)})"
            self.step(
                self.to_decide,
                "task",
                row.key,
                "keep",
                note=f"removed from the playbook but {why}: kept; remove or skip it when done with",
            )
            return
        reason = f"removed from playbook v{self.theirs.version}"
        now = utcnow()
        for field, value in (("removed_at", now), ("removed_reason", reason)):
            self.changes.append(audit.Change("task", row.id, "remove", field, None, value))
            setattr(row, field, value)
        self.session.add(row)
        self.step(self.applied, "task", row.key, "retire", before=row.title, note=reason)
