"""The playbooks the tool knows, by the ``name`` they declare.

A playbook is named by its ``name:`` key (what ``playbook list`` shows and an engagement
records), not by its file name: the index reads the top-level ``name`` and ``version``
of every playbook file in the user's folders and the shipped one (kept in memory while
the files do not change). Several files may hold versions of one name; the highest
version is the one a new engagement starts from and the one an older engagement is
offered as an upgrade.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from transition.resources import search_dirs


@dataclass(frozen=True)
class Available:
    name: str
    version: int
    path: Path


_SEEN: dict[tuple[str, int, int], tuple[str, int] | None] = {}


def _name_version(path: Path) -> tuple[str, int] | None:
    """A playbook file's name and version (None: not a playbook the tool can read)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _SEEN:
        data = _header(path)
        found = None
        if isinstance(data, dict):
            name, version = data.get("name"), data.get("version", 1)
            if isinstance(name, str) and isinstance(version, int) and not isinstance(version, bool):
                found = (name, version)
        _SEEN[key] = found
    return _SEEN[key]


def _header(path: Path) -> dict[str, object] | None:
    """A playbook file's top-level ``name`` and ``version``, read from its event stream
    (the whole file composed only when they are not plain values); None when the file
    cannot be read or parsed. A playbook that parses but is not valid is offered, and
    refused with its problems when it is loaded."""
    from transition.yamlfile import NotPlain, load_yaml, read_text, top_level

    try:
        try:
            return top_level(read_text(path), _HEADER)
        except NotPlain:
            data, _ = load_yaml(path)
            return data if isinstance(data, dict) else None
    except Exception:  # an unreadable file offers no version
        return None


_HEADER = frozenset({"name", "version"})


def latest() -> dict[str, Available]:
    """Per playbook name, its highest version among the user's and the shipped files
    (the user's folder first when two files hold the same version)."""
    out: dict[str, Available] = {}
    for folder in search_dirs():
        if not folder.is_dir():
            continue
        for file in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            found = _name_version(file)
            if found is None:
                continue
            name, version = found
            if name not in out or version > out[name].version:
                out[name] = Available(name, version, file)
    return out


def find(name: str) -> Available | None:
    """The newest version of the playbook named ``name`` (its ``name:`` key, in any
    case), or None."""
    index = latest()
    found = index.get(name)
    if found is None:
        folded = name.casefold()
        found = next((a for n, a in sorted(index.items()) if n.casefold() == folded), None)
    return found
