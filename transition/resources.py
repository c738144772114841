"""Where shipped data lives: inside the installed package, or the source tree's top level."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def shipped(kind: str) -> Path:
    """``playbooks`` or ``runbook_templates``: the installed copy (wheel) or the checkout's."""
    installed = _PACKAGE / "_shipped" / kind
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / kind
