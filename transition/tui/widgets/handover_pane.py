"""The Handover tab: the exit checklist, kept in step with the engagement."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from transition.services import handover
from transition.services.views.handover import GrantRef, HandoverItemView, RunbookRef, SystemRef
from transition.tui.commands import registry as cmd
from transition.tui.screens.base import WRITE
from transition.tui.widgets.paged_table import Column, PagedTable
from transition.tui.widgets.pane import Pane


class HandoverPane(Pane):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.HANDOVER_DONE, cmd.HANDOVER_SYNC)

    @dataclass
    class Loaded(Message):
        rows: list[HandoverItemView]

    def __init__(self, slug: str, *, id: str | None = None) -> None:
        super().__init__(slug, id=id)
        self.items: dict[str, HandoverItemView] = {}

    def compose(self) -> ComposeResult:
        yield PagedTable(id="handover-table")
        yield Static("", id="handover-note", classes="note", markup=False)

    COLUMNS: ClassVar[tuple[Column | tuple[str, str], ...]] = (
        ("status", "Status"),
        ("title", "Item"),
        Column("owner", "Owner", min_width=140),
        Column("section", "Section", min_width=180),
        Column("source", "Source", min_width=220),
    )

    def reload(self) -> None:
        self.fetch()

    @work(thread=True, exclusive=True, exit_on_error=False, group="handover")
    def fetch(self) -> None:
        self.post_message(self.Loaded(self.backend.read(handover.show, self.slug)))

    def on_handover_pane_loaded(self, message: Loaded) -> None:
        t = self.table
        self.items = {r.key: r for r in message.rows}
        rows = [(r.key, self.cells(t, r)) for r in message.rows]
        t.show(rows, has_more=False)
        counts = Counter(r.status for r in message.rows)
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        self.query_one("#handover-note", Static).update(
            f"{summary or 'no items'} · derived items follow their grant/system/runbook"
        )

    @staticmethod
    def source(r: HandoverItemView) -> str:
        ref = r.source_ref
        if isinstance(ref, GrantRef):
            return f"grant {ref.grant_id}: {ref.person or '?'} on {ref.system or '?'}"
        if isinstance(ref, SystemRef):
            return f"system {ref.system or ref.system_id}"
        if isinstance(ref, RunbookRef):
            return f"runbook {ref.runbook_id}: {ref.system or '?'}"
        return f"checklist {ref.checklist or r.source}"

    def cells(self, t: PagedTable, r: HandoverItemView) -> list[Any]:
        states = {"done": "green", "resolved": "green", "retired": "muted", "open": "amber"}
        return [
            t.styled(r.status, states.get(r.status, "amber")),
            r.title,
            r.owner or "",
            r.section_title or r.section,
            self.source(r),
        ]

    def action_toggle(self) -> None:
        row = self.items.get(self.table.current_key() or "")
        if not row:
            return
        status = "open" if row.status == "done" else "done"
        self.write_item(row.id, status, row.version)

    @work(thread=True, exclusive=True, exit_on_error=False, group=WRITE)
    def write_item(self, item_id: int, status: str, version: int) -> None:
        self.backend.write(
            handover.set_item_status, self.slug, item_id, status, expected_version=version
        )
        self.app.call_from_thread(self.changed, f"handover item {status}")

    def action_sync(self) -> None:
        self.write_sync()

    @work(thread=True, exclusive=True, exit_on_error=False, group=WRITE)
    def write_sync(self) -> None:
        result = self.backend.write(handover.sync, self.slug)
        text = result.describe() or "already in step"
        self.app.call_from_thread(self.changed, f"handover sync: {text}")
