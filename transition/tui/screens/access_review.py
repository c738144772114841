"""The access review in full: every least-privilege finding of one engagement, most severe
first, as ``transition access review`` lists them; the highlighted one's detail below."""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Label, Static

from transition.services.views.access import FindingView
from transition.tui.commands import registry as cmd
from transition.tui.widgets.footer import KeyFooter
from transition.tui.widgets.paged_table import Column, PagedTable

SEVERITY_STATE = {"high": "alert", "medium": "amber", "low": "muted"}


def summary(name: str, findings: list[FindingView]) -> str:
    """``Access review of Northwind · 12 findings: 3 high, 9 medium``."""
    if not findings:
        return f"Access review of {name} · no findings"
    by = Counter(f.severity for f in findings)
    counts = ", ".join(f"{n} {severity}" for severity, n in by.items())
    noun = "finding" if len(findings) == 1 else "findings"
    return f"Access review of {name} · {len(findings)} {noun}: {counts}"


class AccessReviewScreen(Screen[None]):
    """Every finding, scrolling; escape goes back to the engagement."""

    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.REVIEW_CLOSE)
    AUTO_FOCUS = "PagedTable"

    def __init__(self, name: str, findings: list[FindingView]) -> None:
        super().__init__()
        self.engagement_name = name
        self.findings = {str(i): f for i, f in enumerate(findings)}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(
            summary(self.engagement_name, list(self.findings.values())),
            id="review-title",
            classes="dialog-title",
            markup=False,
        )
        yield PagedTable(id="review-table")
        yield Static("", id="review-detail", classes="note", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = f"{self.engagement_name} · access review"
        table = self.query_one(PagedTable)
        table.declare(
            [
                Column("severity", "Severity"),
                Column("kind", "Finding"),
                Column("grant", "Grant", min_width=100),
                Column("person", "Person"),
                Column("system", "System"),
                Column("role", "Role", min_width=120),
                Column("message", "Detail", min_width=140),
            ]
        )
        rows = [
            (
                key,
                [
                    table.styled(f.severity, SEVERITY_STATE.get(f.severity, "muted")),
                    f.kind.replace("_", " "),
                    "–" if f.grant_id is None else str(f.grant_id),
                    f.person,
                    f.system,
                    f.role or "–",
                    f.message,
                ],
            )
            for key, f in self.findings.items()
        ]
        table.show(rows, has_more=False)
        self.show_detail(table.current_key())

    @on(PagedTable.RowHighlighted, "#review-table")
    def highlighted(self, event: PagedTable.RowHighlighted) -> None:
        self.show_detail(event.row_key.value if event.row_key else None)

    def show_detail(self, key: str | None) -> None:
        f = self.findings.get(key or "")
        text = "Nothing to review: every grant is justified, bounded and in use."
        if f is not None:
            grant = f"grant {f.grant_id}" if f.grant_id is not None else "no grant"
            text = f"{f.severity} · {f.person} on {f.system} ({grant}): {f.message}"
        self.query_one("#review-detail", Static).update(text)

    def action_close(self) -> None:
        self.dismiss(None)
