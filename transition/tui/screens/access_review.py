"""The access review in full: every least-privilege finding of one engagement, most severe
first, as ``transition access review`` lists them; the highlighted one's detail below,
``enter`` opens the grant it is about (justification, approver, expiry, history) and ``x``
revokes that grant directly (with a reason), after which the review is read again. The one
access review of the TUI: ``V`` on the engagement, ``v`` on the Access tab and the command
palette all open it. The screen closes with whether anything changed, so the engagement
reloads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Label, Static

from transition.services.views.access import FindingView
from transition.tui.commands import registry as cmd
from transition.tui.forms.base import Field, FormScreen, arguments, check_text
from transition.tui.screens.base import DataMixin
from transition.tui.widgets.footer import KeyFooter
from transition.tui.widgets.paged_table import Column, PagedTable

SEVERITY_STATE = {"high": "alert", "medium": "amber", "low": "muted"}


def counted(findings: list[FindingView]) -> str:
    """``12 findings: 3 high, 8 medium, 1 low`` (most severe first, as the review lists
    them), or ``no findings``; the Access tab and the review say the same."""
    if not findings:
        return "no findings"
    by = Counter(f.severity for f in findings)
    counts = ", ".join(f"{n} {severity}" for severity, n in by.items())
    noun = "finding" if len(findings) == 1 else "findings"
    return f"{len(findings)} {noun}: {counts}"


def summary(name: str, findings: list[FindingView]) -> str:
    """``Access review of Northwind · 12 findings: 3 high, 9 medium``."""
    return f"Access review of {name} · {counted(findings)}"


class AccessReviewScreen(DataMixin, Screen[bool]):
    """Every finding, scrolling; escape goes back to the engagement."""

    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(
        cmd.REVIEW_CLOSE, cmd.REVIEW_OPEN, cmd.REVIEW_REVOKE
    )
    AUTO_FOCUS = "PagedTable"
    #: The help group listed first when ``?`` is pressed here.
    help_here = "Access review"

    def __init__(self, slug: str, name: str, findings: list[FindingView]) -> None:
        super().__init__()
        self.slug = slug
        self.engagement_name = name
        self.findings = {str(i): f for i, f in enumerate(findings)}
        #: Whether a grant was revoked here (the engagement reloads when this closes).
        self.changed = False

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
        self.show_findings()

    def show_findings(self) -> None:
        table = self.query_one(PagedTable)
        self.query_one("#review-title", Label).update(
            summary(self.engagement_name, list(self.findings.values()))
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

    def reload(self) -> None:
        from transition.services import access

        def shown(findings: list[FindingView]) -> None:
            self.findings = {str(i): f for i, f in enumerate(findings)}
            self.show_findings()

        self.read_then(lambda: self.backend.read(access.review, self.slug), shown)

    def current_finding(self, verb: str) -> FindingView | None:
        """The highlighted finding when it is about a grant; else None, and why (``verb``
        names what could not be done: a finding about missing access has no grant)."""
        f = self.findings.get(self.query_one(PagedTable).current_key() or "")
        if f is not None and f.grant_id is None:
            self.notify(f"this finding is about access {f.person} lacks: no grant to {verb}")
            return None
        return f

    @on(PagedTable.RowSelected, "#review-table")
    def action_open_grant(self) -> None:
        """The highlighted finding's grant in its inspector (``x`` there revokes it too)."""
        from transition.tui.screens.inspectors import GrantInspector

        f = self.current_finding("open")
        if f is None:
            return

        def closed(touched: Any) -> None:
            if touched:
                self.changed = True
                self.reload()

        GrantInspector.show(self, self.slug, str(f.grant_id), closed)

    def action_revoke(self) -> None:
        f = self.current_finding("revoke")
        if f is None:
            return
        self.app.push_screen(revoke_form(self.backend, self.slug, f), self.revoked)

    def revoked(self, grant_id: int | None) -> None:
        if grant_id is None:
            return
        self.changed = True
        self.notify(f"grant {grant_id} revoked; its handover item is resolved")
        self.reload()

    def action_close(self) -> None:
        self.dismiss(self.changed)


def open_access_review(
    opener: Any, slug: str, name: str, closed: Callable[[bool | None], None]
) -> None:
    """Read the review in a worker of ``opener`` (a screen or a pane), then open it;
    ``closed(changed)`` when it closes."""
    from transition.services import access

    opener.read_then(
        lambda: opener.backend.read(access.review, slug),
        lambda findings: opener.app.push_screen(AccessReviewScreen(slug, name, findings), closed),
    )


def revoke_form(backend: Any, slug: str, finding: FindingView) -> FormScreen:
    """Revoke the grant ``finding`` is about, with a reason; closes with the grant's id.
    A grant changed or revoked since the review was read is refused by the service."""
    from transition.services import access

    def submit(values: dict[str, Any]) -> int:
        return backend.write(access.revoke, slug, finding.grant_id, **arguments(fields, values)).id

    fields = [Field("reason", "Reason", check=check_text("the reason"))]
    return FormScreen(
        f"Revoke grant {finding.grant_id}",
        fields,
        submit,
        intro=f"{finding.person} · {finding.role} on {finding.system}: {finding.message}",
        form_id="review-revoke",
    )
