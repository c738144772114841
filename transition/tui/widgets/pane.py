"""What every tab of the engagement screen shares. Each pane loads its own data in a
thread worker the first time it is shown (and again after a change), and keeps long lists
paged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from textual.containers import Vertical
from textual.message import Message

from transition.tui.screens.base import DataMixin
from transition.tui.widgets.paged_table import Column, PagedTable

TASK_MARK = {"todo": "○", "in_progress": "◐", "blocked": "■", "done": "✓", "skipped": "–"}


def day(value: date | datetime | None) -> str:
    """A date, or a time in UTC (as stored, and as the column headings say)."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


class Pane(DataMixin, Vertical):
    """A tab's content. ``activate()`` loads it when shown if it is stale."""

    @dataclass
    class Changed(Message):
        """Posted after a change, so the engagement screen refreshes its header."""

        pane: Pane

    #: (key, label) of the table's columns, added when the pane mounts.
    COLUMNS: ClassVar[tuple[Column | tuple[str, str], ...]] = ()

    def __init__(self, slug: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.slug = slug
        self.engagement: dict[str, Any] | None = None
        self.stale = True

    def on_mount(self) -> None:
        if self.COLUMNS:
            self.table.declare(self.COLUMNS)

    def prefetch(self, engagement: dict[str, Any]) -> Message | None:
        """The pane's first data, fetched in the engagement screen's loading thread when
        the pane is about to be shown, saving a second round trip; None: it loads itself."""
        return None

    def activate(self, first: Message | None = None) -> None:
        if self.stale:
            self.stale = False
            if first is None:
                self.reload()
            else:
                self.show_first(first)
        focused = self.screen.focused
        if focused is None or self not in focused.ancestors:
            tables = self.query(PagedTable)
            if tables:
                tables.first().focus()

    def show_first(self, first: Message) -> None:
        """Show what ``prefetch`` fetched."""
        self.post_message(first)

    def changed(self, note: str | None = None) -> None:
        if note:
            self.notify(note)
        self.post_message(self.Changed(self))
        self.reload()

    @property
    def table(self) -> PagedTable:
        return self.query_one(PagedTable)

    def people_options(self, side: str | None = None) -> list[tuple[str, str]]:
        people = (self.engagement or {}).get("people", [])
        return [(p.name, p.name) for p in people if side is None or p.side == side]


def shown_path(value: str) -> str:
    """A path under the current folder is shown relative to it (shorter, and the same on
    every machine)."""
    import os

    here = os.getcwd().rstrip(os.sep) + os.sep
    return value.replace(here, "") if here in value else value


def short(value: str | None, width: int = 40) -> str:
    if value is None:
        return "∅"
    text = shown_path(" ".join(str(value).split()))
    return text if len(text) <= width else text[: width - 1] + "…"
