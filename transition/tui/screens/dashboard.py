"""The dashboard: every engagement, its phase, its figures and its red/amber/green state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Label, Static

from transition.tui.commands import registry as cmd
from transition.tui.screens.base import WRITE, DataMixin
from transition.tui.widgets.footer import KeyFooter
from transition.tui.widgets.paged_table import PagedTable
from transition.tui.widgets.stepper import PhaseStepper

STATE_LABEL = {"red": "RED", "amber": "AMBER", "green": "GREEN", "done": "DONE"}

COLUMNS = (
    ("state", "State"),
    ("name", "Engagement"),
    ("phase", "Phase"),
    ("progress", "Done"),
    ("overdue", "Late"),
    ("high", "Findings"),
    ("kt", "KT"),
    ("runbooks", "Runbooks"),
    ("cutover", "Cutover"),
    ("parties", "Client → provider"),
)


def compact_stepper(row: dict[str, Any]) -> str:
    n, at = len(row["phases"]), row["phase_index"]
    marks = "".join("●" if i < at else "◉" if i == at else "○" for i in range(n))
    return f"{marks} {row['current_phase'] or 'done'}"


def pct(done: int, total: int) -> str:
    return f"{round(100 * done / total)}%" if total else "–"


class DashboardScreen(DataMixin, Screen):
    """Every engagement as a row; the highlighted one in detail below."""

    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(
        cmd.OPEN, cmd.REASONS, cmd.NEW_ENGAGEMENT, cmd.RELOAD
    )

    @dataclass
    class Loaded(Message):
        rows: list[dict[str, Any]]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, Any]] = {}
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield PagedTable(id="engagements")
        with Vertical(id="detail"):
            yield Label("", id="detail-title")
            yield PhaseStepper(id="detail-stepper")
            yield Static("", id="detail-reasons")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "Dashboard"
        table = self.query_one(PagedTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        # The spinner only if loading is slow: building it costs more than a quick load.
        self.set_timer(0.3, self.still_loading)
        self.reload()

    def still_loading(self) -> None:
        if not self.rows and not self.loaded:
            self.query_one(PagedTable).loading = True

    def reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="dashboard")
    def load(self) -> None:
        self.post_message(self.Loaded(self.backend.dashboard()))

    def on_dashboard_screen_loaded(self, message: Loaded) -> None:
        table = self.query_one(PagedTable)
        table.loading = False
        self.loaded = True
        self.rows = {r["slug"]: r for r in message.rows}
        cells = [(r["slug"], self.cells(table, r)) for r in message.rows]
        table.show(cells, has_more=False)
        if not message.rows:
            self.query_one("#detail-title", Label).update(
                "No engagement yet. Press n to start one from a playbook "
                "(or run `transition demo` for a sample)."
            )
        self.show_detail(table.current_key())

    @staticmethod
    def cells(table: PagedTable, r: dict[str, Any]) -> list[Any]:
        state = r["state"]
        days = r["days_to_cutover"]
        parties = " → ".join(x for x in (r["client"] or "?", r["provider"] or "?"))
        return [
            table.styled(STATE_LABEL[state], {"done": "muted"}.get(state, state)),
            r["name"],
            compact_stepper(r),
            pct(r["tasks_done"], r["tasks_total"]),
            table.styled(r["tasks_overdue"], "alert") if r["tasks_overdue"] else "0",
            table.styled(r["high_findings"], "alert") if r["high_findings"] else "0",
            f"{r['kt_covered']}/{r['systems']}",
            f"{r['runbooks_accepted']}/{r['runbooks_total']}",
            "–" if days is None or r["status"] != "active" else f"{days}d",
            parties,
        ]

    @on(PagedTable.RowHighlighted, "#engagements")
    def highlighted(self, event: PagedTable.RowHighlighted) -> None:
        self.show_detail(event.row_key.value if event.row_key else None)

    def show_detail(self, slug: str | None) -> None:
        row = self.rows.get(slug or "")
        detail = self.query_one("#detail")
        if row is None:
            detail.set_class(False, "-red", "-amber", "-green", "-done")
            self.query_one(PhaseStepper).phases = []
            self.query_one("#detail-reasons", Static).update("")
            return
        for state in ("red", "amber", "green", "done"):
            detail.set_class(row["state"] == state, f"-{state}")
        parties = f"{row['client'] or '?'} → {row['provider'] or '?'}"
        self.query_one("#detail-title", Label).update(
            f"{row['name']}  ·  {parties}  ·  {STATE_LABEL[row['state']]}: {row['reasons'][0]}"
        )
        self.query_one(PhaseStepper).phases = [
            {
                "key": key,
                "status": "done"
                if i < row["phase_index"]
                else "active"
                if i == row["phase_index"]
                else "pending",
            }
            for i, key in enumerate(row["phases"])
        ]
        more = len(row["reasons"]) - 1
        self.query_one("#detail-reasons", Static).update(
            f"+{more} more reason(s): press r" if more > 0 else "Enter opens it; r says why."
        )

    def current(self) -> dict[str, Any] | None:
        return self.rows.get(self.query_one(PagedTable).current_key() or "")

    def action_open(self) -> None:
        row = self.current()
        if row:
            from transition.tui.screens.engagement import EngagementScreen

            self.app.push_screen(EngagementScreen(row["slug"]))

    @on(PagedTable.RowSelected, "#engagements")
    def selected(self) -> None:
        self.action_open()

    def action_reasons(self) -> None:
        row = self.current()
        if row:
            from transition.tui.screens.dialogs import ReasonsScreen

            self.app.push_screen(ReasonsScreen(row))

    def action_reload(self) -> None:
        self.reload()

    def action_new_engagement(self) -> None:
        from transition.tui.screens.forms import new_engagement_form

        def created(slug: str | None) -> None:
            if slug:
                self.notify(f"engagement {slug} started")
                self.reload()
                from transition.tui.screens.engagement import EngagementScreen

                self.app.push_screen(EngagementScreen(slug))

        self.app.push_screen(new_engagement_form(self.backend), created)

    def on_screen_resume(self) -> None:
        if self.rows:
            self.reload()


__all__ = ["WRITE", "DashboardScreen"]
