"""The Handover tab: the exit checklist, kept in step with the engagement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from transition.tui.commands import registry as cmd
from transition.tui.screens.base import WRITE
from transition.tui.widgets.paged_table import Column, PagedTable
from transition.tui.widgets.pane import Pane


class HandoverPane(Pane):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.HANDOVER_DONE, cmd.HANDOVER_SYNC)

    @dataclass
    class Loaded(Message):
        rows: list[dict[str, Any]]

    def __init__(self, slug: str, *, id: str | None = None) -> None:
        super().__init__(slug, id=id)
        self.items: dict[str, dict[str, Any]] = {}

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
        self.post_message(self.Loaded(self.backend.handover(self.slug)))

    def on_handover_pane_loaded(self, message: Loaded) -> None:
        t = self.table
        self.items = {r["key"]: r for r in message.rows}
        rows = [(r["key"], self.cells(t, r)) for r in message.rows]
        t.show(rows, has_more=False)
        counts: dict[str, int] = {}
        for r in message.rows:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        self.query_one("#handover-note", Static).update(
            f"{summary or 'no items'} · derived items follow their grant/system/runbook"
        )

    @staticmethod
    def source(r: dict[str, Any]) -> str:
        ref = r.get("source_ref") or {}
        kind = r.get("source_kind")
        if kind == "grant":
            return (
                f"grant {ref.get('grant_id')}: {ref.get('person', '?')} on {ref.get('system', '?')}"
            )
        if kind == "system":
            return f"system {ref.get('system') or ref.get('system_id')}"
        if kind == "runbook":
            return f"runbook {ref.get('runbook_id')}: {ref.get('system', '?')}"
        return f"checklist {ref.get('checklist') or r.get('source')}"

    def cells(self, t: PagedTable, r: dict[str, Any]) -> list[Any]:
        status = r["status"]
        states = {"done": "green", "resolved": "green", "retired": "muted", "open": "amber"}
        return [
            t.styled(status, states.get(status, "amber")),
            r["title"],
            r.get("owner") or "",
            r.get("section_title") or r["section"],
            self.source(r),
        ]

    def action_toggle(self) -> None:
        row = self.items.get(self.table.current_key() or "")
        if not row:
            return
        status = "open" if row["status"] == "done" else "done"
        self.write_item(row["id"], status, row["version"])

    @work(thread=True, exclusive=True, exit_on_error=False, group=WRITE)
    def write_item(self, item_id: int, status: str, version: int) -> None:
        self.backend.handover_item(self.slug, item_id, status, version)
        self.app.call_from_thread(self.changed, f"handover item {status}")

    def action_sync(self) -> None:
        self.write_sync()

    @work(thread=True, exclusive=True, exit_on_error=False, group=WRITE)
    def write_sync(self) -> None:
        result = self.backend.handover_sync(self.slug)
        text = ", ".join(f"{n} {k}" for k, n in result.items() if n) or "already in step"
        self.app.call_from_thread(self.changed, f"handover sync: {text}")
