"""Rendering one template of a sandboxed environment, runbook skeleton or report alike.

Every environment comes from the one factory, ``sandbox.environment``; ``render`` runs a
template under the sandbox's time and size limits and turns every way it can fail
(syntax, an undefined variable, unsafe attribute access, a limit, a Python error the
template caused) into one ``BadInput`` naming the template file and line.
"""

from __future__ import annotations

from collections.abc import Mapping

from jinja2 import Environment, TemplateNotFound
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError, UndefinedError

from transition import sandbox
from transition.errors import BadInput

#: What a template can make Python raise while it renders (a user's mistake, not a bug).
_PYTHON_ERRORS = (
    TypeError,
    ValueError,
    AttributeError,
    LookupError,
    ArithmeticError,
    RecursionError,
    MemoryError,
    SyntaxError,  # Python's own limits on the compiled template (deeply nested loops)
)


def line_of(exc: BaseException, filename: str) -> int | None:
    """The template line an exception was raised from (Jinja rewrites tracebacks so that
    template frames carry the template's file name and line)."""
    line = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render(
    env: Environment,
    name: str,
    context: Mapping[str, object],
    *,
    label: str,
    trusted: bool = False,
) -> str:
    """The template ``name`` of ``env`` (made by ``sandbox.environment``) rendered with
    ``context``. Every failure is one ``BadInput`` ``FILE:LINE: what`` (``label``: how the
    message names the template); a Python error in a ``trusted`` (shipped) template is a
    bug and is raised as it is."""
    filename = name
    try:
        template = env.get_template(name)
        filename = template.filename or name
        return sandbox.render(template, context)
    except TemplateSyntaxError as exc:
        raise BadInput(f"{exc.filename or filename}:{exc.lineno}: {exc.message}") from None
    except (TemplateError, *_PYTHON_ERRORS) as exc:
        if trusted and not isinstance(exc, TemplateError):
            raise
        line = line_of(exc, filename)
        where = f"{filename}:{line}" if line else filename
        raise BadInput(f"{where}: {_problem(exc, label)}") from None


def _problem(exc: BaseException, label: str) -> str:
    if isinstance(exc, sandbox.LimitExceeded):
        return f"{label} stopped: {exc}"
    if isinstance(exc, SecurityError):
        return f"{label} tried unsafe attribute access ({exc})"
    if isinstance(exc, UndefinedError):
        return f"undefined variable: {exc.message}"
    if isinstance(exc, TemplateNotFound):
        return f"template {exc} not found"
    if isinstance(exc, TemplateError):
        return str(exc.message or exc)
    return f"{label} failed: {exc}"
