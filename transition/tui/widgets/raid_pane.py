"""The RAID tab: risks, assumptions, issues, dependencies and decisions; add and close."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.binding import Binding

from transition.services import raid
from transition.services.dashboard import HIGH_RISK_SCORE
from transition.services.views.raid import RaidItemView
from transition.tui.commands import registry as cmd
from transition.tui.widgets.paged_table import Column, PagedTable
from transition.tui.widgets.pane import Pane, day, short


class RaidPane(Pane[RaidItemView]):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.RAID_ADD, cmd.RAID_CLOSE)
    KEY = "raid"

    # The row's state right after its id, so a narrow terminal never loses it; the
    # title (free text) last, where a narrow terminal cuts only its end.
    COLUMNS = (
        ("ref", "Id"),
        ("status", "Status"),
        ("score", "Score"),
        ("due", "Due"),
        ("owner", "Owner"),
        Column("links", "Links", min_width=140),
        ("title", "Title"),
    )

    def reload(self) -> None:
        self.read_into(self.Loaded, raid.items, self.slug, group=self.KEY)

    def show_rows(self, rows: list[RaidItemView]) -> None:
        t = self.table
        self.rows = {r.ref: r for r in rows}
        t.show([(r.ref, self.cells(t, r)) for r in rows], has_more=False)
        open_rows = [r for r in rows if r.status == "open"]
        high = sum(1 for r in open_rows if (r.score or 0) >= HIGH_RISK_SCORE)
        self.note(
            f"{len(open_rows)} open of {len(rows)} · {high} open high risk(s) (score "
            f"{HIGH_RISK_SCORE} or more) · n add · x close"
            if rows
            else "The RAID log is empty: press n to add a risk, assumption, issue, "
            "dependency or decision."
        )

    @staticmethod
    def cells(t: PagedTable, r: RaidItemView) -> list[Any]:
        if r.score is None:
            score: Any = "–"
        elif r.score >= HIGH_RISK_SCORE:
            score = t.styled(str(r.score), "red")
        else:
            score = str(r.score)
        status = t.styled(r.status, "muted") if r.status == "closed" else r.status
        links = ", ".join(f"{link.kind} {link.name}" for link in r.links)
        return [r.ref, status, score, day(r.due), r.owner or "–", links, short(r.title, 60)]

    @on(PagedTable.RowSelected, "#raid-table")
    def action_inspect(self) -> None:
        row = self.current()
        if row is not None:
            from transition.tui.screens.inspectors import RaidInspector

            self.inspect(RaidInspector, row.ref)

    def action_add_raid(self) -> None:
        from transition.tui.forms.raid import add_raid_form

        self.open_form(
            add_raid_form(self.backend, self.slug, self.people_options()),
            lambda ref: f"added {ref}",
        )

    def action_close_raid(self) -> None:
        row = self.current()
        if row is None:
            return
        if row.status == "closed":
            self.notify(f"{row.ref} is already closed")
            return
        from transition.tui.forms.raid import close_raid_form

        self.open_form(
            close_raid_form(self.backend, self.slug, row.ref, short(row.title, 40)),
            lambda ref: f"closed {ref}",
        )
