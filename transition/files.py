"""Writing files the tool produces (reports, exports): readable by their owner only."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from transition.errors import BadInput


def write_private(path: Path | str, text: str) -> Path:
    """Write ``text`` to ``path`` atomically with mode 0600 (an existing file is replaced)."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise BadInput(f"{target} is a directory; give a file name")
    folder = target.parent
    if not folder.is_dir():
        raise BadInput(f"cannot write {target}: folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    except OSError as exc:
        raise BadInput(f"cannot write {target}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise BadInput(f"cannot write {target}: {exc.strerror}") from None
    return target
