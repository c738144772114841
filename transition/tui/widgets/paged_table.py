"""A DataTable that is given its rows a page at a time: it shows the first page, keeps
every page loaded so far, and asks for the next as the cursor nears the end of them, so
a list of 100,000 rows paints as fast as one of 200.

Every cell is shown as literal text (a name such as ``Billing [legacy]`` is not markup),
and every column is sized when its cells are given, not later: DataTable measures new
cells only when its message queue next runs empty, and a paint before that showed every
column at its header's width.

``/`` filters any list as you type and ``>`` / ``<`` (or a click on a heading) sort it. A
list given whole is filtered and sorted here, on the text its cells show; a paged list
(``remote``) cannot be, since most of its rows are not loaded: the table posts ``Query``
and its owner reads the first page again with the filter and the order in the query."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import HorizontalGroup
from textual.message import Message
from textual.render import measure
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label

from transition.tui.commands import registry as cmd

Cells = Sequence[Any]


def literal(value: Any) -> Text:
    """A cell as literal text: strings are never read as markup."""
    if isinstance(value, Text):
        return value
    return Text("" if value is None else str(value), end="")


@dataclass(frozen=True)
class Sort:
    """A list's order: by the column keyed ``column``, ascending unless ``descending``."""

    column: str
    descending: bool = False


#: What a cell shows when it holds nothing: sorted last, whichever the direction.
EMPTY = frozenset({"", "–", "-", "∅"})
_NUMBER = re.compile(r"(\d+)")


def natural(text: str) -> tuple[Any, ...]:
    """A cell's text as a sort key: numbers by value (``9d`` before ``12d``), the rest
    without case."""
    return tuple(
        (0, int(part)) if i % 2 else (1, part.casefold())
        for i, part in enumerate(_NUMBER.split(text))
        if part
    )


def words(text: str) -> list[str]:
    """The words of a filter, folded (each must appear in some column of a row)."""
    return [w.casefold() for w in text.split()]


class FilterBar(HorizontalGroup):
    """The line above a list while it is filtered: ``/``, what is typed, and how many rows
    match. Part of its table: it hands what is typed to it."""

    DEFAULT_CSS = """
    FilterBar { height: 1; background: $boost; }
    FilterBar > .filter-prompt { width: auto; padding: 0 0 0 1; color: $accent; }
    FilterBar > Input { width: 1fr; }
    FilterBar > .filter-count { width: auto; padding: 0 1; color: $text-muted; }
    FilterBar > .filter-count.-none { color: $warning; }
    """
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape", "clear", "Clear filter", show=False),
        Binding("down,tab", "done", "To the list", show=False),
    ]

    def __init__(self, table: PagedTable) -> None:
        super().__init__(classes="filter-bar")
        self.table = table

    def compose(self) -> ComposeResult:
        yield Label("/", classes="filter-prompt", markup=False)
        yield Input(
            self.table.text,
            placeholder="filter: words in any column",
            compact=True,
            select_on_focus=False,
        )
        yield Label("", classes="filter-count", markup=False)

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    def count(self, text: str, none: bool) -> None:
        # Only on a change: a label's new text lays the screen out again.
        if (text, none) == getattr(self, "_count", None):
            return
        self._count = (text, none)
        label = self.query_one(".filter-count", Label)
        label.update(text)
        label.set_class(none, "-none")

    @on(Input.Changed)
    def typed(self, event: Input.Changed) -> None:
        event.stop()
        self.table.typed(event.value)

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_done()

    def action_done(self) -> None:
        self.table.filter_done()

    def action_clear(self) -> None:
        self.table.action_clear_filter()


@dataclass(frozen=True)
class Column:
    """A column; ``min_width``: shown only when the terminal is at least that wide, so a
    narrow terminal drops the least essential columns instead of scrolling sideways."""

    key: str
    label: str
    min_width: int = 0
    width: int | None = None


