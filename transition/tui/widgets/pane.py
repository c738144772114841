"""What every tab of the engagement screen shares. Each pane loads its own data in a
thread worker the first time it is shown (and again after a change), and keeps long lists
paged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from transition.tui.screens.base import WRITE, DataMixin, refused_archived
from transition.tui.widgets.paged_table import Column, PagedTable, fit_cells

TASK_MARK = {"todo": "○", "in_progress": "◐", "blocked": "■", "done": "✓", "skipped": "–"}

if TYPE_CHECKING:
    from transition.services.views.overview import EngagementOverview


def day(value: date | datetime | None) -> str:
    """A date, or a time in UTC (as stored, and as the column headings say)."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


Row = TypeVar("Row")


class Pane(DataMixin, Vertical, Generic[Row]):
    """A tab's content. ``activate()`` loads it when shown if it is stale; ``Row`` is what
    one row of its table shows."""

    @dataclass
    class Changed(Message):
        """Posted after a change, so the engagement screen refreshes its header."""

        pane: Pane

    @dataclass
    class Loaded(Message):
        """The pane's rows, read in its worker (``read_into(self.Loaded, ...)``)."""

        rows: list[Any]

    #: (key, label) of the table's columns, added when the pane mounts.
    COLUMNS: ClassVar[tuple[Column | tuple[str, str], ...]] = ()
    #: The pane's name: its table is ``#KEY-table``, the note under it ``#KEY-note`` (if
    #: ``NOTE``), and its reads run in the worker group ``KEY``.
    KEY: ClassVar[str] = ""
    NOTE: ClassVar[bool] = True

    def __init__(self, slug: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.slug = slug
        self.engagement: EngagementOverview | None = None
        self.stale = True
        #: The rows shown, by the table's row key.
        self.rows: dict[str, Row] = {}

    def compose(self) -> ComposeResult:
        yield PagedTable(id=f"{self.KEY}-table")
        if self.NOTE:
            yield Static("", id=f"{self.KEY}-note", classes="note", markup=False)

    def on_mount(self) -> None:
        if self.COLUMNS:
            self.table.declare(self.COLUMNS)

    def on_pane_loaded(self, message: Loaded) -> None:
        self.show_rows(message.rows)

    def show_rows(self, rows: list[Row]) -> None:  # pragma: no cover - users of Loaded override it
        raise NotImplementedError

    def current(self) -> Row | None:
        """The row under the cursor, if any."""
        return self.rows.get(self.table.current_key() or "")

    def write_then(
        self,
        note: str | Callable[[Any], str],
        change: Callable[..., Any],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        """``change(*args, **kwargs)`` through the backend in a thread worker, then
        ``changed(note)`` (``note(result)`` if a function) on the UI thread."""

        def work() -> None:
            result = self.backend.write(change, *args, **kwargs)
            self.app.call_from_thread(self.changed, note(result) if callable(note) else note)

        self.run_worker(work, thread=True, exclusive=True, exit_on_error=False, group=WRITE)

    def prefetch(self, engagement: EngagementOverview) -> Message | None:
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

    def refuse_change(self, action: str) -> bool:
        """Whether ``action`` is refused at once: it would change an archived engagement
        (the app asks before running any action: ``TransitionApp.run_action``)."""
        return refused_archived(self, self.engagement, action)

    @property
    def table(self) -> PagedTable:
        return self.query_one(PagedTable)

    def note(self, text: str) -> None:
        """Show ``text`` in the note under the table."""
        self.query_one(f"#{self.KEY}-note", Static).update(text)

    def open_form(self, form: Screen[Any], note: Callable[[Any], str]) -> None:
        """Show ``form``; when it closes with a result, ``changed(note(result))``."""

        def done(result: Any) -> None:
            if result is not None:
                self.changed(note(result))

        self.app.push_screen(form, done)

    def inspect(self, inspector: type[Any], ref: str | int) -> None:
        """Read ``ref`` and open an ``inspector`` (a ``screens.inspector.Inspector``) on
        it over the tab; when it closes having changed something, the tab reloads."""

        def closed(touched: Any) -> None:
            if touched:
                self.changed()

        inspector.show(self, self.slug, ref, closed)

    def people_options(self, side: str | None = None) -> list[tuple[str, str]]:
        people = self.engagement.people if self.engagement else []
        return [(p.name, p.name) for p in people if side is None or p.side == side]

    def system_options(self) -> list[tuple[str, str]]:
        return [(s, s) for s in self.engagement.systems] if self.engagement else []


def shown_path(value: str) -> str:
    """A path under the current folder is shown relative to it (shorter, and the same on
    every machine)."""
    import os

    here = os.getcwd().rstrip(os.sep) + os.sep
    return value.replace(here, "") if here in value else value


def short(value: str | None, width: int = 40) -> str:
    if value is None:
        return "∅"
    return fit_cells(shown_path(" ".join(str(value).split())), width)
