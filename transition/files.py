"""The one way the program writes a file: atomically, in the file's own folder.

``write_file`` writes the data to a temporary file beside the target, flushes it to disk
(fsync) and renames it over the target (``os.replace``), so a reader sees either the old
file or the new one, never a part, and a failure (a full disk, an interrupted run) leaves
the target as it was and no temporary file behind. (The folder itself is not synced: after
a power loss the rename may be lost, leaving the previous file whole, never a part.) The target must be a regular file or
not exist yet: a symbolic link, a folder, a device node, a FIFO or a socket is refused
(``BadInput``, exit 2) and left untouched, so ``-o /dev/full`` cannot replace a device and
``-o link`` cannot write through a link. ``-`` and ``/dev/stdout`` mean standard output,
on purpose (``write_output``).

Modes: exports, reports, calendars and checklists may hold sensitive data and are written
readable by their owner only (``PRIVATE``, 0600); runbooks are documents a team commits
and shares, written ``SHARED`` (0644).
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from transition.errors import BadInput, Refused

PRIVATE = 0o600
SHARED = 0o644
STDOUT = ("-", "/dev/stdout")
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def _why(exc: OSError) -> str:
    if exc.errno in _FULL:
        return "disk full"
    return exc.strerror or str(exc)


def check_target(path: Path | str) -> os.stat_result | None:
    """The target's ``lstat`` (None when it does not exist yet); anything but a regular
    file, or a folder that does not exist, is bad input."""
    target = Path(path)
    try:
        info = os.lstat(target)
    except (FileNotFoundError, NotADirectoryError):
        info = None
    except OSError as exc:
        raise BadInput(f"cannot write {target}: {_why(exc)}") from None
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise BadInput(f"{target} is a symbolic link; refusing to write through it")
        if stat.S_ISDIR(info.st_mode):
            raise BadInput(f"{target} is a directory; give a file name")
        if not stat.S_ISREG(info.st_mode):
            raise BadInput(
                f"{target} is not a regular file (a device, FIFO or socket); refusing to replace it"
            )
        return info
    no_folder(target)
    return None


def no_folder(target: Path) -> None:
    """Bad input naming why ``target`` cannot be created: its folder is missing, or is
    a file."""
    folder = target.parent
    if folder.is_dir():
        return
    if folder.exists() or folder.is_symlink():
        raise BadInput(f"cannot write {target}: {folder} is not a folder")
    raise BadInput(f"cannot write {target}: folder {folder} does not exist")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


#: Text given in pieces is written in blocks of about this many bytes; a piece of at
#: least ``WHOLE`` bytes is written as it is (not copied into a block).
BLOCK = 1 << 20
WHOLE = 1 << 16

#: What a file is written from: its text or bytes whole, or in pieces of text or UTF-8
#: (a large export streams into the file without being held as one string).
Content = str | bytes | Iterable[str | bytes]


def _blocks(data: Content) -> Iterator[bytes]:
    """``data`` as UTF-8 in blocks: small pieces gathered to about ``BLOCK`` bytes, a
    piece of ``WHOLE`` bytes or more passed on as it is."""
    if isinstance(data, str):
        yield data.encode("utf-8")
    elif isinstance(data, bytes | bytearray):
        yield bytes(data)
    else:
        pending: list[bytes] = []
        size = 0
        for piece in data:
            if isinstance(piece, str):
                piece = piece.encode("utf-8")
            if len(piece) >= WHOLE:
                if pending:
                    yield b"".join(pending)
                    pending, size = [], 0
                yield piece
                continue
            pending.append(piece)
            size += len(piece)
            if size >= BLOCK:
                yield b"".join(pending)
                pending, size = [], 0
        if pending:
            yield b"".join(pending)


def write_file(
    path: Path | str, data: Content, *, mode: int = PRIVATE, replace: bool = True
) -> Path:
    """Write ``data`` to ``path`` atomically with ``mode``. Without ``replace`` an existing
    file is never replaced (``Refused``), even one that appears while writing."""
    target = Path(path).expanduser()
    existing = check_target(target)
    if existing is not None and not replace:
        raise Refused(f"{target} already exists; use --force to overwrite")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise BadInput(f"cannot write {target}: {_why(exc)}") from None
    try:
        try:
            for block in _blocks(data):
                _write_all(fd, block)
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # fails if the name exists meanwhile
            except FileExistsError:
                raise Refused(f"{target} already exists; use --force to overwrite") from None
            os.unlink(tmp)
    except OSError as exc:
        raise BadInput(f"cannot write {target}: {_why(exc)}") from None
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    return target


def write_output(path: Path | str, data: Content, *, mode: int = PRIVATE) -> Path | None:
    """``-o`` of a command: ``-`` or ``/dev/stdout`` writes to standard output (and returns
    None); anything else goes through ``write_file``."""
    if str(path) in STDOUT:
        sys.stdout.flush()
        for block in _blocks(data):
            sys.stdout.buffer.write(block)
        sys.stdout.flush()
        return None
    return write_file(path, data, mode=mode)


def write_private(path: Path | str, text: Content) -> Path | None:
    """An export, report, calendar or checklist: readable by its owner only."""
    return write_output(path, text, mode=PRIVATE)


class Unreadable(Exception):
    """An input file that cannot be read as one (the message says why)."""


class Missing(Unreadable):
    """The input file does not exist."""


def read_input(path: Path | str, limit: int, *, kind: str, noun: str = "file") -> bytes:
    """The bytes of an input file, read at most ``limit`` of them: only a regular file is
    read (opened without blocking, so a FIFO with no writer cannot hang the command, and a
    device such as ``/dev/zero`` is never read), and the limit holds while reading even if
    the file grows after it was measured. Problems raise ``Unreadable``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise Missing(f"{path}: file not found") from None
    except OSError as exc:
        raise Unreadable(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise Unreadable(f"{path}: is a directory, not a {kind} file")
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"{path}: not a regular file (a device, FIFO or socket)")
        if info.st_size > limit:
            raise Unreadable(
                f"{path}: {noun} is {info.st_size:,} bytes; the limit is {limit:,} bytes"
            )
        os.set_blocking(fd, True)
        chunks, total = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise Unreadable(f"{path}: {noun} is over the limit of {limit:,} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise Unreadable(f"{path}: cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


#: Endings that make a one-word value a file name (``--minutes notes.md``).
_SUFFIXES = (
    "md markdown txt text rst adoc asciidoc org html htm log csv json yaml yml "
    "doc docx odt rtf pdf eml"
)
TEXT_SUFFIXES = frozenset(_SUFFIXES.split())


def looks_like_path(value: str) -> bool:
    """Whether ``value`` is clearly meant as a path: one word (no whitespace) that starts
    at a folder (``/``, ``./``, ``../``, ``~/``), ends with a separator, or ends in a
    document's suffix such as ``.md`` or ``.txt``. Words such as ``n/a`` or ``24/7`` are
    not paths."""
    if not value or any(ch.isspace() for ch in value):
        return False
    seps = tuple(sep for sep in ("/", os.sep, os.altsep) if sep)
    starts = tuple(f"{lead}{sep}" for lead in ("", ".", "..", "~") for sep in seps)
    if value.startswith(starts) or value.endswith(seps):
        return True
    stem, dot, suffix = value.rpartition(".")
    return bool(stem and dot) and suffix.lower() in TEXT_SUFFIXES


def text_or_file(value: str, *, what: str, limit: int) -> str:
    """A ``TEXT_OR_FILE`` value: the text of the file it names, or else the value itself.

    A value naming an existing file gives that file's text (a regular file of at most
    ``limit`` bytes, UTF-8); one naming a folder is bad input; one clearly meant as a path
    (``looks_like_path``) that names nothing is bad input too, never kept as the text by
    mistake. Anything else is the text. ``what`` names the text in messages ("minutes")."""
    if not value.strip() or "\n" in value or "\0" in value or len(value) >= 4096:
        return value
    path = Path(os.path.expanduser(value))
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        info = None
    except (OSError, ValueError) as exc:
        if not looks_like_path(value):
            return value
        raise BadInput(f"{value}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    if info is None:
        if not looks_like_path(value):
            return value
        raise BadInput(
            f"{value}: no such file (if these words are the {what} themselves, write them "
            "in a file and give its path)"
        )
    if stat.S_ISDIR(info.st_mode):
        raise BadInput(f"{value} is a folder, not a file of {what}")
    try:
        return read_input(path, limit, kind="text", noun=f"{what} file").decode("utf-8")
    except Unreadable as exc:
        raise BadInput(str(exc)) from None
    except UnicodeDecodeError:
        raise BadInput(f"{value}: the {what} file is not UTF-8 text") from None
