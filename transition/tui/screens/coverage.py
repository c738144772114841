"""KT coverage by system, topic and kind: a dialog over the KT tab."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from transition.services.views.kt import KTTopicRow

MARKS = {"signed_off": "✓", "held": "held", "planned": "planned", "missing": "–"}
CORE = ("walkthrough", "shadow", "reverse-shadow")


def line(row: KTTopicRow) -> str:
    """One topic as a line: each core kind's status, who holds it, who received it."""
    cells = {c.kind: MARKS.get(c.status, c.status) for c in row.kinds}
    kinds = " · ".join(f"{k} {cells.get(k, '–')}" for k in CORE)
    holders = ", ".join(row.holders) or "nobody"
    received = ", ".join(row.received) or "nobody yet"
    flag = f"  ! only {row.at_risk}, who is leaving" if row.at_risk else ""
    return f"{row.system} · {row.topic}: {kinds}; held by {holders}; received by {received}{flag}"


class CoverageScreen(ModalScreen[None]):
    """Every system's topics with each core kind of KT, holders and receivers."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape,v,enter", "close", "Close", id="coverage.close")
    ]

    def __init__(self, rows: list[KTTopicRow]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="coverage"):
            yield Label("KT coverage by topic", classes="dialog-title", markup=False)
            with VerticalScroll():
                for row in self.rows:
                    classes = "reason -risk" if row.at_risk else "reason"
                    yield Static(line(row), classes=classes, markup=False)
                if not self.rows:
                    yield Static("No system in scope yet.", classes="reason", markup=False)
            yield Label("esc to close", classes="hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
