"""Playbooks: YAML files → validated ``Playbook`` objects (errors with file:line:col).

A playbook names phases in order; each phase has a duration (``10d``, ``2w``, or working
days ``10bd``), tasks (due as an offset from the phase's start: ``+5d``, ``2w``, ``+3bd``,
``-2bd``; dependencies by key) and a gate: criteria that must hold before the phase is left.
Offsets are kept as written and counted on the engagement's calendar when it is started.
Shipped playbooks live in ``playbooks/``; ``TRANSITION_PLAYBOOKS`` adds a folder of the
user's own, searched first.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from transition import resources
from transition.errors import BadInput, NotFound, ValidationFailed
from transition.playbook_cadence import CadenceSpec, check_cadence
from transition.playbook_criteria import (  # noqa: F401  (re-exported)
    CRITERIA,
    KT_KINDS,
    NUMBER_OPTIONS,
    SLUG,
    Criterion,
    _criterion,
)
from transition.playbook_scorecard import KPISpec, check_scorecard
from transition.playbook_stored import required_runbooks as stored_runbooks
from transition.workdays import Offset, parse_offset
from transition.yaml_text import Line, Text

#: A name written as a slug (a template, a checklist); a key is one of at most 100.
Slug = Annotated[str, Field(pattern=SLUG)]
Key = Annotated[str, Field(pattern=SLUG, max_length=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: Validation context of a playbook stored with an engagement: it was checked in full when
#: the engagement started, so its offsets are not parsed again on every read.
STORED = {"stored": True}


def _stored(info: ValidationInfo) -> bool:
    return info.context is STORED


def _offset(value: Any, what: str, *, negative: bool) -> str:
    text = str(value).strip()
    try:
        parse_offset(text, what, negative=negative)
    except BadInput as exc:
        raise ValueError(exc.message) from None
    return text


def _duration(value: Any) -> str:
    text = _offset(value, "duration", negative=False)
    if parse_offset(text).days == 0:
        raise ValueError("duration must be at least one day")
    return text


#: An offset from a phase's start such as ``+5d``, ``2w``, ``+3bd`` or ``-2bd`` (checked
#: when read, kept as written).
DueOffset = Annotated[
    str,
    BeforeValidator(
        lambda value, info: value if _stored(info) else _offset(value, "due offset", negative=True)
    ),
]
#: A phase's length (``10d``, ``2w``, ``10bd``), at least one day.
Duration = Annotated[str, BeforeValidator(_duration)]


class TaskSpec(_Strict):
    key: Key
    title: Annotated[str, Field(min_length=1, max_length=300), Line]
    owner: Annotated[str, Field(max_length=100), Line] = ""
    due: DueOffset = "+0d"
    depends_on: tuple[str, ...] = ()
    description: Annotated[str, Text] = ""
    #: The key this task had in an earlier version of the playbook (a renamed task):
    #: ``engagement upgrade`` follows it instead of retiring one task and adding another.
    replaces: Key | None = None

    @property
    def offset(self) -> Offset:
        """``due`` as an offset from the phase's start (calendar or working days)."""
        return parse_offset(self.due, "due offset")


class PhaseSpec(_Strict):
    key: Key
    title: Annotated[str, Field(min_length=1, max_length=200), Line]
    duration: Duration
    tasks: tuple[TaskSpec, ...] = ()
    # Criteria are parsed item by item so that each bad item gets its own line number.
    gate: tuple[Annotated[Criterion, BeforeValidator(_criterion)], ...] = ()

    @field_validator("gate", mode="before")
    @classmethod
    def _gate(cls, value: Any) -> Any:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise ValueError("gate must be a list of criteria")
        return value

    @property
    def span(self) -> Offset:
        """``duration`` as an offset from the phase's start (calendar or working days)."""
        return parse_offset(self.duration, "duration", negative=False)


class Playbook(_Strict):
    name: Key
    title: Annotated[str, Field(min_length=1, max_length=200), Line]
    version: int = 1
    #: ``onboarding`` (the default): a transition in; ``exit``: the exit of a running
    #: engagement, the only kind ``engagement new --exit-of`` starts from.
    kind: Literal["onboarding", "exit"] = "onboarding"
    description: Annotated[str, Text] = ""
    handover: Slug | None = None
    runbooks: tuple[Slug, ...] = ()
    tier_runbooks: dict[int, tuple[Slug, ...]] = {}
    scorecard: tuple[KPISpec, ...] = ()
    phases: Annotated[tuple[PhaseSpec, ...], Field(min_length=1)]
    cadence: tuple[CadenceSpec, ...] = ()

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
            raise ValueError("version must be a positive whole number")
        return value

    @field_validator("tier_runbooks")
    @classmethod
    def _tiers(cls, value: dict[int, Any]) -> dict[int, Any]:
        bad = [t for t in value if t not in (1, 2, 3)]
        if bad:
            raise ValueError(f"tiers are 1, 2 or 3, not {bad[0]}")
        return value

    def tasks(self) -> list[tuple[PhaseSpec, TaskSpec]]:
        return [(phase, task) for phase in self.phases for task in phase.tasks]

    def required_runbooks(self, tier: int) -> list[str]:
        return stored_runbooks(tuple(self.runbooks), self.tier_runbooks, tier)


