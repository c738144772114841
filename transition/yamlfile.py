"""Safe, bounded YAML loading that remembers where every value came from.

``load_yaml(path)`` returns ``(data, marks)``: plain Python data (``yaml.safe_load``
semantics) and a map from each value's path (a tuple of keys and indexes) to its
``(line, column)``. ``validate(path, Model)`` turns the data into a pydantic model and
every problem into one ``file:line:col: where: what`` line, all of them at once.

Hostile files fail fast with a clear error: files over ``MAX_BYTES``, nesting deeper than
``MAX_DEPTH`` and alias expansion past ``MAX_NODES`` (the "billion laughs") are refused
before they can use much memory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from transition.errors import ValidationFailed
from transition.files import Unreadable, read_input

try:  # libyaml is several times faster; its node marks still carry line numbers
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml missing
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000

Loc = tuple[Any, ...]
Marks = dict[Loc, tuple[int, int]]
M = TypeVar("M", bound=BaseModel)


def where(path: Path | str, mark: tuple[int, int] | None) -> str:
    if mark is None:
        return str(path)
    return f"{path}:{mark[0]}:{mark[1]}"


def describe_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def read_text(path: Path, limit: int = MAX_BYTES, *, kind: str = "YAML", noun: str = "file") -> str:
    """A user's text file (YAML, a template), read through the one bounded reader and
    decoded as UTF-8; every problem is a ``ValidationFailed`` naming the file (and line)."""
    try:
        raw = read_input(path, limit, kind=kind, noun=noun)
    except Unreadable as exc:
        raise ValidationFailed([str(exc)]) from None
    if b"\x00" in raw:
        raise ValidationFailed([f"{path}: contains NUL bytes; not a text file"])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValidationFailed([f"{path}:{line}: not valid UTF-8 (byte {exc.start})"]) from None


def parse_yaml_text(text: str, path: Path | str) -> tuple[Any, Marks]:
    """Parse YAML text into plain data plus value marks, with the limits above."""
    try:
        _check_depth(text)
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = (mark.line + 1, mark.column + 1) if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        start = exc.context_mark
        if exc.problem and exc.context and start and mark and start.line != mark.line:
            problem += f" ({exc.context} that starts on line {start.line + 1})"
        raise ValidationFailed([f"{where(path, pos)}: invalid YAML: {problem}"]) from None
    except yaml.YAMLError as exc:
        raise ValidationFailed([f"{path}: invalid YAML: {exc}"]) from None
    if node is None:
        return None, {(): (1, 1)}
    _check_size(node, path)
    builder = _Builder(path)
    data = builder.build(node, (), 0)
    return data, builder.marks


def load_yaml(path: Path | str) -> tuple[Any, Marks]:
    path = Path(path)
    return parse_yaml_text(read_text(path), path)


class NotPlain(Exception):
    """``top_level`` cannot tell a value without composing the whole document."""


def top_level(text: str, keys: frozenset[str]) -> dict[str, Any] | None:
    """The plain scalar values of ``keys`` at the top level of a YAML document, read from
    its event stream without composing it: what ``load_yaml`` gives for them, in a small
    part of the time. The whole document is parsed first (a file that is not YAML raises
    ``ValidationFailed``) with ``MAX_DEPTH`` kept. ``None``: the top level is not a
    mapping. ``NotPlain``: one of the keys is given twice, or its value is an alias, a
    collection or explicitly tagged (compose with ``load_yaml`` then)."""
    try:
        return _top_level(text, keys)
    except yaml.YAMLError as exc:
        raise ValidationFailed([f"invalid YAML: {exc}"]) from None


def _top_level(text: str, keys: frozenset[str]) -> dict[str, Any] | None:
    resolver = yaml.SafeLoader("")
    found: dict[str, Any] = {}
    depth = documents = 0
    top_is_mapping = False
    at_key = True  # the next node at depth 1 is a key of the top mapping
    wanted: str | None = None  # the key whose value comes next
    unplain: NotPlain | None = None  # raised once the whole document has parsed
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:  # refused by ``load_yaml``
                unplain = unplain or NotPlain("a second document")
        elif isinstance(event, yaml.CollectionStartEvent):
            if depth == 0:
                top_is_mapping = isinstance(event, yaml.MappingStartEvent)
            elif depth == 1:
                if wanted is not None:
                    unplain, wanted = unplain or NotPlain(wanted), None
                at_key = not at_key
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(
                    problem=f"nesting deeper than {MAX_DEPTH} levels", problem_mark=event.start_mark
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif depth == 1 and isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
            try:
                if at_key:
                    wanted = _key(event, keys, found)
                elif wanted is not None:
                    found[wanted] = _scalar(resolver, event, wanted)
                    wanted = None
            except NotPlain as exc:
                unplain, wanted = unplain or exc, None
            at_key = not at_key
    if unplain is not None:
        raise unplain
    return found if top_is_mapping else None


def _key(event: yaml.Event, keys: frozenset[str], found: dict[str, Any]) -> str | None:
    """Which of ``keys`` a top-level key event names (None: none of them)."""
    if isinstance(event, yaml.AliasEvent):  # may stand for any key
        raise NotPlain("an alias as a key")
    value = event.value  # type: ignore[attr-defined]
    if value == "<<" and event.tag is None:  # type: ignore[attr-defined]
        raise NotPlain("a merge key")  # may bring in any key
    if value not in keys:
        return None
    if event.tag is not None or value in found:  # type: ignore[attr-defined]
        raise NotPlain(value)
    return value


def _scalar(resolver: yaml.SafeLoader, event: yaml.Event, key: str) -> Any:
    """A plain or quoted scalar as ``safe_load`` constructs it."""
    if isinstance(event, yaml.AliasEvent) or event.tag is not None:  # type: ignore[attr-defined]
        raise NotPlain(key)
    value, implicit = event.value, event.implicit  # type: ignore[attr-defined]
    node = yaml.ScalarNode(resolver.resolve(yaml.ScalarNode, value, implicit), value)
    try:
        return resolver.construct_object(node, deep=True)
    except (yaml.constructor.ConstructorError, ValueError, OverflowError):
        raise NotPlain(key) from None


def _check_depth(text: str) -> None:
    """Walk the event stream (iterative, cheap) to refuse absurd nesting before composing."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                raise yaml.MarkedYAMLError(
                    problem=f"nesting deeper than {MAX_DEPTH} levels", problem_mark=mark
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _check_size(root: yaml.Node, path: Path | str) -> None:
    """Refuse a document whose aliases expand past ``MAX_NODES`` values, computed on the
    composed graph (an alias is the same node object as its anchor) so that a "billion
    laughs" file is refused in milliseconds, before anything is expanded."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if depth > MAX_DEPTH:
            pos = (node.start_mark.line + 1, node.start_mark.column + 1)
            raise ValidationFailed([f"{where(path, pos)}: nested too deeply (through aliases)"])
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                total += size(key_node, depth + 1) + size(value_node, depth + 1)
                if total > MAX_NODES:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item, depth + 1)
                if total > MAX_NODES:
                    break
        if total > MAX_NODES:
            pos = (node.start_mark.line + 1, node.start_mark.column + 1)
            raise ValidationFailed(
                [
                    f"{where(path, pos)}: document expands to more than {MAX_NODES:,} "
                    "values (alias bomb?)"
                ]
            )
        sizes[id(node)] = total
        return total

    size(root, 0)


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class _Builder:
    def __init__(self, path: Path | str) -> None:
        self.path = path
        self.marks: Marks = {}
        self.count = 0
        self.constructor = yaml.SafeLoader("")  # for scalar resolution only

    def build(self, node: yaml.Node, loc: Loc, depth: int) -> Any:
        self.count += 1
        pos = (node.start_mark.line + 1, node.start_mark.column + 1)
        if self.count > MAX_NODES:
            raise ValidationFailed(
                [
                    f"{where(self.path, pos)}: document expands to more than {MAX_NODES:,} "
                    "values (alias bomb?)"
                ]
            )
        if depth > MAX_DEPTH:
            raise ValidationFailed([f"{where(self.path, pos)}: nested too deeply"])
        self.marks.setdefault(loc, pos)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
            # safe_load semantics: a tag such as !!python/object/apply is refused, not ignored.
            raise ValidationFailed(
                [
                    f"{where(self.path, pos)}: {describe_loc(loc)}: could not determine a "
                    f"constructor for the tag {node.tag!r}"
                ]
            )
        if isinstance(node, yaml.MappingNode):
            self.constructor.flatten_mapping(node)
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, (*loc, "<key>"), depth + 1)
                if isinstance(key, list | dict):
                    raise ValidationFailed(
                        [f"{where(self.path, pos)}: a mapping key must be a plain value"]
                    )
                kpos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                if key in result:
                    raise ValidationFailed(
                        [f"{where(self.path, kpos)}: {describe_loc((*loc, key))}: duplicate key"]
                    )
                self.marks[(*loc, key, "<key>")] = kpos
                result[key] = self.build(value_node, (*loc, key), depth + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i), depth + 1) for i, item in enumerate(node.value)]
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise ValidationFailed(
                [f"{where(self.path, pos)}: {describe_loc(loc)}: {exc.problem}"]
            ) from None
        except (ValueError, OverflowError) as exc:  # e.g. a date such as 2026-02-30
            raise ValidationFailed(
                [
                    f"{where(self.path, pos)}: {describe_loc(loc)}: invalid value {node.value!r}: {exc}"
                ]
            ) from None


def mark_for(marks: Marks, loc: Loc, *, key: bool = False) -> tuple[int, int] | None:
    """The closest known position for ``loc`` (walking up to the parent if needed)."""
    loc = tuple(loc)
    if key and (*loc, "<key>") in marks:
        return marks[(*loc, "<key>")]
    while loc:
        if loc in marks:
            return marks[loc]
        loc = loc[:-1]
    return marks.get(())


def _submodel(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``tuple[PhaseSpec, ...]``."""
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


