"""How big a value a template built is, as the sandbox measures it (``sandbox.weight``):
characters of text plus items of structures reachable from it, counting a shared item each
time it is reached (as ``str()`` would), up to a cap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CONTAINERS = (list, tuple, dict, set, frozenset)
#: Items measured between two looks at the clock (``tick``).
STEP = 16_384


def measure(value: Any, cap: int, tick: Callable[[], None]) -> int:
    """Characters of text plus items of structures reachable from ``value``, counting a
    shared item each time it is reached (as ``str()`` would); an upper bound is enough
    once it passes ``cap``. Shared parts are measured once, so ``[x, x]`` nested sixty
    times costs sixty steps, not 2**60; a structure stops being measured as soon as it
    passes ``cap`` (a million references to one huge part cost one step), and a long
    measure calls ``tick`` every ``STEP`` items (the sandbox's time limit)."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, range):
        return len(value) + 1
    if not isinstance(value, CONTAINERS):
        return int_weight(value)
    memo: dict[int, int] = {}
    keep: list[Any] = []  # ids stay valid while measuring
    active: set[int] = set()  # the structures being measured (a cycle counts 1)
    # Each frame: the structure, its children still to measure, its total so far.
    stack: list[list[Any]] = []
    steps = 0

    def enter(item: Any) -> None:
        children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
        stack.append([item, iter(children), len(item) + 1])
        active.add(id(item))

    enter(value)
    while stack:
        frame = stack[-1]
        item, children, total = frame
        inner = None
        if total <= cap:
            for child in children:
                steps += 1
                if not steps % STEP:
                    tick()
                if isinstance(child, str | bytes):
                    total += len(child)
                elif isinstance(child, CONTAINERS):
                    known = memo.get(id(child))
                    if known is not None:
                        total += known
                    elif id(child) in active:
                        total += 1
                    else:
                        inner = child
                        break
                elif isinstance(child, range):
                    total += len(child) + 1
                else:
                    total += int_weight(child)
                if total > cap:
                    break
        frame[2] = total
        if inner is not None:
            enter(inner)
            continue
        stack.pop()
        active.discard(id(item))
        memo[id(item)] = size = min(total, cap + 1)
        keep.append(item)
        if stack:
            stack[-1][2] += size
    return memo[id(value)]


def int_weight(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() // 3 + 1
    return 1
