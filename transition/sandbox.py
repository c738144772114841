"""The one sandbox every user-written template runs in (runbook skeletons and reports).

``environment(...)`` builds a hardened Jinja2 ``ImmutableSandboxedEnvironment``; ``render``
renders its templates under limits checked *while* rendering, in its thread (no signals):

- time: a deadline checked on every loop iteration, attribute and item lookup, call,
  filter, operator and output chunk, so nested ``range(100000)`` loops stop at the limit;
- size: every value a template builds (by ``~``, ``+``, ``*``, ``%``, ``format``,
  ``join``, ``replace``, ``center``, ``indent``, macro and block output, namespace
  assignments, list and dict literals passed on) is measured *before* it is built where
  the size can be predicted, and after otherwise; no single value may exceed
  ``MAX_VALUE`` characters, all of them together ``MAX_PRODUCED``, and the rendered text
  ``MAX_OUTPUT``;
- numbers: integers stay below ``MAX_INT_BITS`` bits (``10**5000`` is refused);
- names starting with an underscore are unsafe whether or not the object has them.

Limits are module constants; tests lower ``TIME_LIMIT``. A limit reached raises
``LimitExceeded`` (a ``SecurityError``) naming it; ``rendering.render`` names the template.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any

from jinja2 import Template, Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace, _PassArg, generate_lorem_ipsum
from jinja2.visitor import NodeTransformer

from transition.sandbox_weight import measure

#: Seconds of processor time (a busy machine cuts nothing short) a template may use.
TIME_LIMIT = 5.0
#: Largest text a template may render (a runbook skeleton is a few pages).
MAX_OUTPUT = 10 * 1024 * 1024
#: Largest single value (characters of text, or items and characters of a structure).
MAX_VALUE = MAX_OUTPUT
#: All values built during one rendering, together (bounds what buffers can hold).
MAX_PRODUCED = 8 * MAX_OUTPUT
#: Largest string or list ``*`` may build (items), largest exponent, largest integer.
MAX_PRODUCT = 1_000_000
MAX_EXPONENT = 1_000
MAX_INT_BITS = 16_384

_ITER_FILTER = "budget iterate"  # not an identifier: no template can name it
_DIGITS = re.compile(r"\d+")


class LimitExceeded(SecurityError):
    """A template reached a time or size limit."""


@dataclass
class _Budget:
    deadline: float
    seconds: float
    produced: int = 0


_BUDGET: ContextVar[_Budget | None] = ContextVar("transition_template_budget", default=None)


def tick() -> None:
    """Stop the rendering once its time is up."""
    budget = _BUDGET.get()
    if budget is not None and time.thread_time() > budget.deadline:
        raise LimitExceeded(f"it ran longer than the {budget.seconds:g} s processor-time limit")


def weight(value: Any, cap: int = MAX_VALUE) -> int:
    """Characters of text plus items of structures reachable from ``value``, counting a
    shared item each time it is reached (as ``str()`` would); an upper bound is enough
    once it passes ``cap``. Shared parts are measured once, so ``[x, x]`` nested sixty
    times costs sixty steps, not 2**60; a structure stops being measured as soon as it
    passes ``cap``, and a long measure stops at the time limit like any other step."""
    return measure(value, cap, tick)


def _too_big(size: int, what: str = "a value") -> LimitExceeded:
    return LimitExceeded(
        f"{what} would be {size:,}+ characters; the limit is {MAX_VALUE:,} characters"
    )


def check(value: Any) -> Any:
    """Refuse a value too big to hold or to convert to text."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_INT_BITS:
            raise LimitExceeded(f"an integer would exceed the {MAX_INT_BITS:,}-bit limit")
        return value
    size = weight(value)
    if size > MAX_VALUE:
        raise _too_big(size)
    return value


def produced(value: Any) -> Any:
    """Check a value the template has just built and charge it to the rendering
    (measured once for both)."""
    if isinstance(value, int | float | bool | type(None)):
        return check(value)
    size = weight(value)
    if size > MAX_VALUE:
        raise _too_big(size)
    budget = _BUDGET.get()
    if budget is not None:
        budget.produced += size
        if budget.produced > MAX_PRODUCED:
            raise LimitExceeded(f"the values it built exceed the {MAX_PRODUCED:,}-character limit")
    return value