def _keys_at(model: type[BaseModel] | None, loc: Loc) -> list[str]:
    """The keys the model accepts at ``loc`` (for "did you mean" hints)."""
    current = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        field = current.model_fields.get(part)
        current = _submodel(field.annotation) if field is not None else None
    return list(current.model_fields) if current is not None else []


def _suggestion(name: Any, candidates: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), candidates, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def pydantic_errors(
    exc: ValidationError,
    path: Path | str,
    marks: Marks,
    model: type[BaseModel] | None = None,
) -> list[tuple[tuple[int, int], str]]:
    """(position, line) for each error, sorted by position."""
    found: list[tuple[tuple[int, int], str]] = []
    errors = exc.errors()
    locs = [tuple(e["loc"]) for e in errors]
    for err in errors:
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        kind = err["type"]
        if kind == "too_short" and any(len(o) > len(loc) and o[: len(loc)] == loc for o in locs):
            continue  # items below failed; the count is a consequence, not a second problem
        if kind == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r}" + _suggestion(loc[-1], _keys_at(model, loc[:-1]))
            pos = mark_for(marks, loc, key=True)
        else:
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            if kind == "missing":
                msg = f"missing required key {loc[-1]!r}"
                pos = mark_for(marks, loc[:-1])
                loc = loc[:-1]
            else:
                pos = mark_for(marks, loc)
        found.append((pos or (0, 0), f"{where(path, pos)}: {describe_loc(loc)}: {msg}"))
    return sorted(found, key=lambda item: item[0])