def _check_playbook(data: dict[str, Any]) -> list[tuple[tuple, str]]:
    """Cross-field rules on the plain YAML data (so they are reported together with the
    per-field errors): unique phase and task keys, known dependencies, no cycles. Values of
    the wrong type are skipped here; the model reports them."""
    problems: list[tuple[tuple, str]] = []
    phases = data.get("phases")
    if not isinstance(phases, list):
        return problems
    seen_phase: set[str] = set()
    where_task: dict[str, tuple] = {}
    listed: list[tuple[tuple, str, list[Any]]] = []  # (task loc, key, depends_on)
    replaced: list[tuple[tuple, str, str]] = []  # (loc, key, the key it replaces)
    for pi, phase in enumerate(phases):
        if not isinstance(phase, dict):
            continue
        key = phase.get("key")
        if isinstance(key, str):
            if key in seen_phase:
                problems.append((("phases", pi, "key"), f"duplicate phase key {key!r}"))
            seen_phase.add(key)
        tasks = phase.get("tasks")
        if not isinstance(tasks, list):
            continue
        for ti, task in enumerate(tasks):
            if not isinstance(task, dict) or not isinstance(task.get("key"), str):
                continue
            loc = ("phases", pi, "tasks", ti)
            tkey = task["key"]
            if tkey in where_task:
                problems.append(((*loc, "key"), f"duplicate task key {tkey!r}"))
                continue
            where_task[tkey] = loc
            old = task.get("replaces")
            if isinstance(old, str):
                replaced.append(((*loc, "replaces"), tkey, old))
            deps = task.get("depends_on")
            listed.append((loc, tkey, deps if isinstance(deps, list) else []))
    followed: set[str] = set()
    for loc, tkey, old in replaced:
        if old == tkey:
            problems.append((loc, f"task {tkey!r} replaces itself"))
        elif old in where_task:
            problems.append(
                (loc, f"task {tkey!r} replaces {old!r}, which is still a task of this playbook")
            )
        elif old in followed:
            problems.append((loc, f"two tasks replace {old!r}"))
        followed.add(old)
    deps_of: dict[str, tuple[str, ...]] = {}
    for loc, tkey, deps in listed:
        for di, dep in enumerate(deps):
            if not isinstance(dep, str):
                continue
            if dep == tkey:
                problems.append(((*loc, "depends_on", di), f"task {tkey!r} depends on itself"))
            elif dep not in where_task:
                problems.append(((*loc, "depends_on", di), f"unknown task key {dep!r}"))
        deps_of[tkey] = tuple(
            d for d in deps if isinstance(d, str) and d in where_task and d != tkey
        )
    for cycle in _cycles(deps_of):
        first = cycle[0]
        problems.append(
            ((*where_task[first], "depends_on"), "dependency cycle: " + " → ".join([*cycle, first]))
        )
    return problems


