"""Filtering and sorting a list (``PagedTable``): ``/`` opens a filter line above it
that narrows the rows as you type, ``>`` / ``<`` and a click on a heading sort.

A list given whole is filtered and sorted here, on the text its cells show (every word
typed in some shown column, any case, any script; numbers sort by value). A paged list
(``remote``) cannot be, since most of its rows are not loaded: the table posts ``Query``
and its owner reads the first page again with the filter and the order in the query."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import HorizontalGroup
from textual.render import measure
from textual.widgets import DataTable, Input, Label

if TYPE_CHECKING:
    from collections.abc import Sequence

    Cells = Sequence[Any]


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

    def __init__(self, table: ListFilter) -> None:
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


class ListFilter:
    """The filter and the order of a ``PagedTable`` (mixed into it: ``self`` is the
    table). Its state: ``text``, ``sort``, ``remote``, ``sortable``, ``sort_keys`` and
    ``labels``, set up in the table's ``__init__``."""

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

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
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
        return Text(label, end="")

    def _changed(self) -> None:
        if self.remote:
            self.post_message(self.Query(self, self.text, self.sort))
        else:
            self.refresh_view()
            self.post_message(self.Filtered(self))
        self._counted()