#: Shipped files already validated, by (path, modification time, size, model, checks):
#: the shipped playbooks and checklists are read again for every engagement started.
_SHIPPED: dict[tuple[Any, ...], Any] = {}


def _shipped_key(path: Path | str, *rest: Any) -> tuple[Any, ...] | None:
    """The cache key of a file among the shipped playbooks and checklists (None for any
    other file: a user's file is read each time, as it may change at any moment). What
    a shipped file refers to is shipped too, so its validity depends on nothing else."""
    from transition.resources import shipped

    try:
        resolved = Path(path).resolve()
        if not resolved.is_relative_to(shipped("playbooks").resolve()):
            return None
        stat = resolved.stat()
    except (OSError, ValueError):
        return None
    return (resolved, stat.st_mtime_ns, stat.st_size, *rest)


def validate(
    path: Path | str,
    model: type[M],
    *,
    checks: Callable[[M], list[tuple[Loc, str]]] | None = None,
    raw_checks: Callable[[dict[str, Any]], list[tuple[Loc, str]]] | None = None,
    text: str | None = None,
) -> M:
    """Load ``path`` (or ``text`` named as ``path``) into ``model``; every error at once.

    ``checks`` run on the validated model; ``raw_checks`` run on the plain data whether or
    not the model is valid (so cross-field problems are reported together with the rest).
    A shipped file is read once per modification (``model`` is expected to be frozen).
    """
    key = _shipped_key(path, model, checks, raw_checks) if text is None else None
    if key is not None and key in _SHIPPED:
        return _SHIPPED[key]
    obj = _validate(path, model, checks=checks, raw_checks=raw_checks, text=text)
    if key is not None:
        _SHIPPED[key] = obj
    return obj


def _validate(
    path: Path | str,
    model: type[M],
    *,
    checks: Callable[[M], list[tuple[Loc, str]]] | None,
    raw_checks: Callable[[dict[str, Any]], list[tuple[Loc, str]]] | None,
    text: str | None,
) -> M:
    data, marks = parse_yaml_text(text, path) if text is not None else load_yaml(path)
    if not isinstance(data, dict):
        raise ValidationFailed(
            [f"{where(path, marks.get(()))}: expected a mapping at the top level"]
        )
    found: list[tuple[tuple[int, int], str]] = []
    if raw_checks is not None:
        for loc, msg in raw_checks(data):
            pos = mark_for(marks, loc)
            found.append((pos or (0, 0), f"{where(path, pos)}: {describe_loc(loc)}: {msg}"))
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        found.extend(pydantic_errors(exc, path, marks, model))
        raise ValidationFailed(
            [line for _, line in sorted(found, key=lambda item: item[0])]
        ) from None
    if found:
        raise ValidationFailed([line for _, line in sorted(found, key=lambda item: item[0])])
    if checks is not None:
        problems = checks(obj)
        if problems:
            raise ValidationFailed(
                [
                    f"{where(path, mark_for(marks, loc))}: {describe_loc(loc)}: {msg}"
                    for loc, msg in problems
                ]
            )
    return obj
