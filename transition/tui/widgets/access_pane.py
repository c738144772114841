"""The Access tab: grants in force, pending, expiring and revoked; grant and revoke."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Label, Static

from transition.tui.backend import PAGE
from transition.tui.commands import registry as cmd
from transition.tui.widgets.paged_table import Column, PagedTable, Sort
from transition.tui.widgets.pane import Pane, day

if TYPE_CHECKING:
    from transition.services.views.access import FindingView, GrantView

ACCESS_FILTERS = (
    ("all grants", False, None),
    ("active", True, None),
    ("expiring ≤ 30d", False, 30),
)


class AccessPane(Pane["GrantView"]):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(
        cmd.GRANT, cmd.REVOKE, cmd.ACCESS_FILTER, cmd.ACCESS_FINDINGS
    )

    @dataclass
    class Page(Message):
        grants: list[GrantView]
        findings: list[FindingView] | None  # read with the first page only
        offset: int
        limit: int

    def __init__(self, slug: str, *, id: str | None = None) -> None:
        super().__init__(slug, id=id)
        self.filter_index = 0
        #: The table's filter and order, read into the query (the list is paged).
        self.text = ""
        self.sort: Sort | None = None

    def compose(self) -> ComposeResult:
        yield Label("", id="access-filter", classes="note", markup=False)
        yield PagedTable(id="access-table")
        yield Static("", id="findings", classes="note findings", markup=False)

    COLUMNS = (
        Column("id", "#", min_width=100),
        ("person", "Person"),
        ("system", "System"),
        ("role", "Role"),
        ("expires", "Expires"),
        ("status", "Status"),
        ("why", "Justification"),
    )

    def on_mount(self) -> None:
        self.table.remote = True

    def reload(self) -> None:
        self.fetch(0, max(PAGE, len(self.rows)))

    @on(PagedTable.Query, "#access-table")
    def searched(self, event: PagedTable.Query) -> None:
        self.text, self.sort = event.text, event.sort
        self.fetch(0)

    @work(thread=True, exclusive=True, exit_on_error=False, group="access")
    def fetch(self, offset: int, limit: int = PAGE) -> None:
        from transition.services import access

        _, active, days = ACCESS_FILTERS[self.filter_index]
        grants = self.backend.read(
            access.list_grants,
            self.slug,
            active=active,
            expiring_days=days,
            text=self.text,
            sort=self.sort.column if self.sort else None,
            descending=bool(self.sort and self.sort.descending),
            offset=offset,
            limit=limit,
        )
        findings = self.backend.read(access.review, self.slug) if offset == 0 else None
        self.post_message(self.Page(grants, findings, offset, limit))

    @on(PagedTable.NeedMore, "#access-table")
    def more(self) -> None:
        self.fetch(len(self.rows))

    def on_access_pane_page(self, message: Page) -> None:
        t = self.table
        grants = message.grants
        has_more = len(grants) >= message.limit
        rows = [(str(g.id), self.cells(t, g)) for g in grants]
        if message.offset == 0:
            self.rows = {str(g.id): g for g in grants}
            t.show(rows, has_more=has_more)
        else:
            self.rows.update({str(g.id): g for g in grants})
            t.append(rows, has_more=has_more)
        label = ACCESS_FILTERS[self.filter_index][0]
        self.query_one("#access-filter", Label).update(
            f"Showing {label} (f to change) · n grant · x revoke · v review"
        )
        findings = message.findings
        if findings is not None:
            from transition.tui.screens.access_review import counted

            high = [f for f in findings if f.severity == "high"]
            lines = [f"Review: {counted(findings)}"]
            lines += [
                f"  {f.severity.upper()} · {f.person} on {f.system}: {f.message}"
                for f in findings[:4]
            ]
            if len(findings) > 4:
                lines.append(f"  … and {len(findings) - 4} more: v opens the review")
            box = self.query_one("#findings", Static)
            box.update("\n".join(lines))
            box.set_class(bool(high), "-alert")

    @staticmethod
    def cells(t: PagedTable, g: GrantView) -> list[Any]:
        status = g.status
        shown = {"active": t.styled("active", "green"), "revoked": t.styled("revoked", "muted")}
        return [
            str(g.id),
            g.person,
            g.system,
            g.role,
            day(g.expires_on) if g.expires_on else t.styled("never", "amber"),
            shown.get(status, t.styled(status, "alert")),
            g.justification or t.styled("–", "muted"),
        ]

    @on(PagedTable.RowSelected, "#access-table")
    def action_inspect(self) -> None:
        row = self.current()
        if row is not None:
            from transition.tui.screens.inspectors import GrantInspector

            self.inspect(GrantInspector, row.id)

    def action_review(self) -> None:
        """The access review in full (the engagement's ``V``): enter on a finding opens
        its grant, x revokes it."""
        from transition.tui.screens.access_review import open_access_review

        def closed(changed: bool | None) -> None:
            if changed:
                self.changed()

        name = self.engagement.summary.name if self.engagement else self.slug
        open_access_review(self, self.slug, name, closed)

    def action_cycle_filter(self) -> None:
        self.filter_index = (self.filter_index + 1) % len(ACCESS_FILTERS)
        self.table.reset()
        self.rows = {}
        self.fetch(0)

    def action_grant(self) -> None:
        from transition.tui.forms.access import grant_form

        form = grant_form(self.backend, self.slug, self.people_options(), self.system_options())
        self.open_form(
            form, lambda grant: f"grant {grant.id} recorded; its revocation is on the handover list"
        )

    def action_revoke(self) -> None:
        row = self.current()
        if not row:
            return
        if row.revoked_at is not None:
            self.notify(f"grant {row.id} is already revoked", severity="warning")
            return
        from transition.tui.forms.access import revoke_form

        self.open_form(
            revoke_form(self.backend, self.slug, row),
            lambda grant: f"grant {grant.id} revoked; its handover item is resolved",
        )
