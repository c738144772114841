"""Where shipped data lives: inside the installed package, or the source tree's top level."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from transition.settings import get_settings

_PACKAGE = Path(__file__).resolve().parent


@cache
def shipped(kind: str) -> Path:
    """``playbooks`` or ``runbook_templates``: the installed copy (wheel) or the checkout's."""
    installed = _PACKAGE / "_shipped" / kind
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / kind


#: A user-given name that is really a file path (``./x.yaml``, ``dir/x``, ``x.yml``).
LOOKS_LIKE_PATH = re.compile(r"[/\\]|\.ya?ml$")


def search_dirs(sub: str = "") -> list[Path]:
    """The user's ``TRANSITION_PLAYBOOKS`` folders (first), then the shipped playbooks;
    ``sub`` names a subfolder of each (``handover`` for exit checklists)."""
    dirs = [folder / sub for folder in get_settings().playbooks]
    dirs.append(shipped("playbooks") / sub)
    return dirs


def yaml_files(folders: Iterable[Path]) -> dict[str, Path]:
    """YAML files by stem; the first folder that has a name wins."""
    found: dict[str, Path] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for file in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            found.setdefault(file.stem, file)
    return found