def _cycles(deps: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """One representative cycle per strongly connected component (iterative DFS)."""
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(deps, white)
    found: list[list[str]] = []
    for root in deps:
        if color[root] != white:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = []
        while stack:
            node, idx = stack.pop()
            if idx == 0:
                color[node] = grey
                path.append(node)
            children = deps.get(node, ())
            if idx < len(children):
                stack.append((node, idx + 1))
                child = children[idx]
                if color[child] == white:
                    stack.append((child, 0))
                elif color[child] == grey:
                    found.append(path[path.index(child) :])
            else:
                color[node] = black
                path.pop()
    return found


def _check_references(data: dict[str, Any]) -> list[tuple[tuple, str]]:
    """Names that must exist elsewhere, or a gate could never be met: ``handover`` names an
    exit checklist (user folders, then shipped, as ``handover import`` finds them);
    ``runbooks`` and ``tier_runbooks`` name runbook templates (``TRANSITION_TEMPLATES``,
    then shipped, as ``runbook new`` finds them)."""
    problems: list[tuple[tuple, str]] = []
    handover = data.get("handover")
    if isinstance(handover, str) and handover:
        from transition.handover_checklists import checklist_files

        known = checklist_files()
        if handover not in known:
            problems.append(
                (
                    ("handover",),
                    f"unknown exit checklist {handover!r} (known: {', '.join(sorted(known)) or 'none'})",
                )
            )
    named: list[tuple[tuple, str]] = []
    runbooks = data.get("runbooks")
    if isinstance(runbooks, list):
        named += [(("runbooks", i), n) for i, n in enumerate(runbooks) if isinstance(n, str)]
    tiers = data.get("tier_runbooks")
    if isinstance(tiers, dict):
        for tier, names in tiers.items():
            if isinstance(names, list):
                named += [
                    (("tier_runbooks", tier, i), n)
                    for i, n in enumerate(names)
                    if isinstance(n, str)
                ]
    if named:
        folders = _template_folders()
        for loc, name in named:
            if not any((folder / f"{name}.md.j2").is_file() for folder in folders):
                problems.append(
                    (loc, f"unknown runbook template {name!r} (see `transition runbook templates`)")
                )
    return problems


def _template_folders() -> list[Path]:
    """Where ``runbook new`` looks for templates (``templates.search_dirs``: the
    ``TRANSITION_TEMPLATES`` folders, then the shipped one), without importing Jinja2, so
    that reading a playbook stays light. A folder that does not exist finds nothing."""
    from transition.resources import shipped
    from transition.settings import get_settings

    given = get_settings().templates
    return [Path(d).expanduser() for d in given] + [shipped("runbook_templates")]


def _check_all(data: dict[str, Any]) -> list[tuple[tuple, str]]:
    phases = data.get("phases")
    phases = phases if isinstance(phases, list) else []
    keys = {p["key"] for p in phases if isinstance(p, dict) and isinstance(p.get("key"), str)}
    cadence = check_cadence(data.get("cadence"), keys)
    return _check_playbook(data) + _check_references(data) + check_scorecard(data) + cadence


def load_playbook(path: Path | str) -> Playbook:
    """A validated playbook; also refused when it names an exit checklist or a runbook
    template that does not exist (its gates could never be met)."""
    from transition.yamlfile import validate

    return validate(path, Playbook, raw_checks=_check_all)


def playbook_dirs() -> list[Path]:
    return resources.search_dirs()


def playbook_files() -> dict[str, Path]:
    """Known playbooks by file stem, user folders first."""
    return resources.yaml_files(playbook_dirs())


_LOOKS_LIKE_PATH = resources.LOOKS_LIKE_PATH


def playbook_names() -> list[str]:
    """The names a new engagement can start from (shipped and the user's own): the
    ``name:`` each playbook declares."""
    from transition.playbook_index import latest

    return sorted(latest())


def _is_file(path: Path) -> bool:
    """``Path.is_file`` that is also false for a name the OS refuses (too long…)."""
    try:
        return path.is_file()
    except OSError:
        return False


def resolve_playbook(name_or_path: str) -> tuple[Playbook, bytes, Path]:
    """A playbook by file path, or by name: its file name (without ``.yaml``; the user's
    folders first), else the ``name:`` it declares (``playbook list`` shows it; the
    newest version when several files declare it). Returns (playbook, raw bytes, path)."""
    candidate = Path(name_or_path).expanduser()
    if _LOOKS_LIKE_PATH.search(name_or_path) or _is_file(candidate):
        path = candidate
        if not path.exists():  # a folder, FIFO or device is refused by the reader
            raise NotFound(f"playbook file {name_or_path} not found")
    else:
        from transition.playbook_index import find

        files = playbook_files()
        path = files.get(name_or_path) or files.get(name_or_path.lower())
        if path is None and (found := find(name_or_path)) is not None:
            path = found.path
        if path is None:
            known = ", ".join(playbook_names()) or "none"
            raise NotFound(f"unknown playbook {name_or_path!r} (known: {known})")
    playbook = load_playbook(path)
    return playbook, path.read_bytes(), path


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


@lru_cache(maxsize=8)
def from_json(text: str) -> Playbook:
    """A playbook stored with an engagement (already validated when it was started).
    Kept per text: one command reads the same engagement's playbook in several places
    (gates, plan, readiness), and a 10,000-task playbook takes a while to validate. The
    models are frozen, so the shared copy cannot change under a caller."""
    return Playbook.model_validate_json(text, context=STORED)


__all__ = [
    "CRITERIA",
    "KT_KINDS",
    "Criterion",
    "KPISpec",
    "PhaseSpec",
    "Playbook",
    "TaskSpec",
    "ValidationFailed",
    "content_hash",
    "from_json",
    "load_playbook",
    "playbook_files",
    "playbook_names",
    "resolve_playbook",
]