def _expect(size: int, what: str = "a value") -> None:
    if size > MAX_VALUE:
        raise _too_big(size, what)


def _materialise(value: Any) -> Any:
    """An iterator (``map``, ``select``…) as a list, counted as it is drawn."""
    if not isinstance(value, Iterator):
        return value
    items: list[Any] = []
    total = 0
    for item in value:
        tick()
        total += weight(item) + 1
        if total > MAX_VALUE:
            raise _too_big(total)
        items.append(item)
    return items


def _format_size(fmt: str, args: Iterable[Any]) -> int:
    """An upper bound for ``fmt % args`` / ``fmt.format(*args)``: every field as wide as the
    widest number written in the format or passed, plus the largest argument."""
    values = list(args)
    widths = [int(d) for d in _DIGITS.findall(fmt) if len(d) < 12] + [0]
    if any(len(d) >= 12 for d in _DIGITS.findall(fmt)):
        raise LimitExceeded("a format width is over the limit")
    numbers = [abs(v) for v in values if isinstance(v, int) and not isinstance(v, bool)]
    widest = max(widths + [n for n in numbers if n <= MAX_VALUE * 10])
    if any(n > MAX_VALUE * 10 for n in numbers) and "*" in fmt:
        raise LimitExceeded("a format width is over the limit")
    largest = max([weight(v) for v in values] + [0])
    fields = fmt.count("%") + fmt.count("{") + 1
    return len(fmt) + fields * (widest + largest)


