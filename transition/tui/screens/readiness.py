"""The readiness dialog: what a person still holds before they can be released."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from transition.services.views.release import Readiness


class ReadinessScreen(ModalScreen[None]):
    """Topics not signed off, runbooks not accepted and grants still held, one a line."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape,d,enter", "close", "Close", id="readiness.close")
    ]

    def __init__(self, state: Readiness) -> None:
        super().__init__()
        self.state = state

    def compose(self) -> ComposeResult:
        s = self.state
        when = f"release {s.release_date}" if s.release_date else "no release date"
        tone = "-green" if s.ready or s.state == "released" else "-amber"
        with Vertical(classes="dialog", id="readiness"):
            yield Label(
                f"{s.name}: {s.summary} ({when})", classes=f"dialog-title {tone}", markup=False
            )
            with VerticalScroll():
                lines = s.unmet()
                if s.release_override:
                    lines.insert(0, f"released on an override: {s.release_override}")
                for line in lines or ["nothing left: ready to be released"]:
                    yield Static(f"• {line}", classes="reason", markup=False)
            yield Label("esc to close", classes="hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
