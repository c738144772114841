"""How many names a reason lists before it says "and N more": a few on one line in the
CLI, every one of them where there is room to scroll (the TUI's gate dialog)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

#: Names listed before "and N more"; None lists every one.
_LIMIT: ContextVar[int | None] = ContextVar("listed_names", default=5)


def names(items: Sequence[str], limit: int = 5) -> str:
    """``a, b, c, d, e and 3 more``, or every item inside ``every_name()``."""
    if _LIMIT.get() is None:
        return ", ".join(items)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


@contextmanager
def every_name() -> Iterator[None]:
    """Reasons judged inside list every name."""
    token = _LIMIT.set(None)
    try:
        yield
    finally:
        _LIMIT.reset(token)
