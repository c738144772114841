"""Runbook skeleton templates: where they are found, what they declare, how they render.

A template is a file ``NAME.md.j2``; ``NAME`` is a slug. It starts with YAML front matter
between two ``---`` lines (title, description, an optional ``version`` (a whole number,
default 1, raised when the template improves) and the variables it uses with whether each
is required), followed by a Markdown body written in Jinja2. Sections the generator cannot
fill carry the marker ``[[FILL: what to write]]`` for a person to replace.

Folders given with ``--templates DIR`` (or ``TRANSITION_TEMPLATES``, a list separated by
``os.pathsep``) are searched before the shipped templates, so a user template can also
replace a shipped one of the same name. Every template renders in the hardened sandbox
shared with reports (``transition.sandbox``: time and size limits checked while rendering)
with ``StrictUndefined``. Before rendering, every variable a template reads (itself or
through what it includes) without declaring it in front matter is named at once with its
file and line, then every required variable that is missing; syntax and rendering errors
name the template file and line; access to unsafe attributes (``__class__``,
``__globals__``…) is refused.

Compiled templates and parsed front matter are cached per process (and reloaded when the
file changes), so generating many skeletons in one process costs little per skeleton.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any

from jinja2 import BaseLoader, StrictUndefined, TemplateNotFound, meta, nodes
from jinja2.exceptions import TemplateSyntaxError
from pydantic import BaseModel, ConfigDict, Field

from transition import rendering, sandbox, yamlfile
from transition.errors import BadInput, NotFound, ValidationFailed
from transition.resources import shipped
from transition.sandbox import Sandbox
from transition.settings import TEMPLATES, get_settings
from transition.text import markdown_literal

SUFFIX = ".md.j2"
#: ``report.md.j2`` in a templates folder is the status report's layout, not a runbook.
REPORT_NAME = "report"
PLACEHOLDER = "[[FILL:"
ENV_VAR = TEMPLATES
MAX_BYTES = 1024 * 1024
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
_IDENT = re.compile(IDENTIFIER)
_FENCE = re.compile(r"^---[ \t]*$")


class VariableSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    required: bool = False
    description: str = ""


class FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=1, max_length=300)]
    description: str = ""
    #: Raised by the template's author when it improves (``runbook update`` merges it in).
    version: Annotated[int, Field(ge=1, le=1_000_000, strict=True)] = 1
    variables: dict[Annotated[str, Field(pattern=IDENTIFIER)], VariableSpec] = {}


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    title: str
    description: str
    variables: dict[str, VariableSpec]
    source: str  # "shipped" or "user"
    path: Path
    body: str = field(repr=False, default="")
    masked: bool = False  # the body starts with the front matter turned into a comment
    version: int = 1
    #: SHA-256 of the template file as read (front matter and body).
    hash: str = ""

    @property
    def required(self) -> list[str]:
        return [n for n, spec in self.variables.items() if spec.required]


# --- where templates are ----------------------------------------------------------------


@lru_cache(maxsize=1)
def _shipped_dir() -> Path:
    return shipped("runbook_templates").resolve()


def search_dirs(extra_dirs: Iterable[str | Path] = ()) -> tuple[tuple[Path, str], ...]:
    """User folders (``extra_dirs``, else ``TRANSITION_TEMPLATES``) then the shipped one,
    each with its source. A user folder that does not exist is bad input."""
    given = [str(d) for d in extra_dirs if str(d).strip()]
    if not given:
        given = list(get_settings().templates)
    base = _shipped_dir()
    dirs: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for raw in given:
        path = Path(raw).expanduser()
        if not path.is_dir():
            raise BadInput(f"templates folder {raw!r} does not exist or is not a folder")
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            dirs.append((resolved, "shipped" if resolved == base else "user"))
    if base not in seen:
        dirs.append((base, "shipped"))
    return tuple(dirs)


def check_name(name: str) -> str:
    """A template name as given by a user: a slug, or bad input."""
    value = name.strip().lower()
    if not SLUG.match(value):
        raise BadInput(
            f"invalid template name {name!r}: template names are slugs "
            "(lowercase letters, digits and single hyphens), e.g. incident-response"
        )
    return value


def find(name: str, dirs: Sequence[tuple[Path, str]]) -> tuple[Path, str] | None:
    """The first ``NAME.md.j2`` in search order, with its source."""
    for folder, source in dirs:
        path = folder / f"{name}{SUFFIX}"
        if path.is_file():
            return path, source
    return None


# --- front matter ------------------------------------------------------------------------


def split_front_matter(text: str, path: Path | str) -> tuple[str | None, str]:
    """``(front matter, body)``. The body keeps the file's line numbers: the front matter
    becomes a Jinja comment spanning the same lines (so errors point at the right line)
    followed by one newline that ``render`` drops."""
    lines = text.splitlines(keepends=True)
    if not lines or not _FENCE.match(lines[0].rstrip("\r\n")):
        return None, text
    for index in range(1, len(lines)):
        if _FENCE.match(lines[index].rstrip("\r\n")):
            front = "".join(lines[1:index])
            mask = "{#" + "\n" * index + "#}\n"
            return front, mask + "".join(lines[index + 1 :])
    raise ValidationFailed(
        [f"{path}:1: front matter starts with '---' but has no closing '---' line"]
    )


def _title_from(name: str) -> str:
    return name.replace("-", " ").capitalize()


_INFO_CACHE: dict[Path, tuple[tuple[int, int], TemplateInfo]] = {}


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_mtime_ns, st.st_size


def parse(path: Path, name: str, source: str) -> TemplateInfo:
    """Read and validate one template file (cached until the file changes)."""
    try:
        stamp = _stamp(path)
    except OSError as exc:
        raise ValidationFailed([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    cached = _INFO_CACHE.get(path)
    if cached is not None and cached[0] == stamp and cached[1].source == source:
        return cached[1]
    text = yamlfile.read_text(path, MAX_BYTES, kind="template", noun="template")
    front, body = split_front_matter(text, path)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if front is None:
        info = TemplateInfo(name, _title_from(name), "", {}, source, path, body, hash=digest)
    else:
        # A leading newline stands for the opening '---', so YAML lines are file lines.
        matter = yamlfile.validate(path, FrontMatter, text="\n" + front)
        info = TemplateInfo(
            name,
            matter.title.strip(),
            " ".join(matter.description.split()),
            dict(matter.variables),
            source,
            path,
            body,
            masked=True,
            version=matter.version,
            hash=digest,
        )
    _INFO_CACHE[path] = (stamp, info)
    return info


def available(extra_dirs: Iterable[str | Path] = ()) -> list[TemplateInfo]:
    """Every template a user can generate from, by name; a user template shadows a shipped
    one of the same name. All problems (bad names, invalid front matter) at once."""
    found: dict[str, TemplateInfo] = {}
    errors: list[str] = []
    for folder, source in search_dirs(extra_dirs):
        for path in sorted(folder.glob(f"*{SUFFIX}")):
            stem = path.name[: -len(SUFFIX)]
            if path.name.startswith(".") or stem == REPORT_NAME or not path.is_file():
                continue
            if not SLUG.match(stem):
                errors.append(
                    f"{path}: template name {stem!r} is not a slug (lowercase letters, digits "
                    "and single hyphens): rename the file"
                )
                continue
            if stem in found:
                continue
            try:
                found[stem] = parse(path, stem, source)
            except ValidationFailed as exc:
                errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return [found[n] for n in sorted(found)]


def get(
    name: str,
    extra_dirs: Iterable[str | Path] = (),
    *,
    dirs: tuple[tuple[Path, str], ...] | None = None,
) -> TemplateInfo:
    """One template by name, from the first folder that has it (``dirs``: the result of
    ``search_dirs`` when the caller has it already)."""
    name = check_name(name)
    if dirs is None:
        dirs = search_dirs(extra_dirs)
    hit = None if name == REPORT_NAME else find(name, dirs)
    if hit is None:
        names = sorted(
            {
                p.name[: -len(SUFFIX)]
                for folder, _ in dirs
                for p in folder.glob(f"*{SUFFIX}")
                if SLUG.match(p.name[: -len(SUFFIX)])
                and p.name[: -len(SUFFIX)] != REPORT_NAME
                and p.is_file()
            }
        )
        raise NotFound(
            f"unknown template {name!r}: available are {', '.join(names) or 'none'} "
            "(see `transition runbook templates`)"
        )
    return parse(hit[0], name, hit[1])


# --- rendering ---------------------------------------------------------------------------


class UserText(str):
    """Text people typed, read from the database (a name, a party, a role): a runbook
    shows it literally, Markdown-escaped, so a ``|`` cannot break a table and ``*`` or
    ``[`` cannot turn into formatting or links. Template text and ``--set`` values are
    the template author's and the caller's own Markdown and are output as they are."""

    __slots__ = ()


def _literal_user_text(value: Any) -> Any:
    """``finalize`` of runbook templates: every ``{{ value }}`` that is user text."""
    if type(value) is Record:
        value = getattr(value, "name", "")
    return markdown_literal(value) if isinstance(value, UserText) else value


class Record(SimpleNamespace):
    """A read-only bag of attributes for templates (engagement, system, a person)."""

    def __str__(self) -> str:
        return str(getattr(self, "name", ""))


class _Loader(BaseLoader):
    """Loads template bodies (front matter masked) by name from the search folders."""

    def __init__(self, dirs: tuple[tuple[Path, str], ...]) -> None:
        self.dirs = dirs

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
        if not SLUG.match(template):  # {% include "../x" %} never leaves the folders
            raise TemplateNotFound(template)
        hit = find(template, self.dirs)
        if hit is None:
            raise TemplateNotFound(template)
        path, source = hit
        info = parse(path, template, source)
        stamp = _stamp(path)

        def uptodate() -> bool:
            try:
                return find(template, self.dirs) == hit and _stamp(path) == stamp
            except OSError:
                return False

        return info.body, str(path), uptodate


#: Re-exported: the limits live in ``transition.sandbox``, shared with reports.
MAX_OUTPUT = sandbox.MAX_OUTPUT


class _Sandbox(Sandbox):
    """The shared hardened sandbox (``transition.sandbox``), reading the context's own
    records directly: they hold plain data, and most lookups in a skeleton are theirs."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is Record and type(attribute) is str:
            sandbox.tick()
            if attribute.startswith("_"):
                return self.unsafe_undefined(obj, attribute)
            fields = vars(obj)
            if attribute in fields:
                return fields[attribute]
            known = ", ".join(sorted(fields))
            return self.undefined(
                hint=f"no field {attribute!r} here (it has: {known})", obj=obj, name=attribute
            )
        return super().getattr(obj, attribute)


@lru_cache(maxsize=32)
def environment(dirs: tuple[tuple[Path, str], ...]) -> Sandbox:
    """One sandboxed environment (and compiled-template cache) per set of search folders."""
    return sandbox.environment(
        _Sandbox,
        loader=_Loader(dirs),
        undefined=StrictUndefined,
        finalize=_literal_user_text,
        autoescape=False,
        keep_trailing_newline=True,
        auto_reload=True,
        cache_size=1000,
    )


@lru_cache(maxsize=256)
def _parsed(env: Sandbox, filename: str, stamp: Any, body: str) -> nodes.Template:
    return env.parse(body, filename=filename)


def _ast(env: Sandbox, info: TemplateInfo) -> nodes.Template:
    with _compiling(info.path):
        return _parsed(env, str(info.path), _stamp(Path(info.path)), info.body)


@contextmanager
def _compiling(path: Path | str) -> Iterator[None]:
    """Problems met while parsing or compiling a template, as ``BadInput`` naming it."""
    try:
        yield
    except TemplateSyntaxError as exc:  # also an unknown filter or test, found compiling
        raise BadInput(f"{exc.filename or path}:{exc.lineno}: {exc.message}") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (RecursionError, MemoryError, SyntaxError):
        raise BadInput(f"{path}: template is nested too deeply") from None


def _names_read(env: Sandbox, info: TemplateInfo) -> frozenset[str]:
    """Top-level names the template reads (``jinja2.meta``: it compiles the template, so
    the answer is cached until the file changes)."""
    with _compiling(info.path):
        return _names_cached(env, str(info.path), _stamp(info.path), info.body)


@lru_cache(maxsize=256)
def _names_cached(env: Sandbox, filename: str, stamp: object, body: str) -> frozenset[str]:
    ast = _parsed(env, filename, stamp, body)
    return frozenset(meta.find_undeclared_variables(ast))


def referenced_variables(info: TemplateInfo, dirs: tuple[tuple[Path, str], ...]) -> frozenset:
    """Top-level names the template body reads (Jinja's own globals excluded)."""
    env = environment(dirs)
    return frozenset(n for n in _names_read(env, info) if n not in env.globals)


def _with_context(ast: nodes.Template) -> list[str]:
    """Templates that ``ast`` includes (or imports ``with context``) by a constant name:
    they read the same variables."""
    names = []
    for node in ast.find_all((nodes.Include, nodes.Import, nodes.FromImport)):
        if not node.with_context:
            continue
        target = node.template
        if isinstance(target, nodes.Const) and isinstance(target.value, str):
            names.append(target.value)
        elif isinstance(target, nodes.List | nodes.Tuple):  # include ["a", "b"]: any of them
            names.extend(
                i.value
                for i in target.items
                if isinstance(i, nodes.Const) and isinstance(i.value, str)
            )
    return names


def undeclared_variables(
    info: TemplateInfo, dirs: tuple[tuple[Path, str], ...], provided: Iterable[str] = ()
) -> list[tuple[str, str, int | None]]:
    """``(name, file, line)`` for every variable the template (and what it includes or
    imports with context) reads without declaring it in front matter. ``provided``: names
    the caller always gives (the generator's own), which need no declaration. Found by
    reading the templates (``jinja2.meta``), without rendering anything."""
    env = environment(dirs)
    known = set(provided) | set(info.variables) | set(env.globals)
    found: list[tuple[str, str, int | None]] = []
    seen_names: set[str] = set()
    queue, seen_files = [info], {info.path}
    while queue:
        current = queue.pop(0)
        ast = _ast(env, current)
        allowed = known | set(current.variables)
        names = sorted(n for n in _names_read(env, current) if n not in allowed)
        lines: dict[str, int] = {}
        for node in ast.find_all(nodes.Name):
            if node.ctx == "load" and node.name in names:
                lines.setdefault(node.name, node.lineno)
        for name in sorted(names, key=lambda n: (lines.get(n, 0), n)):
            if name not in seen_names:
                seen_names.add(name)
                found.append((name, str(current.path), lines.get(name)))
        for target in _with_context(ast):
            hit = find(target, dirs) if SLUG.match(target) else None
            if hit is not None and hit[0] not in seen_files:
                seen_files.add(hit[0])
                try:
                    queue.append(parse(hit[0], target, hit[1]))
                except ValidationFailed as exc:
                    raise BadInput(exc.errors[0]) from None
    return found


def missing_required(info: TemplateInfo, context: Mapping[str, object]) -> list[str]:
    """Required variables that the context lacks (or holds as None)."""
    return [n for n in info.required if context.get(n) is None]


def render(
    info: TemplateInfo,
    context: Mapping[str, object],
    dirs: tuple[tuple[Path, str], ...],
    *,
    hints: Mapping[str, str] | None = None,
    provided: Iterable[str] | None = None,
    declared: bool = False,
) -> str:
    """Render ``info`` with ``context`` in the sandbox, under its time and size limits.
    First every variable the template uses without declaring it is named at once
    (``provided``: names given without declaration, default every name in ``context``),
    then every required variable that is missing. Every problem is a ``BadInput`` naming
    the file (and line where there is one). ``declared``: the caller checked the
    variables already (rendering one template many times in a run)."""
    names = context if provided is None else provided
    undeclared = [] if declared else undeclared_variables(info, dirs, names)
    if undeclared:
        first_file, first_line = undeclared[0][1], undeclared[0][2]
        where = f"{first_file}:{first_line}" if first_line else first_file
        named = ", ".join(
            n + (f" ({'' if f == first_file else f + ':'}line {ln})" if ln else "")
            for n, f, ln in undeclared
        )
        raise BadInput(
            f"{where}: template {info.name} uses "
            f"{len(undeclared)} variable(s) its front matter does not declare: {named}; "
            "declare each under 'variables:' in the front matter"
        )
    missing = missing_required(info, context)
    if missing:
        hints = hints or {}
        named = ", ".join(f"{n} ({hints[n]})" if n in hints else n for n in missing)
        raise BadInput(
            f"template {info.name} ({info.path}) needs {len(missing)} required variable(s) "
            f"that are not set: {named}; set them with --set NAME=VALUE"
        )
    text = rendering.render(environment(dirs), info.name, context, label=f"template {info.name}")
    return text[1:] if info.masked and text.startswith("\n") else text


def count_placeholders(text: str) -> int:
    return text.count(PLACEHOLDER)
