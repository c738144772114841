"""A DataTable that is given its rows a page at a time: it shows the first page, keeps
every page loaded so far, and asks for the next as the cursor nears the end of them, so
a list of 100,000 rows paints as fast as one of 200.

Every cell is shown as literal text (a name such as ``Billing [legacy]`` is not markup),
and every column is sized when its cells are given, not later: DataTable measures new
cells only when its message queue next runs empty, and a paint before that showed every
column at its header's width.

When the columns before the last are wider together than the table, the widest of them
are narrowed (their cells end in "…") until they fit: a long name never pushes the row's
state out of sight (the last column is free text, cut at its end; the inspector shows
everything in full).

``/`` filters any list as you type and ``>`` / ``<`` (or a click on a heading) sort it
(``list_filter.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.render import measure
from textual.timer import Timer
from textual.widgets import DataTable
from textual.widgets.data_table import Column as TableColumn

from transition.text import fit_cells
from transition.tui.commands import registry as cmd
from transition.tui.widgets.list_filter import ListFilter, Sort

__all__ = ["Column", "PagedTable", "Sort", "fit_cells", "literal"]

Cells = Sequence[Any]


def literal(value: Any) -> Text:
    """A cell as literal text: strings are never read as markup; a cell wider than its
    column ends in "…"."""
    if isinstance(value, Text):
        if value.overflow is None:
            value.overflow = "ellipsis"
        return value
    return Text("" if value is None else str(value), end="", overflow="ellipsis")


#: A column narrowed so that the others fit keeps at least this many cells.
NARROWEST = 10


def fair_width(widths: Sequence[int], budget: int) -> int | None:
    """The widest any of ``widths`` may be for them to fit ``budget`` together, the
    narrower ones kept whole (None: they fit as they are)."""
    if sum(widths) <= budget:
        return None
    left = budget
    ordered = sorted(widths)
    for i, width in enumerate(ordered):
        others = len(ordered) - i
        if width * others > left:
            return max(NARROWEST, left // others)
        left -= width
    return None  # pragma: no cover - the sum above exceeded the budget


class _Capped(TableColumn):
    """A column drawn no wider than its table's cap for it (``PagedTable.caps``)."""

    def get_render_width(self, data_table: Any) -> int:
        width = super().get_render_width(data_table)
        cap = getattr(data_table, "caps", {}).get(self.key)
        return width if cap is None else min(width, cap + 2 * data_table.cell_padding)


@dataclass(frozen=True)
class Column:
    """A column; ``min_width``: shown only when the terminal is at least that wide, so a
    narrow terminal drops the least essential columns instead of scrolling sideways."""

    key: str
    label: str
    min_width: int = 0
    width: int | None = None


class PagedTable(ListFilter, DataTable):
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

    @dataclass
    class Filtered(Message):
        """A list given whole was filtered or sorted again (its rows may be none)."""

        table: PagedTable

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
        #: The widest a column may be drawn, by its key, when the columns together are
        #: wider than the table (``fair_width``).
        self.caps: dict[Any, int] = {}

    def declare(self, columns: Sequence[Column | tuple[str, str]]) -> None:
        """The table's columns; cells are then always given for all of them, and those
        whose ``min_width`` the terminal is narrower than are left out until it widens."""
        self.declared = tuple(c if isinstance(c, Column) else Column(*c) for c in columns)
        self.shown = ()
        self.fit(self.app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        if self.declared:
            self.fit(self.app.size.width)
        self._require_update_dimensions = True

    def add_column(
        self, label: Any, *, width: int | None = None, key: str | None = None, default: Any = None
    ) -> Any:
        column_key = super().add_column(label, width=width, key=key, default=default)
        column = self.columns[column_key]
        self.columns[column_key] = _Capped(
            **{f.name: getattr(column, f.name) for f in fields(column)}
        )
        return column_key

    def _fit_caps(self) -> None:
        """Narrow the widest columns before the last when together they are wider than
        the table (``fair_width``); none is narrowed when they fit."""
        columns = self._ordered()
        room = self.scrollable_content_region.width
        caps: dict[Any, int] = {}
        if len(columns) > 1 and room > 0:
            pad = 2 * self.cell_padding
            natural = [c.content_width if c.auto_width else (c.width or 0) for c in columns]
            budget = room - (len(columns) - 1) * pad
            cap = fair_width(natural[:-1], budget)
            if cap is not None:
                caps = {c.key: cap for c, w in zip(columns, natural, strict=True) if w > cap}
                caps.pop(columns[-1].key, None)
        if caps != self.caps:
            self.caps = caps
            self._clear_caches()
            self.refresh()

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
        self._fit_caps()
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
        (new rows, a different order, or most of them leaving)."""
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
        if len(present) - len(wanted) > len(wanted):
            # Most rows leave (a filter narrowing the list): adding the few that stay
            # anew is cheaper than removing the others one by one, each removal
            # renumbering every row after it.
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


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, Text) and isinstance(new, Text):
        return old.plain == new.plain and str(old.style) == str(new.style)
    return type(old) is type(new) and old == new
