"""A module imported on first use: the command modules name the services they call at
the top, but load them (and with them the ORM) only when a command runs, so ``--help``,
``--version`` and shell completion never pay for the database layer.

Not ``importlib.util.LazyLoader``: that puts a stand-in into ``sys.modules``, and the
import system's own probes of it (``from transition.services import tasks`` asks it for
``__path__``) load the module at once, ORM and all, during ``task --help``."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name``; its first attribute read imports it."""

    __slots__ = ("_name", "_module")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        if self._module is None:
            self._module = import_module(self._name)
        return getattr(self._module, attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy(name: str) -> Any:
    """``tasks = lazy("transition.services.tasks")``: ``tasks.list_tasks`` imports it."""
    return LazyModule(name)
