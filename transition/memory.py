"""The garbage collector kept out of the way, once per process.

What a process has loaded when it settles (SQLAlchemy, the models, the command's services
or the TUI's screens) lives until it exits: frozen, the collector no longer walks it on
each full pass, and young objects are collected in larger batches. Reading thousands of
rows, or building a screen, makes as many short-lived objects; without this a quarter to a
third of the time went to collections.
"""

from __future__ import annotations

import gc

_settled = False


def settle() -> None:
    """Freeze what is loaded and collect young objects in larger batches (once)."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.freeze()
    gc.set_threshold(5_000, 10, 10)