def _flatten_args(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> list[Any]:
    out: list[Any] = []
    for value in (*args, *kwargs.values()):
        if isinstance(value, tuple | list) and len(value) <= 64:
            out.extend(value)
        elif isinstance(value, dict) and len(value) <= 64:
            out.extend(value.values())
        else:
            out.append(value)
    return out


def _method_size(name: str, text: str | bytes, args: tuple[Any, ...], kwargs: dict) -> int:
    """Upper bound of the result of a ``str``/``bytes`` method that can grow its text."""
    size = len(text)
    if name == "replace":
        old, new = (list(args) + [None, None])[:2]
        if not isinstance(old, str | bytes) or not isinstance(new, str | bytes):
            return size
        count = (text.count(old) if old else size + 1) if size <= MAX_VALUE else size
        limit = args[2] if len(args) > 2 else kwargs.get("count", -1)
        if isinstance(limit, int) and limit >= 0:
            count = min(count, limit)
        return size + count * max(len(new) - len(old), 0)
    if name in ("center", "ljust", "rjust", "zfill"):
        width = args[0] if args else kwargs.get("width", 0)
        return max(size, width if isinstance(width, int) else 0)
    if name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        return size * max(tabsize if isinstance(tabsize, int) else 8, 1)
    if name == "join":
        items = args[0] if args else ()
        n = len(items) if hasattr(items, "__len__") else 0
        return weight(items) + size * n
    if name == "translate":
        return size * (1 + (weight(args[0]) if args else 0))
    if name in ("format", "format_map"):
        return _format_size(text if isinstance(text, str) else "", _flatten_args(args, kwargs))
    return size


# --- filters -------------------------------------------------------------------------


def _filter_size(name: str, value: Any, args: tuple[Any, ...], kwargs: dict) -> int:
    """Upper bound of a built-in filter's result where an argument can multiply it."""
    size = weight(value)
    text = value if isinstance(value, str) else None
    if name == "replace" and text is not None:
        return _method_size("replace", text, args, kwargs)
    if name == "center":
        width = args[0] if args else kwargs.get("width", 80)
        return max(size, width if isinstance(width, int) else 0)
    if name == "indent":
        width = args[0] if args else kwargs.get("width", 4)
        each = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        lines = (text.count("\n") + 1) if text is not None else size + 1
        return size + lines * max(each, 0)
    if name == "wordwrap":
        wrap = kwargs.get("wrapstring") or (args[2] if len(args) > 2 else None) or "\n"
        return size * (1 + weight(wrap))
    if name == "join":
        sep = args[0] if args else kwargs.get("d", "")
        n = len(value) if hasattr(value, "__len__") else size
        return size + n * weight(sep)
    if name == "format" and text is not None:
        return _format_size(text, _flatten_args(args, kwargs))
    if name == "sum":
        start = kwargs.get("start", args[1] if len(args) > 1 else 0)
        return size + weight(start)
    if name in ("batch", "slice"):
        count = args[0] if args else 0
        return size + (count if isinstance(count, int) else 0)
    if name == "urlize":
        return size * (1 + sum(weight(a) for a in (*args, *kwargs.values())))
    if name == "tojson":
        indent = kwargs.get("indent", args[0] if args else None)
        return size * (2 + (indent if isinstance(indent, int) else 0))
    if name == "truncate":
        return size + sum(weight(a) for a in (*args, *kwargs.values()))
    return 0


def guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` checked: time, arguments, predicted and actual size of the result."""
    skip = 1 if _PassArg.from_obj(func) is not None else 0

    @wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        tick()
        args = (
            *args[:skip],
            *(_materialise(a) for a in args[skip : skip + 1]),
            *args[skip + 1 :],
        )
        for value in (*args[skip:], *kwargs.values()):
            check(value)
        if len(args) > skip:
            _expect(_filter_size(name, args[skip], args[skip + 1 :], kwargs), f"'{name}'")
        return produced(func(*args, **kwargs))

    return guarded


def _iterate(value: Any) -> Iterator[Any]:
    """Every loop draws its items through here: one tick per iteration."""
    for item in value:
        tick()
        yield item


@wraps(generate_lorem_ipsum)
def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:  # noqa: A002
    if not all(isinstance(v, int) for v in (n, min, max)) or n > 100 or max > 1000:
        raise LimitExceeded("lipsum() is limited to 100 paragraphs of 1,000 words")
    return generate_lorem_ipsum(n, html, min, max)


class _GuardedNamespace(Namespace):
    """``namespace()`` whose assignments (``{% set ns.x = … %}``) are size-checked."""

    def __setitem__(self, name: str, value: Any) -> None:
        tick()
        check(value)
        super().__setitem__(name, value)


def _checked_join(join: Callable[[Iterable[Any]], str]) -> Callable[[Iterable[Any]], str]:
    def checked(seq: Iterable[Any]) -> str:
        tick()
        parts = list(seq)
        _expect(sum(weight(p) for p in parts), "'~'")
        return produced(join(parts))

    return checked


_STR_JOIN = _checked_join(str_join)
_MARKUP_JOIN = _checked_join(markup_join)


def _concat(parts: Iterable[str]) -> str:
    """Joins the output of macros, ``{% set %}`` and ``{% filter %}`` blocks."""
    total = 0
    buffer = []
    for part in parts:
        total += len(part)
        if total > MAX_VALUE:
            raise _too_big(total, "a block's output")
        buffer.append(part)
    return produced("".join(buffer))


class _LoopTicks(NodeTransformer):
    """Rewrites ``{% for x in ITEMS %}`` so that the items pass through ``_iterate``."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, _ITER_FILTER, [], [], None, None, lineno=node.lineno)
        return node


class _GuardedTemplate(Template):
    @classmethod
    def _from_namespace(cls, environment, namespace, globals):  # type: ignore[override]
        # The compiled module joins ``a ~ b`` with these: swap in the checked versions.
        namespace["str_join"] = _STR_JOIN
        namespace["markup_join"] = _MARKUP_JOIN
        return super()._from_namespace(environment, namespace, globals)


_GROWING_METHODS = frozenset(
    {"replace", "center", "ljust", "rjust", "zfill", "expandtabs", "join", "translate"}
    | {"format", "format_map"}
)


class Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with the limits above. Any name starting with an
    underscore is unsafe, whether or not the object has it."""

    template_class = _GuardedTemplate
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    concat = staticmethod(_concat)

    def _generate(self, source, name, filename, defer_init=False):  # type: ignore[override]
        return super()._generate(_LoopTicks().visit(source), name, filename, defer_init)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        tick()
        if operator == "**":
            if (
                isinstance(right, int)
                and abs(right) > MAX_EXPONENT
                and not (isinstance(left, int | float) and abs(left) <= 1)
            ):
                raise LimitExceeded(f"exponent {right} is over the limit of {MAX_EXPONENT}")
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and right > 0
                and left.bit_length() * right > MAX_INT_BITS
            ):
                raise LimitExceeded(f"an integer would exceed the {MAX_INT_BITS:,}-bit limit")
        elif operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | bytes | list | tuple) and isinstance(times, int):
                    if len(seq) * times > MAX_PRODUCT:
                        raise LimitExceeded(f"a result would exceed the {MAX_PRODUCT:,}-item limit")
                    _expect(weight(seq) * max(times, 0), "'*'")
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and left.bit_length() + right.bit_length() > MAX_INT_BITS
            ):
                raise LimitExceeded(f"an integer would exceed the {MAX_INT_BITS:,}-bit limit")
        elif operator == "+":
            if not (isinstance(left, int | float) and isinstance(right, int | float)):
                if (
                    isinstance(left, list | tuple)
                    and isinstance(right, list | tuple)
                    and len(left) + len(right) > MAX_PRODUCT
                ):
                    raise LimitExceeded(f"a result would exceed the {MAX_PRODUCT:,}-item limit")
                _expect(weight(left) + weight(right), "'+'")
        elif operator == "%" and isinstance(left, str):
            check(right)
            _expect(_format_size(left, _flatten_args((right,), {})), "'%'")
        return produced(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        tick()
        for value in (*args, *kwargs.values()):
            check(value)
        method = getattr(__obj, "__wrapped__", __obj)
        owner = getattr(method, "__self__", None)
        if isinstance(owner, str | bytes) and getattr(method, "__name__", "") in _GROWING_METHODS:
            _expect(_method_size(method.__name__, owner, args, kwargs), f"'{method.__name__}'")
        return produced(super().call(__context, __obj, *args, **kwargs))

    def getattr(self, obj: Any, attribute: str) -> Any:
        tick()
        if isinstance(obj, Undefined):  # report the undefined name itself
            return super().getattr(obj, attribute)
        if isinstance(attribute, str) and attribute.startswith("_"):
            return self.unsafe_undefined(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        tick()
        if isinstance(obj, Undefined):
            return super().getitem(obj, argument)
        if isinstance(argument, str) and argument.startswith("_"):
            return self.unsafe_undefined(obj, argument)
        return super().getitem(obj, argument)


def _checked_finalize(inner: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    def finalize(value: Any) -> Any:
        tick()
        check(value)
        return inner(value) if inner is not None else value

    return finalize


def environment(
    cls: type[Sandbox] = Sandbox,
    *,
    filters: Mapping[str, Callable[..., Any]] | None = None,
    finalize: Callable[[Any], Any] | None = None,
    **options: Any,
) -> Sandbox:
    """The hardened sandbox: ``options`` as for a Jinja ``Environment`` (loader,
    undefined, autoescape, …); ``filters`` added to the built-in ones; every filter,
    including those, runs under the limits; ``finalize`` (optional) sees each value
    output by ``{{ … }}`` after its size is checked."""
    env = cls(finalize=_checked_finalize(finalize), **options)
    env.filters.update(filters or {})
    env.filters = {name: guard_filter(name, f) for name, f in env.filters.items()}
    env.filters[_ITER_FILTER] = _iterate
    env.globals["lipsum"] = _lipsum
    env.globals["namespace"] = _GuardedNamespace
    return env


@contextmanager
def limits(seconds: float | None = None) -> Iterator[None]:
    """Within this block, renderings in this thread run under the limits."""
    seconds = TIME_LIMIT if seconds is None else seconds
    token = _BUDGET.set(_Budget(time.thread_time() + seconds, seconds))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def render(template: Template, context: Mapping[str, Any]) -> str:
    """Render under the limits, stopping as soon as one is reached."""
    with limits():
        out: list[str] = []
        size = 0
        for chunk in template.generate(**context):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise LimitExceeded(f"its output exceeded the {MAX_OUTPUT:,}-character limit")
            tick()
            out.append(chunk)
        return "".join(out)
