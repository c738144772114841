"""The dashboard: every engagement, its phase, its figures and its red/amber/green state."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Label, Static

from transition.services import dashboard
from transition.services.views.dashboard import DashboardDetail, DashboardRow
from transition.tui.commands import registry as cmd
from transition.tui.screens.base import WRITE, DataMixin
from transition.tui.screens.live import LiveMixin
from transition.tui.widgets.footer import KeyFooter
from transition.tui.widgets.paged_table import PagedTable, fit_cells
from transition.tui.widgets.stepper import PhaseStepper
from transition.tui.widgets.upcoming import ahead_line

STATE_LABEL = {"red": "RED", "amber": "AMBER", "green": "GREEN", "done": "DONE"}
#: Sorted by state, the engagements needing attention come first.
STATE_RANK = {"red": 0, "amber": 1, "green": 2, "done": 3}

COLUMNS = (
    ("state", "State"),
    ("name", "Engagement"),
    ("phase", "Phase"),
    ("progress", "Done"),
    ("overdue", "Late"),
    ("high", "Findings"),
    ("kt", "KT"),
    ("runbooks", "Runbooks"),
    ("ready", "Ready"),
    ("cutover", "Cutover"),
    ("parties", "Client → provider"),
)


@dataclass(frozen=True)
class Layout:
    """The table's columns for terminals at least ``min_width`` wide."""

    min_width: int
    columns: tuple[tuple[str, str], ...]
    name_width: int  # longer engagement names end in "…"
    phase_names: bool  # the current phase's name after the stepper marks


#: Narrower terminals drop what the detail pane shows anyway (the parties, the phase's
#: name) and shorten the rest, so every column fits down to 80 columns (scrollbar included).
LAYOUTS = (
    Layout(140, COLUMNS, 40, True),
    Layout(100, tuple(c for c in COLUMNS if c[0] != "parties"), 20, True),
    Layout(
        0,
        tuple(
            (key, {"high": "High"}.get(key, label))
            for key, label in COLUMNS
            if key not in ("parties", "ready")
        ),
        20,
        False,
    ),
)


def layout_for(width: int) -> Layout:
    return next(layout for layout in LAYOUTS if width >= layout.min_width)


def compact_stepper(row: DashboardRow, *, with_name: bool = True) -> str:
    n, at = len(row.phases), row.phase_index
    marks = "".join("●" if i < at else "◉" if i == at else "○" for i in range(n))
    return f"{marks} {shorten(row.current_phase or 'done', 16)}" if with_name else marks


def shorten(text: str, width: int) -> str:
    """``text`` in at most ``width`` terminal cells (a CJK character takes two)."""
    return fit_cells(text, width)


def pct(done: int, total: int) -> str:
    return f"{round(100 * done / total)}%" if total else "–"


