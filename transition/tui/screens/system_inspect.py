"""The system inspector: a system's people and its knowledge by topic, over the Systems
tab."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from transition.services.views.owners import Holding, SystemInspection
from transition.tui.screens.coverage import line

ROLE_NAMES = {"owner": "owner", "sme": "SME", "backup": "backup"}


def person_line(h: Holding) -> str:
    """``owner · Uma Old (incumbent, leaving 2027-01-29)``."""
    leaving = f", leaving {h.release_date}" if h.release_date and h.side == "incumbent" else ""
    return f"{ROLE_NAMES.get(h.role, h.role)} · {h.person} ({h.side}{leaving})"


class SystemInspectScreen(ModalScreen[None]):
    """Who owns the system and how far its knowledge is out, topic by topic."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape,i,enter", "close", "Close", id="system-inspect.close")
    ]

    def __init__(self, data: SystemInspection) -> None:
        super().__init__()
        self.data = data

    def compose(self) -> ComposeResult:
        d = self.data
        with Vertical(classes="dialog", id="system-inspect"):
            yield Label(f"{d.system} (tier {d.tier})", classes="dialog-title", markup=False)
            with VerticalScroll():
                yield Static("People", classes="reason", markup=False)
                for h in d.people:
                    yield Static(f"  {person_line(h)}", classes="reason", markup=False)
                if not d.people:
                    yield Static(
                        "  nobody yet: o on the Systems tab adds an owner, SME or backup",
                        classes="reason",
                        markup=False,
                    )
                yield Static("Knowledge by topic", classes="reason", markup=False)
                for row in d.topics:
                    text = line(row).removeprefix(f"{row.system} · ")
                    classes = "reason -risk" if row.at_risk else "reason"
                    yield Static(f"  {text}", classes=classes, markup=False)
                if not d.topics:
                    yield Static("  no topic", classes="reason", markup=False)
            yield Label("esc to close", classes="hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
