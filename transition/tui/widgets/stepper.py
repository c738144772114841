"""The phase stepper: discovery → access setup → ramp-up → parallel run → cutover."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.reactive import reactive
from textual.widgets import Label

MARKS = {"done": "✓", "active": "▶", "pending": "·"}


class PhaseStepper(HorizontalGroup):
    """One step per phase; the state of each step is a CSS class (-done, -active, -pending)."""

    DEFAULT_CSS = """
    PhaseStepper {
        height: 1;
        width: 1fr;
        overflow: hidden hidden;
    }
    PhaseStepper > .step { padding: 0 1 0 0; }
    PhaseStepper > .arrow { color: $foreground-muted; padding: 0 1 0 0; }
    PhaseStepper > .-done { color: $success; }
    PhaseStepper > .-active { color: $accent; text-style: bold reverse; padding: 0 1; }
    PhaseStepper > .-pending { color: $foreground-muted; }
    PhaseStepper > .-overridden { text-style: italic; }
    """

    phases: reactive[list[dict[str, Any]]] = reactive(list, recompose=True)

    def compose(self) -> ComposeResult:
        for i, phase in enumerate(self.phases):
            if i:
                yield Label("→", classes="arrow", markup=False)
            status = phase.get("status", "pending")
            classes = f"step -{status}"
            if phase.get("gate_decision") == "overridden":
                classes += " -overridden"
            yield Label(f"{MARKS.get(status, '·')} {phase['key']}", classes=classes, markup=False)