class DashboardScreen(LiveMixin, DataMixin, Screen):
    """Every engagement as a row; the highlighted one in detail below. Others' changes, to
    any engagement, show within the poll interval (``LiveMixin``)."""

    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(
        cmd.OPEN,
        cmd.REASONS,
        cmd.NEW_ENGAGEMENT,
        cmd.MY_WORK,
        cmd.ARCHIVE,
        cmd.SHOW_ARCHIVED,
        cmd.RELOAD,
    )
    #: The help group listed first when ``?`` is pressed here.
    help_here = "Dashboard"

    @dataclass
    class Loaded(Message):
        rows: list[DashboardRow]

    @dataclass
    class DetailLoaded(Message):
        slug: str
        detail: DashboardDetail | None  # None: it could not be read

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, DashboardRow] = {}
        self.loaded = False
        self.columns_layout: Layout | None = None
        #: Whether the archived engagements are shown (instead of those in use).
        self.archived = False
        #: The gate and next 14 days of the highlighted engagement, once read.
        self.shown_detail: DashboardDetail | None = None
        self.hint = ""
        self.detail_wanted: str | None = None
        self.detail_reading = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield PagedTable(id="engagements")
        with Vertical(id="detail"):
            yield Label("", id="detail-title", markup=False)
            yield PhaseStepper(id="detail-stepper")
            yield Static("", id="detail-reasons", markup=False)
            yield Static("", id="detail-ahead", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "Dashboard"
        # ``/`` filters the engagements by any column's text; sorted by state, red comes
        # first, and by cutover, the nearest (engagements not running have none).
        self.query_one(PagedTable).sort_keys = {
            "state": lambda slug: STATE_RANK[self.rows[slug].state] if slug in self.rows else None,
            "cutover": self.cutover_days,
        }
        self.lay_out(self.app.size.width)
        # The spinner only if loading is slow: building it costs more than a quick load.
        self.set_timer(0.3, self.still_loading)
        self.reload()

    def live_scope(self) -> str | None:
        return None  # every engagement

    def live_refresh(self) -> None:
        self.reload()

    def on_resize(self, event: events.Resize) -> None:
        self.lay_out(event.size.width)

    def lay_out(self, width: int) -> None:
        """The columns for this width (only on a change)."""
        layout = layout_for(width)
        if layout != self.columns_layout:
            self.columns_layout = layout
            table = self.query_one(PagedTable)
            rows = [(slug, self.cells(table, r)) for slug, r in self.rows.items()]
            table.set_columns(layout.columns, rows)

    def cutover_days(self, slug: str) -> int | None:
        row = self.rows.get(slug)
        return None if row is None or row.status != "active" else row.days_to_cutover

    def still_loading(self) -> None:
        if not self.rows and not self.loaded:
            self.query_one(PagedTable).loading = True
            self.refresh_bindings()  # the list's keys do not apply while it loads

    def reload(self) -> None:
        self.read_into(
            self.Loaded, partial(dashboard.overview, archived=self.archived), group="dashboard"
        )

    def on_dashboard_screen_loaded(self, message: Loaded) -> None:
        table = self.query_one(PagedTable)
        if table.loading:
            # The list keeps the focus while it loads, but its keys (⏎ Open…) apply again
            # only now: nothing else tells the footer, the focus did not move.
            table.loading = False
            self.refresh_bindings()
        if self.focused is None:
            table.focus()
        self.loaded = True
        self.rows = {r.slug: r for r in message.rows}
        cells = [(slug, self.cells(table, r)) for slug, r in self.rows.items()]
        table.show(cells, has_more=False)
        if not message.rows:
            self.query_one("#detail-title", Label).update(
                "No archived engagement. H shows the engagements in use."
                if self.archived
                else "No engagement yet. Press n to start one from a playbook "
                "(or run `transition demo` for a sample)."
            )
        self.show_detail(table.current_key())
        self.start_live()

    def cells(self, table: PagedTable, r: DashboardRow) -> list[Any]:
        layout = self.columns_layout or LAYOUTS[0]
        state = r.state
        days = r.days_to_cutover
        values = {
            "state": table.styled(STATE_LABEL[state], {"done": "muted"}.get(state, state)),
            "name": shorten(_marked(r), layout.name_width),
            "phase": compact_stepper(r, with_name=layout.phase_names),
            "progress": pct(r.tasks_done, r.tasks_total),
            "overdue": table.styled(r.tasks_overdue, "alert") if r.tasks_overdue else "0",
            "high": table.styled(r.high_findings, "alert") if r.high_findings else "0",
            "kt": f"{r.kt_covered}/{r.systems}",
            "runbooks": f"{r.runbooks_accepted}/{r.runbooks_required}",
            "ready": "–" if r.readiness is None else str(r.readiness),
            "cutover": "–" if days is None or r.status != "active" else f"{days}d",
            "parties": " → ".join(x for x in (r.client or "?", r.provider or "?")),
        }
        return [values[key] for key, _ in layout.columns]

    @on(PagedTable.RowHighlighted, "#engagements")
    def highlighted(self, event: PagedTable.RowHighlighted) -> None:
        self.show_detail(event.row_key.value if event.row_key else None)

    @on(PagedTable.Filtered, "#engagements")
    def filtered(self) -> None:
        self.show_detail(self.query_one(PagedTable).current_key())

    def show_detail(self, slug: str | None) -> None:
        row = self.rows.get(slug or "")
        detail = self.query_one("#detail")
        if row is None:
            detail.set_class(False, "-red", "-amber", "-green", "-done")
            self.query_one(PhaseStepper).phases = []
            self.query_one("#detail-reasons", Static).update("")
            self.query_one("#detail-ahead", Static).update("")
            if self.rows and self.query_one(PagedTable).text.strip():
                self.query_one("#detail-title", Label).update(
                    "No engagement matches the filter; esc clears it."
                )
            return
        self.want_detail(row.slug)
        for state in ("red", "amber", "green", "done"):
            detail.set_class(row.state == state, f"-{state}")
        parties = f"{row.client or '?'} → {row.provider or '?'}"
        newer = ""
        if row.playbook_latest is not None:
            newer = f"  ·  playbook v{row.playbook_latest} available (U on its screen)"
        self.query_one("#detail-title", Label).update(
            f"{row.name}  ·  {parties}  ·  {STATE_LABEL[row.state]}: {row.reasons[0]}{newer}"
        )
        self.query_one(PhaseStepper).phases = [
            {
                "key": key,
                "status": "done"
                if i < row.phase_index
                else "active"
                if i == row.phase_index
                else "pending",
            }
            for i, key in enumerate(row.phases)
        ]
        more = len(row.reasons) - 1
        self.hint = (
            f"+{more} more reason(s): press r" if more > 0 else "Enter opens it; r says why."
        )
        self.paint_gate(row.slug)

    def want_detail(self, slug: str) -> None:
        """Read the gate and next 14 days of ``slug``: one read at a time, the latest
        highlight read next (scrolling through the list does not queue a read per row)."""
        self.detail_wanted = slug
        if not self.detail_reading:
            self.detail_reading = True
            self.load_detail(slug)

    @work(thread=True, exit_on_error=False, group="dashboard-detail")
    def load_detail(self, slug: str) -> None:
        try:
            found = self.backend.read(dashboard.detail, slug)
        except Exception:  # e.g. deleted meanwhile: the line stays empty
            found = None
        self.post_message(self.DetailLoaded(slug, found))

    def on_dashboard_screen_detail_loaded(self, message: DetailLoaded) -> None:
        self.detail_reading = False
        if message.detail is not None:
            self.shown_detail = message.detail
        if self.detail_wanted != message.slug and self.detail_wanted is not None:
            self.want_detail(self.detail_wanted)
        elif message.slug == (self.query_one(PagedTable).current_key() or ""):
            self.paint_gate(message.slug)

    def paint_gate(self, slug: str) -> None:
        """The gate readiness before the hint, and the next 14 days, once read for
        ``slug`` (the highlighted engagement); until then, the hint alone."""
        d = (
            self.shown_detail
            if self.shown_detail and self.shown_detail.engagement == slug
            else None
        )
        gate = ""
        if d is not None:
            gate = (
                f"Gate of {d.gate.title}: {d.gate.met} of {d.gate.total} criteria met · "
                if d.gate is not None
                else "Every phase done · "
            )
        self.query_one("#detail-reasons", Static).update(gate + self.hint)
        self.query_one("#detail-ahead", Static).update(ahead_line(d.upcoming) if d else "")

    def current(self) -> DashboardRow | None:
        return self.rows.get(self.query_one(PagedTable).current_key() or "")

    def action_open(self) -> None:
        row = self.current()
        if row:
            self.app.call_later(self.app.open_engagement, row.slug)

    @on(PagedTable.RowSelected, "#engagements")
    def selected(self) -> None:
        self.action_open()

    def action_reasons(self) -> None:
        row = self.current()
        if row:
            from transition.tui.screens.dialogs import ReasonsScreen

            self.app.push_screen(ReasonsScreen(row.model_dump()))

    def action_reload(self) -> None:
        self.reload()

    def action_toggle_archived(self) -> None:
        self.archived = not self.archived
        self.sub_title = "Archived engagements" if self.archived else "Dashboard"
        self.reload()

    def action_archive(self) -> None:
        """Archive the highlighted engagement once confirmed, or unarchive it (at once)
        when archived ones are shown."""
        row = self.current()
        if row is None:
            return
        from transition.services import engagements

        if row.archived_at is None:
            from transition.tui.forms.engagement import archive_form

            def archived(done: Any) -> None:
                if done is not None:
                    self.archived_done(f"engagement {row.slug} archived")

            self.app.push_screen(archive_form(self.backend, row), archived)
            return

        def work() -> None:
            self.backend.write(engagements.unarchive, row.slug, expected_version=row.version)
            self.app.call_from_thread(self.archived_done, f"engagement {row.slug} unarchived")

        self.run_worker(work, thread=True, exclusive=True, exit_on_error=False, group=WRITE)

    def archived_done(self, note: str) -> None:
        self.notify(note)
        self.reload()

    def action_new_engagement(self) -> None:
        from transition.playbooks import playbook_names
        from transition.tui.forms.engagement import new_engagement_form

        def created(slug: str | None) -> None:
            if slug:
                self.notify(f"engagement {slug} started")
                self.reload()
                self.app.call_later(self.app.open_engagement, slug)

        self.read_then(
            playbook_names,
            lambda playbooks: self.app.push_screen(
                new_engagement_form(self.backend, playbooks), created
            ),
        )

    def action_my_work(self) -> None:
        from transition.tui.screens.agenda import AgendaScreen

        self.app.push_screen(AgendaScreen())

    def on_screen_resume(self) -> None:
        if self.rows:
            self.reload()


__all__ = ["WRITE", "DashboardScreen"]


def _marked(row: DashboardRow) -> str:
    """The engagement's name, marked when its playbook has a newer version."""
    if row.playbook_latest is None:
        return row.name
    return f"{row.name} ↑v{row.playbook_latest}"
