"""How the status report is laid out: its templates, filters and sandboxed environment.

The shipped ``status.md.j2`` / ``status.html.j2``, or ``report.md.j2`` /
``report.html.j2`` from a user's template folder (``--templates DIR`` or
``TRANSITION_TEMPLATES``), render in the one hardened sandbox shared with runbooks
(``sandbox.environment``, the same limits; ``rendering.render``, the same error
messages) with undefined variables as errors. HTML is autoescaped; in Markdown every
``{{ value }}`` is escaped so that user text shows literally (``|safe`` marks the
template's own syntax).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, pass_eval_context
from jinja2.filters import do_join
from markupsafe import Markup

from transition import rendering, sandbox
from transition.errors import BadInput
from transition.settings import get_settings
from transition.text import markdown_literal

FORMATS = ("md", "html")
SHIPPED = Path(__file__).resolve().parent / "report_templates"


def template_dir(explicit: str | Path | None = None) -> Path | None:
    """The user's template folder: ``--templates DIR``, else ``TRANSITION_TEMPLATES``."""
    chosen = explicit or os.pathsep.join(get_settings().templates)
    if not chosen:
        return None
    folder = Path(chosen).expanduser()
    if not folder.is_dir():
        raise BadInput(f"template folder {folder} does not exist", field="templates")
    return folder


def _md(value: Any) -> Markup:
    """The ``md`` filter: escaped once (output is escaped anyway; kept for templates)."""
    return value if isinstance(value, Markup) else Markup(markdown_literal(value))


def _md_finalize(value: Any) -> Any:
    """Every ``{{ value }}`` of a Markdown report is escaped unless marked safe."""
    if isinstance(value, Markup) or type(value) in (int, float, bool):
        return value
    return Markup(markdown_literal(value))


def _md_code(value: Any) -> Markup:
    """User text as a Markdown code span: fenced by more backticks than it holds."""
    text = " ".join(("" if value is None else str(value)).split()).replace("|", "\\|")
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return Markup(f"{fence}{pad}{text}{pad}{fence}")


@pass_eval_context
def _md_join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> Any:
    """``join`` that keeps escaped parts escaped (so ``map("md") | join`` escapes once)."""
    items = list(value)
    text = do_join(eval_ctx, items, d, attribute)
    if attribute is None and items and all(isinstance(i, Markup) for i in items):
        return Markup(text)
    return text


def _fmt_date(value: Any, fmt: str = "%Y-%m-%d") -> str:
    if value is None:
        return Markup("–")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        fmt = fmt if fmt != "%Y-%m-%d" else "%Y-%m-%d %H:%M"
    return Markup.escape(value.strftime(fmt))


def _pct(value: Any) -> str:
    if value is None:
        return Markup("–")
    return Markup(f"{round(float(value) * 100)}%")


def _slip(days: Any) -> str:
    """A phase's slip against its baseline: ``+8d``, ``-2d``, ``+0d``; ``–`` without one."""
    if days is None:
        return Markup("–")
    return Markup(f"{int(days):+d}d")


def _bytecode_cache():
    """Compiled templates kept in the user's cache folder (private to them), so a report
    does not spend its time compiling the same template again; keyed by the source, so an
    edited template is compiled afresh. No cache when the folder is not safely ours."""

    class Cache(FileSystemBytecodeCache):
        def dump_bytecode(self, bucket) -> None:
            with suppress(OSError):
                super().dump_bytecode(bucket)

    folder = get_settings().cache_dir() / "templates"
    # The pattern names the sandbox's generation: code compiled before the loop checks
    # existed must never be loaded.
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = folder.stat()
    except OSError:
        return None
    if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o077):
        return None
    return Cache(str(folder), pattern="sandbox-2-%s.cache")


@lru_cache(maxsize=16)
def environment(search: tuple[Path, ...], fmt: str):
    """The shared hardened sandbox (``transition.sandbox``, the same as runbooks'), with
    the report's filters; HTML autoescaped, Markdown escaped by ``_md_finalize``."""
    html = fmt == "html"
    return sandbox.environment(
        loader=FileSystemLoader([str(p) for p in search]),
        bytecode_cache=_bytecode_cache(),
        undefined=StrictUndefined,
        autoescape=html,
        finalize=None if html else _md_finalize,
        filters={
            "md": _md,
            "d": _fmt_date,
            "pct": _pct,
            "slip": _slip,
            **({} if html else {"join": _md_join, "code": _md_code}),
        },
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(
    context: Mapping[str, object],
    fmt: str = "md",
    *,
    templates: str | Path | None = None,
    name: str | None = None,
) -> str:
    """The report laid out by its template (``context``: the report's data with its
    charts) in the shared sandbox, under its time and size limits; a user template that
    fails names its file and line. ``name``: a shipped template other than the report's
    (the appendix)."""
    if fmt not in FORMATS:
        raise BadInput(f"invalid report format {fmt!r}: choose md or html", field="fmt")
    user = template_dir(templates) if name is None else None
    name = name or f"status.{fmt}.j2"
    search: tuple[Path, ...] = (SHIPPED,)
    if user is not None and (user / f"report.{fmt}.j2").is_file():
        name, search = f"report.{fmt}.j2", (user.resolve(), SHIPPED)
    return rendering.render(
        environment(search, fmt),
        name,
        {**context, "fmt": fmt},
        label=f"report template {name}",
        trusted=user is None,
    )
