"""The Systems tab: systems in scope with runbook, access and KT coverage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from transition.services import systems
from transition.services.views.systems import SystemView
from transition.tui.commands import registry as cmd
from transition.tui.widgets.paged_table import Column, PagedTable
from transition.tui.widgets.pane import Pane


class SystemsPane(Pane):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.SYSTEM_ADD)

    @dataclass
    class Loaded(Message):
        coverage: list[SystemView]

    def compose(self) -> ComposeResult:
        yield PagedTable(id="systems-table")
        yield Static("", id="risks", classes="note", markup=False)

    COLUMNS: ClassVar[tuple[Column | tuple[str, str], ...]] = (
        ("tier", "Tier"),
        ("name", "System"),
        ("runbooks", "Runbooks"),
        ("access", "Access"),
        ("ready", "Ready"),
        ("risk", "Key person"),
        ("kt", "KT signed off"),  # free text last: a narrow terminal cuts only its end
    )

    def reload(self) -> None:
        self.fetch()

    @work(thread=True, exclusive=True, exit_on_error=False, group="systems")
    def fetch(self) -> None:
        self.post_message(self.Loaded(self.backend.read(systems.coverage, self.slug)))

    def on_systems_pane_loaded(self, message: Loaded) -> None:
        t = self.table
        rows = []
        for s in message.coverage:
            missing = ", ".join(s.kt_missing)
            rows.append(
                (
                    s.slug,
                    [
                        str(s.tier),
                        s.name,
                        f"{s.runbooks_accepted}/{s.runbooks_required} accepted",
                        str(s.access_active) if s.access_active else t.styled("none", "alert"),
                        t.styled("ready", "green") if s.ready else t.styled("not yet", "amber"),
                        t.styled("RISK", "red") if s.key_person_risk else "",
                        ", ".join(s.kt_signed_off) or t.styled(f"missing {missing}", "muted"),
                    ],
                )
            )
        t.show(rows, has_more=False)
        risky = sorted(
            (s for s in message.coverage if s.key_person_risk), key=lambda s: s.name.lower()
        )
        text = "\n".join(f"Key-person risk · {s.name}: {s.key_person_risk_reason}" for s in risky)
        if not rows:
            text = "No system in scope yet: press n to add one."
        self.query_one("#risks", Static).update(text)

    def action_add_system(self) -> None:
        from transition.tui.forms.systems import add_system_form

        def done(result: Any) -> None:
            if result is not None:
                self.changed(f"system {result} added")

        self.app.push_screen(add_system_form(self.backend, self.slug), done)
