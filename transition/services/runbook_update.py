"""Improved templates reach written runbooks: re-render, then merge three-way.

Each runbook records the skeleton it was last rendered with (``Runbook.skeleton``), the
template's version and content hash, and the answers it was rendered with
(``runbook_templates.ANSWERED`` database values and ``--set`` values). ``update`` renders
the template as it is now with those answers (``--set`` may add or change some) and merges
three-way with ``merge3``: base = the recorded skeleton (the old template rendered with
the old answers), theirs = the new rendering, ours = the file on disk. Lines only one side
changed are taken from that side; where both changed the same lines differently, both are
written between markers naming the sides (``<<<<<<< your edits`` … ``=======`` …
``>>>>>>> template NAME vN``) and counted in ``Runbook.conflicts``.

The same plan serves the dry run and the real one, so a preview says exactly what the run
then does. A runbook whose text changes and is past *reviewed* goes back to *reviewed*,
with the reason in the audit log. Rows from before skeletons were recorded cannot be
merged (there is no base): they are refused with the way to regenerate them. An update
cannot be undone (the file was rewritten): ``undo`` refuses it by name.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from transition import errors
from transition.dates import today
from transition.errors import BadInput, NotFound, Refused
from transition.models import Engagement, Runbook, System
from transition.services import audit, handover
from transition.services import runbook_files as files
from transition.services.common import (
    EngagementRef,
    apply_changes,
    engagement_of,
    row_id_of,
)
from transition.services.runbook_templates import (
    ANSWERED,
    BUILTIN,
    HINTS,
    check_sets,
    context,
    decode_answers,
    encode_answers,
    parse_sets,
)
from transition.services.views.runbooks import RunbookUpdated, RunbookUpdates

ENTITY = "runbook"
#: The audit action of every event an update writes (``undo`` refuses it by name).
ACTION = "template-update"
OURS = "your edits"
#: Statuses an update that changes the text sends back to ``REVIEWED``.
PAST_REVIEW = ("validated", "accepted")
REVIEWED = "reviewed"


def describe(row: RunbookUpdated) -> str:
    """One line per runbook: what merging its template does (or would do)."""
    head = f"{row.system} / {row.template}"
    if row.outcome == "skipped":
        return f"{head}: skipped: {row.reason}"
    if row.outcome == "unchanged":
        return f"{head}: unchanged (v{row.to_version}), runbook #{row.id}"
    text = f"{head}: v{row.from_version or '?'} → v{row.to_version}: "
    if row.outcome == "conflicts":
        lines = ", ".join(map(str, row.conflict_lines))
        text += f"{row.conflicts} conflict(s) at line(s) {lines}"
    else:
        text += f"clean merge (+{row.added} −{row.removed} lines)"
    if row.status != row.status_before:
        text += f"; {row.status_before} → {row.status}"
    text += f", runbook #{row.id}"
    return text + (f" in {row.path}" if row.outcome == "conflicts" else "")


def theirs_label(name: str, version: int) -> str:
    return f"template {name} v{version}"


class _Matcher(difflib.SequenceMatcher):
    """``difflib``'s line matching, with every added or removed block slid down as far as
    it goes (as git's diff does): a section added after a blank line is then added after
    that blank line, not before it, so it does not touch the lines just above it, which
    people have often filled in (a three-way merge calls touching changes a conflict)."""

    def __init__(self, isjunk: Any, a: Sequence[str], b: Sequence[str]) -> None:
        super().__init__(isjunk, a, b, autojunk=False)

    def get_matching_blocks(self) -> list[difflib.Match]:  # type: ignore[override]
        a, b = self.a, self.b
        blocks = [[i, j, n] for i, j, n in super().get_matching_blocks() if n]
        out: list[list[int]] = []
        for block in blocks:
            if out:
                prev = out[-1]
                pi, pj, pn = prev
                gap_a, gap_b = block[0] - (pi + pn), block[1] - (pj + pn)
                # a pure addition (gap only in b) or removal (only in a): slide it down
                while block[2] and (gap_a == 0) != (gap_b == 0):
                    first = b[pj + pn] if gap_a == 0 else a[pi + pn]
                    if first != (b[block[1]] if gap_a == 0 else a[block[0]]):
                        break
                    prev[2] += 1
                    pn += 1
                    block[0], block[1], block[2] = block[0] + 1, block[1] + 1, block[2] - 1
                if not block[2]:
                    continue
                if block[0] == pi + pn and block[1] == pj + pn:
                    prev[2] += block[2]
                    continue
            out.append(block)
        return [difflib.Match(i, j, n) for i, j, n in out] + [difflib.Match(len(a), len(b), 0)]


BOM = "\ufeff"


def merge(base: str, ours: str, theirs: str, label: str) -> tuple[str, int, list[int]]:
    """Three-way merge of runbook texts: ``(merged text, conflict regions, the line
    numbers of their ``<<<<<<<`` markers)``.

    The file on disk keeps its own conventions: one saved by an editor (or checked out by
    git) with Windows line endings or a byte-order mark is merged line by line like any
    other (a line differs by its text, not by its ending) and written back with them."""
    import merge3  # only when merging: `runbook list` stays light

    bom = ours.startswith(BOM)
    ours = ours.removeprefix(BOM)
    crlf = "\r\n" in ours and ours.count("\r\n") * 2 >= ours.count("\n")

    def lines(text: str) -> list[str]:
        text = text.replace("\r\n", "\n")
        return (text if not text or text.endswith("\n") else text + "\n").splitlines(True)

    m = merge3.Merge3(lines(base), lines(ours), lines(theirs), sequence_matcher=_Matcher)
    regions = list(m.merge_regions())
    m.merge_regions = lambda: iter(regions)  # type: ignore[method-assign]  # worked out once
    out = list(m.merge_lines(name_a=OURS, name_b=label))
    count = sum(1 for region in regions if region[0] == "conflict")
    start = f"{files.CONFLICT_START} {OURS}"
    marks = [n for n, line in enumerate(out, 1) if line.rstrip("\r\n") == start]
    text = "".join(out)
    if crlf:
        text = text.replace("\n", "\r\n")
    return (BOM if bom else "") + text, count, marks


def line_changes(old: str, new: str) -> tuple[int, int]:
    """``(lines added, lines removed)`` from ``old`` to ``new``."""
    added = removed = 0
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed


@dataclass
class Plan:
    """What updating one runbook does: its view, and what to write."""

    view: RunbookUpdated
    row: Runbook | None = None
    merged: str | None = None
    write_file: bool = False
    fields: dict[str, Any] | None = None
    skeleton: str | None = None


class Skip(Exception):
    """A runbook that cannot be updated, and why (refused when named, skipped in --all).
    ``error``: the refusal when named (an unknown template is an unknown name, exit 2)."""

    def __init__(self, message: str, error: type[errors.TransitionError] = Refused) -> None:
        super().__init__(message)
        self.error = error


def _view(row: Runbook, system: System, **values: Any) -> RunbookUpdated:
    base = {
        "id": row.id,
        "system": system.name,
        "template": row.template,
        "path": row.path,
        "from_version": row.template_version,
        "to_version": row.template_version,
        "outcome": "unchanged",
        "added": 0,
        "removed": 0,
        "conflicts": row.conflicts or 0,
        "conflict_lines": [],
        "status_before": row.status,
        "status": row.status,
        "reason": None,
    }
    return RunbookUpdated(**{**base, **values})


def plan_one(
    session: Session,
    engagement: Engagement,
    row: Runbook,
    system: System,
    info: Any,
    dirs: tuple[tuple[Path, str], ...],
    sets: Mapping[str, str],
    checked: set | None = None,
) -> Plan:
    """Work out the update of ``row`` to template ``info`` (nothing written); ``Skip``
    when it cannot be updated. ``sets``: the ``--set`` values meant for this template;
    ``checked``: templates whose variables were already checked in this run."""
    from transition import templates

    checked = set() if checked is None else checked
    eng, label = engagement.slug, f"runbook #{row.id} ({row.template} for {system.name})"
    if row.skeleton is None:
        raise Skip(
            f"{label} was generated before skeletons were recorded, so there is nothing to "
            "merge against: regenerate it with `transition runbook new "
            f"{eng} --system {system.slug} --template {row.template} --force "
            "--discard-edits` (your file is kept as NAME.md.orig) and copy your text back"
        )
    if row.template_version is not None and info.version < row.template_version:
        raise Skip(
            f"{label} follows {row.template} v{row.template_version}; the template found "
            f"is v{info.version} ({info.path}): a runbook never goes back to an older "
            "template (wrong --templates folder?)"
        )
    if row.answers_json is not None:
        with errors.about("answers"):
            answers, old_sets = decode_answers(row.answers_json)
    else:  # recorded before answers were: the database's values today
        fresh = context(session, engagement, system)
        answers, old_sets = {k: fresh[k] for k in ANSWERED}, {}
    new_sets = {**old_sets, **sets}
    if row.template_hash == info.hash and new_sets == old_sets and row.answers_json is not None:
        return Plan(_view(row, system, to_version=info.version))

    path = Path(row.path)
    base_dir = path.parent.parent
    try:
        files.inside(base_dir, path)
        data = files.read_existing(path)
    except BadInput as exc:
        raise Skip(f"{label}: {exc.message}") from None
    if data is None:
        raise Skip(f"{label}: its file {path} is missing (moved or deleted)")
    try:
        ours = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Skip(f"{label}: {path} is not UTF-8 text") from None
    left = files.count_conflicts(ours)
    if left:
        raise Skip(
            f"{label}: {path} still has {left} unresolved conflict(s) from the last update: "
            "resolve them first (keep what is right between the <<<<<<< and >>>>>>> lines, "
            "then remove the marker lines)"
        )

    values: dict[str, object] = {
        **answers,
        "generated_on": today().isoformat(),
        "template": templates.Record(name=info.name, title=info.title),
        **new_sets,
    }
    with errors.about("sets"):
        check_sets(sets, info, dirs)
    with errors.about("template"):
        theirs = templates.render(
            info, values, dirs, hints=HINTS, provided=BUILTIN, declared=info.path in checked
        )
    checked.add(info.path)
    merged, conflicts, marks = merge(
        row.skeleton, ours, theirs, theirs_label(info.name, info.version)
    )
    added, removed = line_changes(ours, merged)
    changed = merged != ours
    status = REVIEWED if changed and row.status in PAST_REVIEW else row.status
    view = _view(
        row,
        system,
        to_version=info.version,
        outcome="unchanged" if not changed else ("conflicts" if conflicts else "merged"),
        added=added,
        removed=removed,
        conflicts=conflicts,
        conflict_lines=marks,
        status=status,
    )
    fields = {
        "template_version": info.version,
        "template_hash": info.hash,
        "answers_json": encode_answers(values, new_sets),
        "skeleton_placeholders": templates.count_placeholders(theirs),
        "conflicts": conflicts,
        "status": status,
    }
    return Plan(view, row, merged, changed, fields, theirs)


def apply_plan(session: Session, engagement: Engagement, plan: Plan) -> bool:
    """Record (and write) one planned update; whether the row changed."""
    row, view = plan.row, plan.view
    if row is None or plan.fields is None:
        return False
    changed = apply_changes(session, row, engagement.id, ENTITY, plan.fields, action=ACTION)
    if view.status != view.status_before:
        why = (
            f"template {row.template} v{view.from_version or '?'} → v{view.to_version} "
            f"changed the text ({view.outcome}): back to {view.status} for review"
        )
        audit.record(session, engagement.id, ENTITY, row.id, ACTION, "reason", None, why)
    if row.skeleton != plan.skeleton:
        row.skeleton = plan.skeleton  # the text itself is not audited: the events are
        session.add(row)
    return bool(changed)


def write_plan(plan: Plan) -> None:
    """Write the merged file of a planned update (atomically, shared like runbooks)."""
    if plan.row is not None and plan.write_file and plan.merged is not None:
        path = Path(plan.row.path)
        files.write(path.parent.parent, path, plan.merged, force=True)


def _selected(
    session: Session, engagement: Engagement, ids: Sequence[int | str], every: bool
) -> list[tuple[Runbook, System]]:
    if every and ids:
        raise BadInput("name runbook ids or give --all, not both", field="ids")
    if not every and not ids:
        raise BadInput("name the runbooks to update (ids) or give --all", field="ids")
    wanted = [row_id_of(i, "runbook", engagement) for i in ids]
    stmt = (
        select(Runbook, System)
        .join(System, System.id == Runbook.system_id)
        .where(Runbook.engagement_id == engagement.id, System.removed_at.is_(None))
        .order_by(System.tier, System.slug, Runbook.template, Runbook.id)
    )
    if wanted:
        stmt = stmt.where(Runbook.id.in_(wanted))
    rows = [(r, s) for r, s in session.exec(stmt).all()]
    found = {r.id for r, _ in rows}
    unknown = [str(i) for i in dict.fromkeys(wanted) if i not in found]
    if unknown:
        raise NotFound(f"unknown runbook {', '.join(unknown)} in {engagement.slug}", field="ids")
    if wanted:
        order = {i: n for n, i in enumerate(dict.fromkeys(wanted))}
        rows.sort(key=lambda pair: order[pair[0].id])
    return rows


def update(
    session: Session,
    engagement: EngagementRef,
    ids: Sequence[int | str] = (),
    *,
    every: bool = False,
    sets: Mapping[str, str] | Iterable[str] = (),
    dry_run: bool = False,
    template_dirs: Iterable[str | Path] = (),
) -> RunbookUpdates:
    """Merge each runbook's template as it is now into its file (``ids``, or ``every``
    runbook of the engagement). ``sets``: answers to add or change, each given to every
    selected runbook whose template reads it (one that none reads is refused). A runbook
    named by id that cannot be updated is refused (nothing written); with ``every`` it is
    reported as skipped. ``dry_run`` works out the same plan and writes nothing."""
    from transition import templates

    engagement = engagement_of(session, engagement)
    sets = dict(sets) if isinstance(sets, Mapping) else parse_sets(sets)
    clash = sorted(k for k in sets if k in BUILTIN)
    if clash:
        raise BadInput(
            f"--set {', '.join(clash)}: filled from the database, cannot be set by hand",
            field="sets",
        )
    pairs = _selected(session, engagement, ids, every)
    with errors.about("template_dirs"):
        dirs = templates.search_dirs(template_dirs)
    infos: dict[str, Any] = {}
    checked: set = set()
    plans: list[Plan] = []
    used: set[str] = set()
    for row, system in pairs:
        try:
            if row.template not in infos:
                try:
                    infos[row.template] = templates.get(row.template, dirs=dirs)
                except NotFound as exc:
                    infos[row.template] = exc
            info = infos[row.template]
            if isinstance(info, NotFound):
                raise Skip(f"runbook #{row.id}: {info.message}", NotFound)
            known = set(info.variables) | templates.referenced_variables(info, dirs)
            mine = {k: v for k, v in sets.items() if k in known}
            used.update(mine)
            plans.append(plan_one(session, engagement, row, system, info, dirs, mine, checked))
        except Skip as exc:
            if not every:
                raise exc.error(str(exc)) from None
            plans.append(Plan(_view(row, system, outcome="skipped", reason=str(exc))))
    unused = sorted(set(sets) - used)
    if unused and pairs:
        raise BadInput(
            f"--set {', '.join(unused)}: no template of the runbooks updated reads "
            f"{'this variable' if len(unused) == 1 else 'these variables'}",
            field="sets",
        )
    if not dry_run:
        touched = [p.row.id for p in plans if apply_plan(session, engagement, p) and p.row]
        if touched:
            handover.reconcile(session, engagement, runbooks=touched)
        session.flush()  # every row first: a refusal there leaves every file as it was
        files.write_many(
            [
                (Path(p.row.path).parent.parent, Path(p.row.path), p.merged)
                for p in plans
                if p.row is not None and p.write_file and p.merged is not None
            ]
        )
    return RunbookUpdates(dry_run=dry_run, runbooks=[p.view for p in plans])
