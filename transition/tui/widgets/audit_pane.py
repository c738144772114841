"""The Audit tab: the engagement's append-only history, newest first, each row told by
its name (a task's title, a person, a system), not its internal number."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.message import Message

from transition.services import audit_names
from transition.services.audit_search import EVENT_SORTS
from transition.services.views.audit import NamedAuditEvent
from transition.tui.backend import PAGE
from transition.tui.widgets.paged_table import Column, PagedTable, Sort
from transition.tui.widgets.pane import Pane, short


class AuditPane(Pane[NamedAuditEvent]):
    @dataclass
    class Page(Message):
        rows: list[NamedAuditEvent]
        offset: int

    def __init__(self, slug: str, *, id: str | None = None) -> None:
        super().__init__(slug, id=id)
        self.count = 0
        #: The table's filter and order, read into the query (the list is paged).
        self.text = ""
        self.sort: Sort | None = None

    KEY = "audit"
    NOTE = False

    COLUMNS = (
        ("at", "When (UTC)"),
        ("actor", "Who"),
        ("action", "Action"),
        ("entity", "What"),
        # The field is in the before → after text's shape already; it gives way first.
        Column("field", "Field", min_width=100),
        ("change", "Before → after"),
    )

    def on_mount(self) -> None:
        self.table.remote = True
        self.table.sortable = tuple(EVENT_SORTS)

    @on(PagedTable.Query, "#audit-table")
    def searched(self, event: PagedTable.Query) -> None:
        self.text, self.sort = event.text, event.sort
        self.count = 0
        self.fetch(0)

    def reload(self) -> None:
        # Newest first: new events arrive at the top, so a reload starts afresh.
        self.table.reset()
        self.count = 0
        self.fetch(0)

    @work(thread=True, exclusive=True, exit_on_error=False, group="audit")
    def fetch(self, offset: int) -> None:
        rows = self.backend.read(
            audit_names.events,
            self.slug,
            limit=PAGE,
            offset=offset,
            newest_first=True,
            text=self.text,
            sort=self.sort.column if self.sort else None,
            descending=bool(self.sort and self.sort.descending),
        )
        self.post_message(self.Page(rows, offset))

    @on(PagedTable.NeedMore, "#audit-table")
    def more(self) -> None:
        self.fetch(self.count)

    def on_audit_pane_page(self, message: Page) -> None:
        t = self.table
        rows = [
            (
                str(e.id),
                [
                    e.at.strftime("%Y-%m-%d %H:%M"),
                    e.actor,
                    e.action,
                    what(e),
                    e.field or "",
                    f"{short(e.before)} → {short(e.after)}",
                ],
            )
            for e in message.rows
        ]
        if message.offset == 0:  # the first page, of a reload or a new filter
            self.count = len(rows)
            t.show(rows, has_more=len(rows) >= PAGE)
        else:
            self.count += len(rows)
            t.append(rows, has_more=len(rows) >= PAGE)


#: The widest the "What" column's text is: the before → after text keeps its room.
WHAT_WIDTH = 40


def what(e: NamedAuditEvent) -> str:
    """``task Agree the KT schedule``; ``task #12`` for a row without a name. The name
    is cut to fit ``WHAT_WIDTH`` with its kind (at most 32 cells)."""
    kind = e.entity.replace("_", " ")
    if e.name:
        return f"{kind} {short(e.name, min(32, WHAT_WIDTH - 1 - len(kind)))}"
    return f"{kind} #{e.entity_id}" if e.entity_id is not None else kind
