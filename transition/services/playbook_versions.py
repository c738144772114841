"""Which playbook versions exist, and what changed between two of them.

The index (``transition.playbook_index``) reads the ``name`` and ``version`` of every
playbook file, so lists and the dashboard can mark an engagement whose playbook has a
newer version without a query. ``engagement outdated`` then loads the newer file in full
and lists what changed.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from transition.errors import TransitionError
from transition.models import Engagement
from transition.playbook_index import Available, latest
from transition.playbooks import Playbook, from_json, load_playbook
from transition.services.views.playbooks import OutdatedEngagement, PlaybookDiffLine


def newer_version(index: dict[str, Available], name: str, version: int) -> int | None:
    """The newer version of playbook ``name`` than ``version`` in ``index``, if any."""
    found = index.get(name)
    return found.version if found is not None and found.version > version else None


def _gate(phase) -> str:
    return ", ".join(c.label() for c in phase.gate) or "(none)"


def _kpi(spec) -> str:
    unit = f" {spec.unit}" if spec.unit else ""
    sign = "≥" if spec.better == "higher" else "≤"
    return f"{spec.title} (target {sign} {spec.target:g}{unit})"


def _meeting(spec) -> str:
    return f"{spec.title} ({spec.every}, {spec.start} to {spec.until}, {spec.minutes} min)"


def _keyed(before, after, what: str, shown) -> list[PlaybookDiffLine]:
    """Added, removed and changed items of a list keyed by ``key`` (KPIs, cadence)."""
    old = {item.key: item for item in before}
    new = {item.key: item for item in after}
    out = [
        PlaybookDiffLine(what=what, key=key, change="added", after=shown(item))
        for key, item in new.items()
        if key not in old
    ]
    out += [
        PlaybookDiffLine(
            what=what, key=key, change="changed", before=shown(old[key]), after=shown(item)
        )
        for key, item in new.items()
        if key in old and old[key] != item
    ]
    out += [
        PlaybookDiffLine(what=what, key=key, change="removed", before=shown(item))
        for key, item in old.items()
        if key not in new
    ]
    return out


def diff(base: Playbook, theirs: Playbook) -> list[PlaybookDiffLine]:
    """What changed from ``base`` to ``theirs``: phases, tasks (followed through
    ``replaces``), gates, durations, the runbooks required per tier, the scorecard's KPIs
    and the governance cadence."""
    out: list[PlaybookDiffLine] = []
    line = PlaybookDiffLine
    base_phases = {p.key: p for p in base.phases}
    their_phases = {p.key: p for p in theirs.phases}
    for phase in theirs.phases:
        old = base_phases.get(phase.key)
        if old is None:
            out.append(line(what="phase", key=phase.key, change="added", after=phase.title))
            continue
        if old.title != phase.title:
            out.append(
                line(
                    what="phase",
                    key=phase.key,
                    change="changed",
                    field="title",
                    before=old.title,
                    after=phase.title,
                )
            )
        if old.duration != phase.duration:
            out.append(
                line(
                    what="duration",
                    key=phase.key,
                    change="changed",
                    before=old.duration,
                    after=phase.duration,
                )
            )
        if old.gate != phase.gate:
            out.append(
                line(
                    what="gate",
                    key=phase.key,
                    change="changed",
                    before=_gate(old),
                    after=_gate(phase),
                )
            )
    for phase in base.phases:
        if phase.key not in their_phases:
            out.append(line(what="phase", key=phase.key, change="removed", before=phase.title))
    base_tasks = {t.key: (p, t) for p, t in base.tasks()}
    followed: set[str] = set()
    for phase, task in theirs.tasks():
        key = task.key
        if key not in base_tasks and task.replaces in base_tasks:
            out.append(
                line(what="task", key=key, change="renamed", before=task.replaces, after=key)
            )
            key = task.replaces
        if key not in base_tasks:
            out.append(line(what="task", key=task.key, change="added", after=task.title))
            continue
        followed.add(key)
        old_phase, old = base_tasks[key]
        for field, before, after in (
            ("phase", old_phase.key, phase.key),
            ("title", old.title, task.title),
            ("description", old.description.strip(), task.description.strip()),
            ("owner", old.owner, task.owner),
            ("due", old.due, task.due),
            ("depends_on", ", ".join(old.depends_on), ", ".join(task.depends_on)),
        ):
            if before != after:
                out.append(
                    line(
                        what="task",
                        key=task.key,
                        change="changed",
                        field=field,
                        before=before,
                        after=after,
                    )
                )
    for key, (_, task) in base_tasks.items():
        if key not in followed and key not in {t.key for _, t in theirs.tasks()}:
            out.append(line(what="task", key=key, change="removed", before=task.title))
    for tier in (1, 2, 3):
        before, after = base.required_runbooks(tier), theirs.required_runbooks(tier)
        if before != after:
            out.append(
                line(
                    what="runbooks",
                    key=f"tier {tier}",
                    change="changed",
                    before=", ".join(before) or "(none)",
                    after=", ".join(after) or "(none)",
                )
            )
    out += _keyed(base.scorecard, theirs.scorecard, "kpi", _kpi)
    out += _keyed(base.cadence, theirs.cadence, "meeting", _meeting)
    if base.handover != theirs.handover:
        out.append(
            line(
                what="handover",
                key="checklist",
                change="changed",
                before=base.handover,
                after=theirs.handover,
            )
        )
    return out


def outdated(session: Session) -> list[OutdatedEngagement]:
    """Every engagement in use whose playbook has a newer version among the user's and the
    shipped playbooks, with what changed (one query; each newer file read once)."""
    index = latest()
    rows = session.execute(
        select(Engagement).where(Engagement.archived_at.is_(None)).order_by(Engagement.slug)
    ).scalars()
    loaded: dict[Path, Playbook | list[str]] = {}
    out: list[OutdatedEngagement] = []
    for eng in rows:
        newer = newer_version(index, eng.playbook_name, eng.playbook_version)
        if newer is None:
            continue
        found = index[eng.playbook_name]
        if found.path not in loaded:
            try:
                loaded[found.path] = load_playbook(found.path)
            except TransitionError as exc:  # an invalid newer file: listed with its errors
                loaded[found.path] = exc.lines()
            except Exception as exc:  # noqa: BLE001 - unreadable: listed, never a traceback
                loaded[found.path] = [f"{found.path}: {exc}"]
        theirs = loaded[found.path]
        invalid = theirs if isinstance(theirs, list) else []
        changes = [] if invalid else diff(from_json(eng.playbook_json), theirs)
        out.append(
            OutdatedEngagement(
                engagement=eng.slug,
                playbook=eng.playbook_name,
                version=eng.playbook_version,
                latest_version=newer,
                latest_path=str(found.path),
                changes=changes,
                errors=invalid,
            )
        )
    return out
