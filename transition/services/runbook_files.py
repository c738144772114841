"""Where a runbook file goes, and how it is read and written without leaving its folder.

The path is ``<out>/<system-slug>/<template>.md``, built from slugs only and checked after
resolving, so no system or template name (``../``, absolute paths, control characters,
symbolic links) can write outside ``out``. Files are read through the one bounded reader
(``files.read_input``: a FIFO or device is never read) and written through the one
atomic writer (``files.write_file``), readable by the team: runbooks are shared.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from pathlib import Path

from transition.errors import BadInput, Refused
from transition.files import SHARED, Unreadable, read_input, write_file
from transition.text import is_slug, slugify

PLACEHOLDER = "[[FILL:"
#: How a conflict region an update left in a file starts (``runbook_update``).
CONFLICT_START = "<<<<<<<"
MAX_READ = 8 * 1024 * 1024
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def target(out_dir: Path | str, system_slug: str, template: str) -> tuple[Path, Path]:
    """``(out folder resolved, file path)``; refuses anything that would leave the folder."""
    folder_name = slugify(system_slug)
    if not is_slug(folder_name):
        raise BadInput(f"system {system_slug!r} gives no usable folder name", field="system")
    if not _SLUG.match(template):
        raise BadInput(f"invalid template name {template!r}", field="template")
    base = Path(out_dir).expanduser()
    if base.exists() and not base.is_dir():
        raise BadInput(f"output folder {str(out_dir)!r} exists and is not a folder")
    base = _resolve(base)
    path = base / folder_name / f"{template}.md"
    inside(base, path)
    return base, path


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop
        raise BadInput(f"cannot use {path}: {getattr(exc, 'strerror', None) or exc}") from None


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BadInput(f"cannot use {path}: {exc.strerror or exc}") from None


def inside(base: Path, path: Path) -> bool:
    """Refuse ``path`` (``base/<slug>/<slug>.md``, ``base`` resolved) if writing it
    could land outside ``base``. Both names are slugs (no separators, no dots), so only a
    symbolic link can lead out: the system folder as a link is followed and must stay
    inside; the file itself as a link is always refused. True when the folder exists."""
    folder = path.parent
    found = _lstat(folder)
    if found is not None and stat.S_ISLNK(found.st_mode):
        real = _resolve(folder)
        if not real.is_relative_to(base):
            raise BadInput(
                f"refusing to write {path}: it resolves outside the output folder {base} "
                "(through a symbolic link?)"
            )
        found = _lstat(real)
    if found is None:
        return False
    if not stat.S_ISDIR(found.st_mode):
        raise BadInput(f"{folder} exists and is not a folder")
    file = _lstat(path)
    if file is not None and stat.S_ISLNK(file.st_mode):
        raise BadInput(f"{path} is a symbolic link; refusing to write through it")
    if file is not None and not stat.S_ISREG(file.st_mode):
        raise BadInput(f"{path} exists and is not a file")
    return True


def write(base: Path, path: Path, text: str, *, force: bool) -> None:
    """Write the file, readable by the team. Without ``force`` an existing one is never
    replaced, not even one that appears meanwhile."""
    try:
        if not inside(base, path):
            path.parent.mkdir(parents=True, exist_ok=True)
            inside(base, path)  # again, now that the folder exists
    except OSError as exc:
        raise BadInput(f"cannot write {path}: {exc.strerror or exc}") from None
    write_file(path, text, mode=SHARED, replace=force)


def write_many(items: list[tuple[Path, Path, str]]) -> None:
    """Write many runbooks (``(base, path, text)``, each file existing or not), each one
    atomically: every new text goes to a temporary file beside its target, one
    ``os.sync`` makes all of them durable (one flush instead of one ``fsync`` per file,
    which costs milliseconds each on a virtual disk), then each is renamed into place and
    a second ``os.sync`` makes the renames durable. A reader sees the old text or the new,
    never a part, and after a crash each file is old or new: its new data was on disk
    before its rename. A failure before the renames leaves every file as it was."""
    import tempfile

    from transition.files import check_target

    staged: list[tuple[str, Path]] = []
    try:
        for base, path, text in items:
            if not inside(base, path):
                path.parent.mkdir(parents=True, exist_ok=True)
                inside(base, path)
            check_target(path)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            staged.append((tmp, path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(text.encode("utf-8"))
                os.fchmod(handle.fileno(), SHARED)
        renamed = bool(staged)
        if renamed:
            os.sync()  # the data of every new file, before any rename points at it
        while staged:
            tmp, path = staged[0]
            os.replace(tmp, path)
            staged.pop(0)
        if renamed:
            os.sync()  # the renames
    except OSError as exc:
        where = staged[0][1] if staged else "runbook files"
        raise BadInput(f"cannot write {where}: {exc.strerror or exc}") from None
    finally:
        for tmp, _ in staged:
            if os.path.lexists(tmp):
                os.unlink(tmp)


def read_existing(path: Path) -> bytes | None:
    """The regular file now at ``path`` (None when there is none)."""
    if _lstat(path) is None:
        return None
    try:
        return read_input(path, MAX_READ, kind="runbook")
    except Unreadable as exc:
        raise BadInput(str(exc)) from None


def keep_original(path: Path, data: bytes) -> Path:
    """Keep an edited file about to be replaced as ``NAME.md.orig``, never losing an
    earlier one."""
    orig = path.with_name(path.name + ".orig")
    found = _lstat(orig)  # anything but a regular file is refused by write_file
    if found is not None and stat.S_ISREG(found.st_mode) and read_existing(orig) != data:
        raise Refused(
            f"{orig} already exists (kept by an earlier --discard-edits); move it away "
            "first so that it is not lost"
        )
    write_file(orig, data, mode=SHARED)
    return orig


def lines_differ(old: str, new: str) -> int:
    """How many lines an edit changed (added, removed or replaced), as a diff counts."""
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    return sum(
        max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"
    )


def placeholders_left(path: str) -> int | None:
    """``[[FILL:`` markers in the file now, or None when it cannot be read (missing, not a
    regular file, over the size limit)."""
    found = scan(path)
    return None if found is None else found[0]


def count_conflicts(text: str) -> int:
    """Conflict regions in a runbook's text: lines starting with ``<<<<<<<``."""
    if CONFLICT_START not in text:
        return 0
    return sum(1 for line in text.splitlines() if line.startswith(CONFLICT_START))


def scan(path: str) -> tuple[int, int] | None:
    """``([[FILL: markers, conflict regions)`` in the file now, or None when it cannot be
    read (missing, not a regular file, over the size limit)."""
    data = _read(path)
    if data is None:
        return None
    # Both markers are ASCII, which decoding never merges into or out of other bytes: the
    # bytes are counted as they are, and decoded only to find conflict lines.
    left = data.count(_PLACEHOLDER_BYTES)
    # a file without its first character (found by one quick byte search) has no conflict
    if _CONFLICT_BYTES[:1] not in data or _CONFLICT_BYTES not in data:
        return left, 0
    return left, count_conflicts(data.decode("utf-8", errors="replace"))


def _read(path: str) -> bytes | None:
    """The file's bytes as ``read_input`` reads them, or None when it cannot be read. A
    regular file within the limit is read by one call asking for one byte more than its
    size (a regular file's read stops short only at its end); a file that grew meanwhile
    is read again as any input."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        size = info.st_size
        if not stat.S_ISREG(info.st_mode) or size > MAX_READ:
            return None
        data = os.read(fd, size + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) <= size:
        return data
    try:
        return read_input(path, MAX_READ, kind="runbook")
    except Unreadable:
        return None


#: What ``read_input`` opens a file with: never blocking on a FIFO.
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_PLACEHOLDER_BYTES = PLACEHOLDER.encode()
_CONFLICT_BYTES = CONFLICT_START.encode()


def fill(
    found: tuple[int, int] | None, skeleton: int | None, recorded: int | None
) -> tuple[int, int | None, int, float | None]:
    """(placeholders in all, left, conflicts, fill ratio) of a runbook whose file holds
    ``found`` (``files.scan``; None: unreadable) with ``skeleton`` placeholders generated
    and ``recorded`` conflicts known (what counts while the file cannot be read)."""
    left, conflicts = (None, recorded or 0) if found is None else found
    # a conflict region is unfilled until someone resolves it
    total = (skeleton or 0) + (conflicts if found else 0)
    if left is None:
        return total, None, conflicts, None
    ratio = 1.0 if total == 0 else round(min(1.0, max(0.0, 1 - (left + conflicts) / total)), 4)
    return total, left, conflicts, ratio
