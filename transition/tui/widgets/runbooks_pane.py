"""The Runbooks tab: runbooks by system; generate and advance them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from transition.services import runbooks
from transition.services.views.runbooks import RunbookView
from transition.tui.commands import registry as cmd
from transition.tui.screens.base import WRITE
from transition.tui.widgets.paged_table import Column, PagedTable
from transition.tui.widgets.pane import Pane, shown_path


class RunbooksPane(Pane):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.RUNBOOK_NEW, cmd.RUNBOOK_STATUS)

    @dataclass
    class Loaded(Message):
        rows: list[RunbookView]

    def __init__(self, slug: str, *, id: str | None = None) -> None:
        super().__init__(slug, id=id)
        self.runbooks: dict[str, RunbookView] = {}

    def compose(self) -> ComposeResult:
        yield PagedTable(id="runbooks-table")
        yield Static("", id="runbooks-note", classes="note", markup=False)

    COLUMNS: ClassVar[tuple[Column | tuple[str, str], ...]] = (
        ("id", "#"),
        ("system", "System"),
        ("template", "Template"),
        ("status", "Status"),
        ("fill", "Filled"),
        ("path", "File"),
    )

    def reload(self) -> None:
        self.fetch()

    @work(thread=True, exclusive=True, exit_on_error=False, group="runbooks")
    def fetch(self) -> None:
        self.post_message(self.Loaded(self.backend.read(runbooks.list_runbooks, self.slug)))

    def on_runbooks_pane_loaded(self, message: Loaded) -> None:
        t = self.table
        self.runbooks = {str(r.id): r for r in message.rows}
        rows = [(str(r.id), self.cells(t, r)) for r in message.rows]
        t.show(rows, has_more=False)
        accepted = sum(1 for r in message.rows if r.status == "accepted")
        self.query_one("#runbooks-note", Static).update(
            f"{accepted} of {len(message.rows)} accepted · n generate · enter next status"
            if message.rows
            else "No runbook yet: press n to generate one from a template."
        )

    @staticmethod
    def cells(t: PagedTable, r: RunbookView) -> list[Any]:
        shown = "–" if r.fill_ratio is None else f"{round(100 * r.fill_ratio)}%"
        states = {"accepted": "green", "planned": "muted", "drafted": "amber"}
        status = t.styled(r.status, states[r.status]) if r.status in states else r.status
        return [str(r.id), r.system, r.template, status, shown, shown_path(r.path)]

    def action_generate(self) -> None:
        from transition.tui.forms.runbooks import runbook_form

        def done(result: Any) -> None:
            if result is not None:
                self.changed(f"runbook written to {result}")

        systems = [(s, s) for s in (self.engagement or {}).get("systems", [])]
        self.read_then(
            runbooks.list_templates,
            lambda templates: self.app.push_screen(
                runbook_form(self.backend, self.slug, systems, [t.name for t in templates]), done
            ),
        )

    def action_promote(self) -> None:
        row = self.runbooks.get(self.table.current_key() or "")
        if not row:
            return
        following = runbooks.next_status(row.status)
        if following is None:
            self.notify(f"runbook {row.id} is already {row.status}")
            return
        self.write_status(row, following)

    @work(thread=True, exclusive=True, exit_on_error=False, group=WRITE)
    def write_status(self, row: RunbookView, status: str) -> None:
        self.backend.write(
            runbooks.set_status, self.slug, row.id, status, expected_version=row.version
        )
        self.app.call_from_thread(self.changed, f"runbook {row.id}: {status}")