class PagedTable(DataTable):
    """Rows are keyed; ``append`` adds a page, ``sync`` refreshes only the cells that
    changed, and ``NeedMore`` is posted when the cursor comes within a few rows of the end
    of what is loaded while the source has more."""

    DEFAULT_CSS = """
    PagedTable { height: 1fr; }
    PagedTable > .paged--red { color: $error; text-style: bold; }
    PagedTable > .paged--amber { color: $warning; text-style: bold; }
    PagedTable > .paged--green { color: $success; }
    PagedTable > .paged--muted { color: $foreground-muted; }
    PagedTable > .paged--heading { color: $accent; text-style: bold; }
    PagedTable > .paged--alert { color: $error; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "paged--red",
        "paged--amber",
        "paged--green",
        "paged--muted",
        "paged--heading",
        "paged--alert",
    }
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("pagedown", "page_down_more", "More", show=False, id="list.page_down"),
        *cmd.bindings(cmd.LIST_FILTER, cmd.LIST_SORT, cmd.LIST_REVERSE, cmd.LIST_CLEAR),
    ]
    #: Ask for the next page when the cursor is this close to the last loaded row.
    AHEAD = 20
    #: Seconds of quiet in the filter before it applies (each key restarts the wait).
    DEBOUNCE = 0.12

    @dataclass
    class NeedMore(Message):
        table: PagedTable

        @property
        def control(self) -> PagedTable:
            return self.table

    @dataclass
    class Query(Message):
        """A paged (``remote``) list's filter or order changed: read it again from the
        start with ``text`` and ``sort`` in the query."""

        table: PagedTable
        text: str
        sort: Sort | None

        @property
        def control(self) -> PagedTable:
            return self.table

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", False)
        super().__init__(*args, **kwargs)
        self.has_more = False
        self.waiting = False
        # Declared columns, which of them are shown, and every row's cells for all of
        # them (rows are given whole; the table holds the shown cells).
        self.declared: tuple[Column, ...] = ()
        self.shown: tuple[int, ...] = ()
        self.full: dict[str, list[Any]] = {}
        #: The filter (as typed) and the order. A ``remote`` list is filtered and sorted
        #: by its owner (``Query``); the others here, among every row given.
        self.text = ""
        self.sort: Sort | None = None
        self.remote = False
        #: The keys of the columns a user may sort by (None: every column).
        self.sortable: tuple[str, ...] | None = None
        #: A column's sort value of a row, by the row's key, when the text it shows does not
        #: sort (a state: red before amber); None sorts last.
        self.sort_keys: dict[str, Callable[[str], Any]] = {}
        self.labels: dict[str, str] = {}
        self._pending: Timer | None = None

    def declare(self, columns: Sequence[Column | tuple[str, str]]) -> None:
        """The table's columns; cells are then always given for all of them, and those
        whose ``min_width`` the terminal is narrower than are left out until it widens."""
        self.declared = tuple(c if isinstance(c, Column) else Column(*c) for c in columns)
        self.shown = ()
        self.fit(self.app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        if self.declared:
            self.fit(self.app.size.width)

    def fit(self, width: int) -> None:
        """Show the declared columns that fit a terminal ``width`` wide; on a change, the
        rows again with the cursor kept on its row.

        The terminal's width, not the table's: the table's own width changes when its
        scrollbar comes and goes, which would add and drop columns as rows arrive."""
        shown = tuple(i for i, c in enumerate(self.declared) if width >= c.min_width)
        if shown == self.shown:
            return
        self.shown = shown
        full = self.full
        order = [k.value for k in self.rows]
        self._rebuild(
            [self.declared[i] for i in shown],
            [(row, self._visible(full[row])) for row in order if row in full],
        )
        self.full = full
        if self.narrowed():  # the filter reads the columns shown
            self.refresh_view()

    def _rebuild(self, columns: Sequence[Column], rows: Sequence[tuple[str, Cells]]) -> None:
        """Put ``columns`` in place of the present ones and ``rows`` (cells as shown)
        under them, the cursor kept on the row it was on."""
        key = self.current_key()
        if self.columns:  # a new layout; the first one is just added
            self.clear(columns=True)
        self.labels = {column.key: column.label for column in columns}
        for column in columns:
            self.add_column(self._label(column.key), key=column.key, width=column.width)
        for row, cells in rows:
            self._add_sized(row, cells)
        if key in self.rows:
            self.move_cursor(row=self.get_row_index(key))

    def _visible(self, cells: Cells) -> list[Any]:
        if not self.declared:
            return list(cells)
        return [cells[i] for i in self.shown]

    def add_row(self, *cells: Any, key: str | None = None, **kwargs: Any) -> Any:
        cells = tuple(literal(c) for c in cells)
        if key is not None:
            self.full[key] = list(cells)
            if self.narrowed():
                self.refresh_view()
                return key
        return self._add_sized(key, self._visible(cells), **kwargs)

    def _add_sized(self, key: str | None, cells: Cells, **kwargs: Any) -> Any:
        """Add a row of shown cells and widen its columns to them at once, as DataTable
        would when next idle (so that pass finds nothing left to change)."""
        row_key = super().add_row(*cells, key=key, **kwargs)
        for column, cell in zip(self._ordered(), cells, strict=False):
            if column.auto_width:
                column.content_width = max(column.content_width, self._width(cell))
        return row_key

    def _update_dimensions(self, new_rows: Iterable[Any]) -> None:
        """DataTable's pass when idle, without measuring the new rows' cells again: every
        row is sized as it is added (``_add_sized``), one line high, without a label."""
        super()._update_dimensions(())

    def _ordered(self) -> list[Any]:
        """The columns in screen order (DataTable builds that list afresh on each call;
        kept until the columns change)."""
        key = tuple(id(c) for c in self.columns.values())
        if getattr(self, "_ordered_key", None) != key:
            self._ordered_key = key
            self._ordered_list = self.ordered_columns
        return self._ordered_list

    def _width(self, cell: Any) -> int:
        """The width of a cell: a line of text is as wide as its cells (no rendering)."""
        if isinstance(cell, Text) and "\n" not in cell.plain:
            return cell.cell_len
        return measure(self.app.console, cell, 1)

    def _resize_column(self, column: Any) -> None:
        """Size ``column`` to its widest cell (or its label), as DataTable does after an
        update that may have narrowed it."""
        if not column.auto_width:
            return
        console = self.app.console
        widths = [measure(console, cell, 1) for cell in self.get_column(column.key)]
        column.content_width = max([measure(console, column.label, 1), *widths])

    def remove_row(self, row_key: Any) -> None:
        self.full.pop(getattr(row_key, "value", row_key), None)
        if row_key in self.rows:  # a row filtered out is not in the table
            super().remove_row(row_key)

    def clear(self, columns: bool = False) -> Any:
        self.full = {}
        super().clear(columns)
        for column in self.columns.values():  # the next rows size them afresh
            self._resize_column(column)
        return self

    def styled(self, value: Any, state: str) -> Text:
        """``value`` drawn in one of the table's theme-aware states (red, amber, …)."""
        return Text(
            str(value), style=self.get_component_rich_style(f"paged--{state}", partial=True)
        )

    def reset(self) -> None:
        # No more to ask for first: clearing moves the cursor, which would ask for the
        # next page of what is being cleared.
        self.has_more = False
        self.waiting = False
        self.clear()

    def append(self, rows: Iterable[tuple[str, Cells]], *, has_more: bool) -> None:
        if self.narrowed():
            for key, cells in rows:
                self.full[key] = [literal(c) for c in cells]
            self.has_more = has_more
            self.waiting = False
            self.refresh_view()
            return
        for key, cells in rows:
            if key in self.rows:
                self._set_cells(key, cells)
            else:
                self.add_row(*cells, key=key)
        self.has_more = has_more
        self.waiting = False
        self._counted()
        self._maybe_more()

    def sync(self, rows: Sequence[tuple[str, Cells]], *, has_more: bool | None = None) -> bool:
        """Bring the loaded rows in step with ``rows`` (same order), touching only the cells
        that changed and removing rows that left. Returns False when rows must be rebuilt
        (new rows or a different order)."""
        if self.narrowed():
            self.full = {key: [literal(c) for c in cells] for key, cells in rows}
            if has_more is not None:
                self.has_more = has_more
            self.refresh_view()
            return True
        wanted = [key for key, _ in rows]
        present = [key.value for key in self.rows]
        present_set, wanted_set = set(present), set(wanted)
        if not wanted_set <= present_set:
            return False
        if [k for k in present if k in wanted_set] != wanted:
            return False
        for key in present:
            if key not in wanted_set:
                self.remove_row(key)
        for key, cells in rows:
            self._set_cells(key, cells)
        if has_more is not None:
            self.has_more = has_more
        self._counted()
        return True

    def show(self, rows: Sequence[tuple[str, Cells]], *, has_more: bool) -> None:
        """Show exactly ``rows``: changed cells are updated in place when the rows are the
        same; otherwise the table is rebuilt with the cursor kept on the row it was on."""
        if self.sync(rows, has_more=has_more):
            return
        key = self.current_key()
        self.reset()
        self.append(rows, has_more=has_more)
        if key in self.rows:
            self.move_cursor(row=self.get_row_index(key))

    def set_columns(
        self, columns: Sequence[tuple[str, str]], rows: Sequence[tuple[str, Cells]]
    ) -> None:
        """Replace the columns (``(key, label)`` pairs) and show ``rows`` in them, the
        cursor kept on the row it was on (a layout for another width)."""
        rows = [(key, [literal(c) for c in cells]) for key, cells in rows]
        self._rebuild([Column(*c) for c in columns], rows)
        self.full = {key: cells for key, cells in rows}
        if self.narrowed():
            self.refresh_view()

    def _set_cells(self, key: str, cells: Cells) -> None:
        cells = [literal(c) for c in cells]
        self.full[key] = cells
        self._show_cells(key, cells)

    def _show_cells(self, key: str, cells: Cells) -> None:
        """Update the cells of the row ``key`` that differ from ``cells`` (all columns)."""
        current = self.get_row(key)
        for column, old, new in zip(self.columns, current, self._visible(cells), strict=False):
            if not _same(old, new):
                self.update_cell(key, column, new)
                self._resized(self.columns[column], old, new)

    def _resized(self, column: Any, old: Text, new: Text) -> None:
        """Size ``column`` for a cell changed from ``old`` to ``new``: wider at once; a
        whole pass over the column only when its widest cell narrowed."""
        if not column.auto_width:
            return
        console = self.app.console
        width = measure(console, new, 1)
        if width >= column.content_width:
            column.content_width = width
        elif measure(console, old, 1) >= column.content_width:
            self._resize_column(column)

    def current_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:
            return None
        return key.value

    def watch_cursor_coordinate(self, old: Any, new: Any) -> None:
        super().watch_cursor_coordinate(old, new)
        self._maybe_more()

    def _maybe_more(self) -> None:
        if self.has_more and not self.waiting and self.cursor_row >= self.row_count - self.AHEAD:
            self.waiting = True
            self.post_message(self.NeedMore(self))

    def action_page_down_more(self) -> None:
        self.action_page_down()
        if (
            self.has_more
            and not self.waiting
            and self.cursor_row >= self.row_count - 1 - self.AHEAD
        ):
            self.waiting = True
            self.post_message(self.NeedMore(self))

    # Filtering and sorting ---------------------------------------------------------------

    def narrowed(self) -> bool:
        """Whether this table filters or sorts the rows it is given (a list given whole
        with a filter or an order)."""
        return not self.remote and (bool(self.text.strip()) or self.sort is not None)

    def refresh_view(self) -> None:
        """Show the rows given (``full``) that match the filter, in the order asked: the
        cells that changed updated in place when the rows are the same, else the rows
        again with the cursor kept on its row."""
        wanted = self._wanted()
        present = [key.value for key in self.rows]
        if [key for key, _ in wanted] == present:
            for key, cells in wanted:
                self._show_cells(key, cells)
        else:
            key = self.current_key()
            DataTable.clear(self)
            for column in self.columns.values():
                self._resize_column(column)
            for row, cells in wanted:
                self._add_sized(row, self._visible(cells))
            if key in self.rows:
                self.move_cursor(row=self.get_row_index(key), scroll=True)
            elif self.row_count:  # its row is filtered out: say which row is highlighted
                self.move_cursor(row=0, scroll=True)
                self._highlight_row(0)
        self._counted()

    def _wanted(self) -> list[tuple[str, list[Any]]]:
        needles = words(self.text)
        rows = [
            (key, cells)
            for key, cells in self.full.items()
            if not needles or self._matches(cells, needles)
        ]
        if self.sort is None:
            return rows
        value = self._sort_value(self.sort.column)
        if value is None:
            return rows
        keyed = [(value(key, cells), key, cells) for key, cells in rows]
        filled = [k for k in keyed if k[0] is not None]
        empty = [k for k in keyed if k[0] is None]
        filled.sort(key=lambda k: k[0], reverse=self.sort.descending)
        return [(key, cells) for _, key, cells in filled + empty]

    def _matches(self, cells: Cells, needles: list[str]) -> bool:
        text = "\x1f".join(c.plain if isinstance(c, Text) else str(c) for c in self._visible(cells))
        text = text.casefold()
        return all(n in text for n in needles)

    def _sort_value(self, column: str) -> Callable[[str, Cells], Any] | None:
        """How a row's sort value is read for ``column``: its own key function, else the
        text of its cell (numbers by value); None when the column is not there."""
        if column in self.sort_keys:
            by_key = self.sort_keys[column]
            return lambda key, cells: by_key(key)
        if self.declared:
            index = next((i for i, c in enumerate(self.declared) if c.key == column), None)
        else:
            keys = [c.key.value for c in self.ordered_columns]
            index = keys.index(column) if column in keys else None
        if index is None:
            return None

        def value(key: str, cells: Cells) -> Any:
            cell = cells[index] if index < len(cells) else ""
            text = (cell.plain if isinstance(cell, Text) else str(cell)).strip()
            return None if text in EMPTY else natural(text)

        return value

    def _counted(self) -> None:
        """Say in the filter bar how many rows match (a paged list: only when none do)."""
        bar = self.bar()
        if bar is None:
            return
        if not self.text.strip():
            bar.count("", False)
        elif self.remote:
            none = not self.row_count and not self.has_more
            bar.count("no match" if none else "", none)
        else:
            shown, total = self.row_count, len(self.full)
            bar.count(f"{shown} of {total}" if shown else f"no match among {total}", not shown)

    def bar(self) -> FilterBar | None:
        """The filter bar, when the list has one open."""
        parent = self.parent
        if parent is None:
            return None
        for bar in parent.query_children(FilterBar):
            if bar.table is self:
                return bar
        return None

    def action_filter_text(self) -> None:
        """Open the filter bar above the list (or go back into it)."""
        bar = self.bar()
        if bar is None:
            bar = FilterBar(self)
            self.parent.mount(bar, before=self)  # type: ignore[union-attr]
            self.call_after_refresh(self._focus_bar)
        else:
            bar.input.focus()

    def _focus_bar(self) -> None:
        bar = self.bar()
        if bar is not None:
            bar.input.focus()
            self._counted()

    def typed(self, text: str) -> None:
        """The filter as typed so far: applied after a short quiet (``DEBOUNCE``)."""
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        if self.DEBOUNCE <= 0:
            self.apply_filter(text)
        else:
            self._pending = self.set_timer(self.DEBOUNCE, lambda: self.apply_filter(text))

    def apply_filter(self, text: str) -> None:
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        if text == self.text:
            return
        same = words(text) == words(self.text)  # a space typed between words
        self.text = text
        if same:
            self._counted()
        else:
            self._changed()

    def filter_done(self) -> None:
        """Back to the list from the filter bar, the filter kept (the bar closed when it
        is empty)."""
        bar = self.bar()
        if bar is not None:
            self.apply_filter(bar.input.value)
            if not self.text.strip():
                bar.remove()
        self.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":  # otherwise escape means what it does around the list
            return bool(self.text) or self.bar() is not None
        if action in ("sort_next", "sort_reverse"):
            return bool(self._sortable())
        return super().check_action(action, parameters)

    def action_clear_filter(self) -> None:
        """Clear the filter and close its bar; the list has the focus."""
        bar = self.bar()
        if bar is not None:
            bar.remove()
        self.apply_filter("")
        self.focus()

    def _sortable(self) -> list[str]:
        shown = [c.key.value for c in self.ordered_columns]
        allowed = self.sortable
        return [
            k for k in shown if (allowed is None or k in allowed) and self.labels.get(k, "").strip()
        ]

    def action_sort_next(self) -> None:
        """Sort by the next column; after the last, back to the list's own order."""
        columns = self._sortable()
        if not columns:
            return
        if self.sort is None or self.sort.column not in columns:
            self.set_sort(Sort(columns[0]))
            return
        at = columns.index(self.sort.column)
        self.set_sort(Sort(columns[at + 1]) if at + 1 < len(columns) else None)

    def action_sort_reverse(self) -> None:
        columns = self._sortable()
        if not columns:
            return
        if self.sort is None:
            self.set_sort(Sort(columns[0], descending=True))
        else:
            self.set_sort(Sort(self.sort.column, not self.sort.descending))

    @on(DataTable.HeaderSelected)
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        """A click on a heading sorts by it; again, the other way; a third time, back to
        the list's own order."""
        column = event.column_key.value or ""
        if column not in self._sortable():
            return
        current = self.sort
        if current is None or current.column != column:
            self.set_sort(Sort(column))
        elif not current.descending:
            self.set_sort(Sort(column, descending=True))
        else:
            self.set_sort(None)

    def set_sort(self, sort: Sort | None) -> None:
        if sort == self.sort:
            return
        self.sort = sort
        for key, column in self.columns.items():
            column.label = self._label(key.value or "")
            if column.auto_width:
                width = measure(self.app.console, column.label, 1)
                column.content_width = max(column.content_width, width)
        self._clear_caches()
        self._require_update_dimensions = True
        self.refresh()
        self._changed()

    def _label(self, key: str) -> Text:
        label = self.labels.get(key, key)
        if self.sort is not None and self.sort.column == key:
            label = f"{label} {'▼' if self.sort.descending else '▲'}"
        return literal(label)

    def _changed(self) -> None:
        if self.remote:
            self.post_message(self.Query(self, self.text, self.sort))
        else:
            self.refresh_view()
        self._counted()


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, Text) and isinstance(new, Text):
        return old.plain == new.plain and str(old.style) == str(new.style)
    return type(old) is type(new) and old == new
