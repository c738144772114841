"""Everything on an engagement's next 14 days, by day (``w`` on the engagement screen):
what the header's one line counts, told in full."""

from __future__ import annotations

from itertools import groupby
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from transition.services.views.report import Upcoming

MARKS = {
    "cutover": "▶",
    "phase": "◆",
    "release": "→",
    "expiry": "⌛",
    "kt": "◎",
    "task": "○",
}


class UpcomingScreen(ModalScreen[None]):
    """The next days, a heading per day, one line per item; scrolls when long."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape,w,enter", "close", "Close", id="upcoming.close")
    ]

    def __init__(self, data: Upcoming) -> None:
        super().__init__()
        self.data = data

    def compose(self) -> ComposeResult:
        u = self.data
        with Vertical(classes="dialog", id="upcoming"):
            yield Label(
                f"Next {(u.until - u.today).days} days: {u.today} to {u.until}",
                classes="dialog-title",
                markup=False,
            )
            with VerticalScroll():
                if u.late:
                    yield self.line(
                        f"{u.late} open task(s) already late: the Tasks tab's "
                        "'overdue only' filter lists them"
                    )
                for day, items in groupby(u.items, key=lambda i: i.day):
                    yield Static(f"{day:%a %d %b %Y}", classes="help-group", markup=False)
                    for item in items:
                        yield self.line(f"  {MARKS.get(item.kind, '·')} {item.text}")
                listed = {k: sum(1 for i in u.items if i.kind == k) for k in u.counts}
                for kind, n in u.counts.items():
                    if n > listed[kind]:
                        yield self.line(f"… and {n - listed[kind]} more ({kind})")
                if not u.items:
                    yield self.line("Nothing falls on these days.")
            yield Label("esc to close", classes="hint", markup=False)

    @staticmethod
    def line(text: str) -> Static:
        return Static(text, classes="reason", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
