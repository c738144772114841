"""The tabs of the engagement screen. Each pane loads its own data in a thread worker the
first time it is shown (and again after a change), and keeps long lists paged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import HorizontalGroup, Vertical
from textual.message import Message
from textual.widgets import Label, Select, Static

from transition.dates import format_utc
from transition.services.views import TaskView
from transition.tui.backend import FIRST_PAGE, PAGE, PhaseHeader, TaskCursor, TaskFilter
from transition.tui.commands import registry as cmd
from transition.tui.screens.base import WRITE, DataMixin
from transition.tui.widgets.paged_table import Column, PagedTable

TASK_MARK = {"todo": "○", "in_progress": "◐", "blocked": "■", "done": "✓", "skipped": "–"}


def day(value: date | datetime | None) -> str:
    """A date, or a time in UTC (as stored, and as the column headings say)."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


class Pane(DataMixin, Vertical):
    """A tab's content. ``activate()`` loads it when shown if it is stale."""

    @dataclass
    class Changed(Message):
        """Posted after a change, so the engagement screen refreshes its header."""

        pane: Pane

    #: (key, label) of the table's columns, added when the pane mounts.
    COLUMNS: ClassVar[tuple[Column | tuple[str, str], ...]] = ()

    def __init__(self, slug: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.slug = slug
        self.engagement: dict[str, Any] | None = None
        self.stale = True

    def on_mount(self) -> None:
        if self.COLUMNS:
            self.table.declare(self.COLUMNS)

    def prefetch(self, engagement: dict[str, Any]) -> Message | None:
        """The pane's first data, fetched in the engagement screen's loading thread when
        the pane is about to be shown, saving a second round trip; None: it loads itself."""
        return None

    def activate(self, first: Message | None = None) -> None:
        if self.stale:
            self.stale = False
            if first is None:
                self.reload()
            else:
                self.show_first(first)
        focused = self.screen.focused
        if focused is None or self not in focused.ancestors:
            tables = self.query(PagedTable)
            if tables:
                tables.first().focus()

    def show_first(self, first: Message) -> None:
        """Show what ``prefetch`` fetched."""
        self.post_message(first)

    def changed(self, note: str | None = None) -> None:
        if note:
            self.notify(note)
        self.post_message(self.Changed(self))
        self.reload()

    @property
    def table(self) -> PagedTable:
        return self.query_one(PagedTable)

    def people_options(self, side: str | None = None) -> list[tuple[str, str]]:
        people = (self.engagement or {}).get("people", [])
        return [(p.name, p.name) for p in people if side is None or p.side == side]


# ------------------------------------------------------------------------------- tasks


class TasksPane(Pane):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(
        cmd.TOGGLE, cmd.START, cmd.BLOCK, cmd.ASSIGN, cmd.FILTER
    )

    @dataclass
    class Page(Message):
        rows: list[PhaseHeader | TaskView]
        cursor: TaskCursor
        refresh: bool

    def __init__(self, slug: str, *, id: str | None = None) -> None:
        super().__init__(slug, id=id)
        self.filters = TaskFilter()
        self.cursor = TaskCursor()
        self.rows: dict[str, PhaseHeader | TaskView] = {}
        self.loaded = 0
        self.people: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        with HorizontalGroup(classes="filters"):
            yield Select(
                [(s.replace("_", " "), s) for s in TASK_MARK],
                prompt="any status",
                id="status-filter",
                compact=True,
            )
            yield Select([], prompt="anyone", id="assignee-filter", compact=True)
            yield Select(
                [("overdue only", "overdue")],
                prompt="any due date",
                id="overdue-filter",
                compact=True,
            )
        yield PagedTable(id="tasks-table")

    def on_mount(self) -> None:
        self.table.declare(
            [
                Column("mark", " ", width=1),
                Column("key", "Task"),
                Column("due", "Due"),
                Column("assignee", "Assignee", min_width=100),
                Column("waiting", "Waiting on", min_width=150),
                Column("title", "Title"),
            ]
        )

    def order(self) -> list[str]:
        return self.backend.phase_order((self.engagement or {}).get("phases", []))

    def reload(self) -> None:
        if self.engagement is None:
            return
        self.sync_people()
        self.fetch(TaskCursor(), max(FIRST_PAGE, self.loaded), refresh=self.table.row_count > 0)

    def sync_people(self) -> None:
        people = [(p.name, p.slug) for p in (self.engagement or {}).get("people", [])]
        if people == self.people:  # unchanged: keep the choice as it is
            return
        self.people = people
        select = self.query_one("#assignee-filter", Select)
        value = select.value
        select.set_options([(Text(name), slug) for name, slug in people])
        if value in {v for _, v in people}:
            select.value = value

    def prefetch(self, engagement: dict[str, Any]) -> Message | None:
        order = self.backend.phase_order(engagement["phases"])
        limit = max(FIRST_PAGE, self.loaded)
        page = self.backend.tasks_page(self.slug, order, self.filters, TaskCursor(), limit)
        return self.Page(page.rows, page.cursor, refresh=True)

    def show_first(self, first: Message) -> None:
        self.sync_people()
        self.on_tasks_pane_page(first)  # type: ignore[arg-type]

    @work(thread=True, exclusive=True, exit_on_error=False, group="tasks")
    def fetch(self, cursor: TaskCursor, limit: int, refresh: bool = False) -> None:
        page = self.backend.tasks_page(self.slug, self.order(), self.filters, cursor, limit)
        self.post_message(self.Page(page.rows, page.cursor, refresh))

    @on(PagedTable.NeedMore, "#tasks-table")
    def more(self) -> None:
        self.fetch(self.cursor, PAGE)

    def on_tasks_pane_page(self, message: Page) -> None:
        t = self.table
        phases = {p["key"]: p for p in (self.engagement or {}).get("phases", [])}
        counts = (self.engagement or {}).get("task_counts", {})
        cells = [(r.key, self.cells(t, r, phases, counts)) for r in message.rows]
        has_more = not message.cursor.done
        if message.refresh:
            self.rows = {r.key: r for r in message.rows}
            t.show(cells, has_more=has_more)
            self.loaded = sum(1 for r in message.rows if isinstance(r, TaskView))
        else:
            self.rows.update({r.key: r for r in message.rows})
            t.append(cells, has_more=has_more)
            self.loaded += sum(1 for r in message.rows if isinstance(r, TaskView))
        self.cursor = message.cursor
        if not t.row_count:
            t.add_row("", "", "", "", "", "no task matches these filters", key="empty")

    @staticmethod
    def cells(
        t: PagedTable,
        r: PhaseHeader | TaskView,
        phases: dict[str, dict[str, Any]],
        counts: dict[str, dict[str, int]],
    ) -> list[Any]:
        if isinstance(r, PhaseHeader):
            p = phases.get(r.phase, {})
            n = counts.get(r.phase, {})
            total = sum(n.values())
            open_ = sum(v for k, v in n.items() if k not in ("done", "skipped"))
            state = {"active": "current phase", "done": "done"}.get(p.get("status", ""), "later")
            title = f"{p.get('title', r.phase)} · {state} · {open_} open of {total}"
            return ["", t.styled(r.phase, "heading"), "", "", "", t.styled(title, "heading")]
        status = r.status
        muted = status in ("done", "skipped")
        mark = TASK_MARK.get(status, "?")
        waiting = ", ".join(r.waiting_on)
        due = day(r.due_date)
        return [
            t.styled(mark, "muted") if muted else mark,
            t.styled(r.key, "muted") if muted else r.key,
            t.styled(f"{due}!", "alert") if r.overdue else due,
            r.assignee or t.styled(_short(r.owner_role or "–", 18), "muted"),
            t.styled(f"⧗ {_short(waiting, 24)}", "amber") if waiting and not muted else "",
            t.styled(r.title, "muted") if muted else r.title,
        ]

    def current(self) -> TaskView | None:
        row = self.rows.get(self.table.current_key() or "")
        return row if isinstance(row, TaskView) else None

    @on(Select.Changed, "#status-filter")
    @on(Select.Changed, "#assignee-filter")
    @on(Select.Changed, "#overdue-filter")
    def filter_changed(self) -> None:
        status = self.query_one("#status-filter", Select).value
        who = self.query_one("#assignee-filter", Select).value
        new = TaskFilter(
            status=status if isinstance(status, str) else None,
            assignee=who if isinstance(who, str) else None,
            overdue=self.query_one("#overdue-filter", Select).value == "overdue",
        )
        if new != self.filters:
            self.filters = new
            self.table.reset()
            self.rows, self.loaded = {}, 0
            self.fetch(TaskCursor(), FIRST_PAGE)

    def action_filter(self) -> None:
        self.query_one("#status-filter", Select).focus()

    def action_toggle(self) -> None:
        row = self.current()
        if row:
            self.write_toggle(row.key, row.version)

    @work(thread=True, exclusive=True, exit_on_error=False, group=WRITE)
    def write_toggle(self, key: str, version: int) -> None:
        status = self.backend.toggle_task(self.slug, key, version)
        self.app.call_from_thread(self.changed, f"{key}: {status.replace('_', ' ')}")

    def action_start(self) -> None:
        self._set("in_progress")

    def action_block(self) -> None:
        self._set("blocked")

    def _set(self, status: str) -> None:
        row = self.current()
        if row:
            self.write_status(row.key, status, row.version)

    @work(thread=True, exclusive=True, exit_on_error=False, group=WRITE)
    def write_status(self, key: str, status: str, version: int) -> None:
        self.backend.set_task_status(self.slug, key, status, version)
        self.app.call_from_thread(self.changed, f"{key}: {status.replace('_', ' ')}")

    def action_assign(self) -> None:
        row = self.current()
        if not row:
            return
        from transition.tui.screens.forms import assign_form

        def done(result: Any) -> None:
            if result is not None:
                self.changed(f"{row.key} assigned to {result or 'nobody'}")

        self.app.push_screen(assign_form(self.backend, self.slug, row, self.people_options()), done)


# ----------------------------------------------------------------------------- systems


class SystemsPane(Pane):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.SYSTEM_ADD)

    @dataclass
    class Loaded(Message):
        data: dict[str, Any]

    def compose(self) -> ComposeResult:
        yield PagedTable(id="systems-table")
        yield Static("", id="risks", classes="note", markup=False)

    COLUMNS: ClassVar[tuple[Column | tuple[str, str], ...]] = (
        ("tier", "Tier"),
        ("name", "System"),
        ("runbooks", "Runbooks"),
        ("access", "Access"),
        ("ready", "Ready"),
        ("risk", "Key person"),
        ("kt", "KT signed off"),  # free text last: a narrow terminal cuts only its end
    )

    def reload(self) -> None:
        self.fetch()

    @work(thread=True, exclusive=True, exit_on_error=False, group="systems")
    def fetch(self) -> None:
        self.post_message(self.Loaded(self.backend.systems(self.slug)))

    def on_systems_pane_loaded(self, message: Loaded) -> None:
        t = self.table
        rows = []
        for s in message.data["coverage"]:
            missing = ", ".join(s.kt_missing)
            rows.append(
                (
                    s.slug,
                    [
                        str(s.tier),
                        s.name,
                        f"{s.runbooks_accepted}/{s.runbooks_required} accepted",
                        str(s.access_active) if s.access_active else t.styled("none", "alert"),
                        t.styled("ready", "green") if s.ready else t.styled("not yet", "amber"),
                        t.styled("RISK", "red") if s.key_person_risk else "",
                        ", ".join(s.kt_signed_off) or t.styled(f"missing {missing}", "muted"),
                    ],
                )
            )
        t.show(rows, has_more=False)
        risks = message.data["risks"]
        text = "\n".join(f"Key-person risk · {r['system']}: {r['reason']}" for r in risks)
        if not rows:
            text = "No system in scope yet: press n to add one."
        self.query_one("#risks", Static).update(text)

    def action_add_system(self) -> None:
        from transition.tui.screens.forms import add_system_form

        def done(result: Any) -> None:
            if result is not None:
                self.changed(f"system {result} added")

        self.app.push_screen(add_system_form(self.backend, self.slug), done)


# ------------------------------------------------------------------------------ access

ACCESS_FILTERS = (
    ("all grants", False, None),
    ("active", True, None),
    ("expiring ≤ 30d", False, 30),
)


class AccessPane(Pane):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.GRANT, cmd.REVOKE, cmd.ACCESS_FILTER)

    @dataclass
    class Page(Message):
        data: dict[str, Any]
        offset: int

    def __init__(self, slug: str, *, id: str | None = None) -> None:
        super().__init__(slug, id=id)
        self.filter_index = 0
        self.grants: dict[str, dict[str, Any]] = {}

    def compose(self) -> ComposeResult:
        yield Label("", id="access-filter", classes="note", markup=False)
        yield PagedTable(id="access-table")
        yield Static("", id="findings", classes="note findings", markup=False)

    COLUMNS: ClassVar[tuple[Column | tuple[str, str], ...]] = (
        Column("id", "#", min_width=100),
        ("person", "Person"),
        ("system", "System"),
        ("role", "Role"),
        ("expires", "Expires"),
        ("status", "Status"),
        ("why", "Justification"),
    )

    def reload(self) -> None:
        self.fetch(0, max(PAGE, len(self.grants)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="access")
    def fetch(self, offset: int, limit: int = PAGE) -> None:
        _, active, days = ACCESS_FILTERS[self.filter_index]
        data = self.backend.access(
            self.slug, active=active, expiring_days=days, offset=offset, limit=limit
        )
        data["limit"] = limit
        self.post_message(self.Page(data, offset))

    @on(PagedTable.NeedMore, "#access-table")
    def more(self) -> None:
        self.fetch(len(self.grants))

    def on_access_pane_page(self, message: Page) -> None:
        t = self.table
        grants = message.data["grants"]
        has_more = len(grants) >= message.data["limit"]
        rows = [(str(g["id"]), self.cells(t, g)) for g in grants]
        if message.offset == 0:
            self.grants = {str(g["id"]): g for g in grants}
            t.show(rows, has_more=has_more)
        else:
            self.grants.update({str(g["id"]): g for g in grants})
            t.append(rows, has_more=has_more)
        label = ACCESS_FILTERS[self.filter_index][0]
        self.query_one("#access-filter", Label).update(
            f"Showing {label} (f to change) · n grant · x revoke"
        )
        findings = message.data.get("findings")
        if findings is not None:
            high = [f for f in findings if f["severity"] == "high"]
            lines = [f"Review: {len(high)} high, {len(findings) - len(high)} medium finding(s)"]
            lines += [
                f"  {f['severity'].upper()} · {f['person']} on {f['system']}: {f['message']}"
                for f in findings[:4]
            ]
            if len(findings) > 4:
                lines.append(f"  … and {len(findings) - 4} more (`transition access review`)")
            box = self.query_one("#findings", Static)
            box.update("\n".join(lines) if findings else "Review: no findings.")
            box.set_class(bool(high), "-alert")

    @staticmethod
    def cells(t: PagedTable, g: dict[str, Any]) -> list[Any]:
        status = g["status"]
        shown = {"active": t.styled("active", "green"), "revoked": t.styled("revoked", "muted")}
        return [
            str(g["id"]),
            g["person"],
            g["system"],
            g["role"],
            day(g["expires_on"]) if g["expires_on"] else t.styled("never", "amber"),
            shown.get(status, t.styled(status, "alert")),
            g["justification"] or t.styled("–", "muted"),
        ]

    def action_cycle_filter(self) -> None:
        self.filter_index = (self.filter_index + 1) % len(ACCESS_FILTERS)
        self.table.reset()
        self.grants = {}
        self.fetch(0)

    def action_grant(self) -> None:
        from transition.tui.screens.forms import grant_form

        def done(result: Any) -> None:
            if result is not None:
                self.changed(f"grant {result} recorded; its revocation is on the handover list")

        systems = self.app_systems()
        self.app.push_screen(
            grant_form(self.backend, self.slug, self.people_options(), systems), done
        )

    def app_systems(self) -> list[tuple[str, str]]:
        return [(s, s) for s in (self.engagement or {}).get("systems", [])]

    def action_revoke(self) -> None:
        row = self.grants.get(self.table.current_key() or "")
        if not row:
            return
        if row["revoked_at"] is not None:
            self.notify(f"grant {row['id']} is already revoked", severity="warning")
            return
        from transition.tui.screens.forms import revoke_form

        def done(result: Any) -> None:
            if result is not None:
                self.changed(f"grant {result} revoked; its handover item is resolved")

        self.app.push_screen(revoke_form(self.backend, self.slug, row), done)


# ---------------------------------------------------------------------------------- KT


class KTPane(Pane):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.KT_SCHEDULE, cmd.KT_HOLD, cmd.KT_SIGNOFF)

    @dataclass
    class Loaded(Message):
        data: dict[str, Any]

    def __init__(self, slug: str, *, id: str | None = None) -> None:
        super().__init__(slug, id=id)
        self.sessions: dict[str, dict[str, Any]] = {}

    def compose(self) -> ComposeResult:
        yield PagedTable(id="kt-table")
        yield Static("", id="kt-risks", classes="note", markup=False)

    COLUMNS: ClassVar[tuple[Column | tuple[str, str], ...]] = (
        Column("id", "#", min_width=100),
        ("when", "When (UTC)"),
        ("system", "System"),
        ("kind", "Kind"),
        ("status", "Status"),
        Column("conf", "Conf.", min_width=120),
        ("topic", "Topic"),
        Column("who", "Presenter → attendees", min_width=160),
    )

    def reload(self) -> None:
        self.fetch()

    @work(thread=True, exclusive=True, exit_on_error=False, group="kt")
    def fetch(self) -> None:
        self.post_message(self.Loaded(self.backend.kt_sessions(self.slug)))

    def on_ktpane_loaded(self, message: Loaded) -> None:
        t = self.table
        sessions = message.data["sessions"]
        self.sessions = {str(s["id"]): s for s in sessions}
        marks = {
            "planned": t.styled("planned", "muted"),
            "held": t.styled("held", "amber"),
            "signed_off": t.styled("signed off", "green"),
        }
        rows = [
            (
                str(s["id"]),
                [
                    str(s["id"]),
                    format_utc(s["starts_at"]).removesuffix(" UTC"),
                    s["system"],
                    s["kind"],
                    marks.get(s["status"], s["status"]),
                    str(s["confidence"]) if s["confidence"] else "",
                    s["topic"],
                    f"{', '.join(s['presenters'])} → {', '.join(s['attendees']) or '–'}",
                ],
            )
            for s in sessions
        ]
        t.show(rows, has_more=False)
        risks = message.data["risks"]
        text = "\n".join(f"Key-person risk · {r['system']}: {r['reason']}" for r in risks)
        if not sessions:
            text = "No KT session yet: press n to schedule one."
        self.query_one("#kt-risks", Static).update(text)

    def current(self) -> dict[str, Any] | None:
        return self.sessions.get(self.table.current_key() or "")

    def action_schedule(self) -> None:
        from transition.tui.screens.forms import kt_schedule_form

        def done(result: Any) -> None:
            if result is not None:
                self.changed(f"KT session {result} scheduled")

        systems = [(s, s) for s in (self.engagement or {}).get("systems", [])]
        self.app.push_screen(
            kt_schedule_form(self.backend, self.slug, self.people_options(), systems), done
        )

    def action_hold(self) -> None:
        row = self.current()
        if row:
            self.write_hold(row["id"], row["version"])

    @work(thread=True, exclusive=True, exit_on_error=False, group=WRITE)
    def write_hold(self, session_id: int, version: int) -> None:
        self.backend.kt_hold(self.slug, session_id, version)
        self.app.call_from_thread(self.changed, f"KT session {session_id} held")

    def action_signoff(self) -> None:
        row = self.current()
        if not row:
            return
        from transition.tui.screens.forms import kt_signoff_form

        def done(result: Any) -> None:
            if result is not None:
                self.changed(f"KT session {row['id']} signed off")

        attendees = [(a, a) for a in row["attendees"]]
        self.app.push_screen(kt_signoff_form(self.backend, self.slug, row, attendees), done)


# ---------------------------------------------------------------------------- runbooks

RUNBOOK_NEXT = {"drafted": "reviewed", "reviewed": "validated", "validated": "accepted"}


class RunbooksPane(Pane):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.RUNBOOK_NEW, cmd.RUNBOOK_STATUS)

    @dataclass
    class Loaded(Message):
        rows: list[dict[str, Any]]

    def __init__(self, slug: str, *, id: str | None = None) -> None:
        super().__init__(slug, id=id)
        self.runbooks: dict[str, dict[str, Any]] = {}

    def compose(self) -> ComposeResult:
        yield PagedTable(id="runbooks-table")
        yield Static("", id="runbooks-note", classes="note", markup=False)

    COLUMNS: ClassVar[tuple[Column | tuple[str, str], ...]] = (
        ("id", "#"),
        ("system", "System"),
        ("template", "Template"),
        ("status", "Status"),
        ("fill", "Filled"),
        ("path", "File"),
    )

    def reload(self) -> None:
        self.fetch()

    @work(thread=True, exclusive=True, exit_on_error=False, group="runbooks")
    def fetch(self) -> None:
        self.post_message(self.Loaded(self.backend.runbooks(self.slug)))

    def on_runbooks_pane_loaded(self, message: Loaded) -> None:
        t = self.table
        self.runbooks = {str(r["id"]): r for r in message.rows}
        rows = [(str(r["id"]), self.cells(t, r)) for r in message.rows]
        t.show(rows, has_more=False)
        accepted = sum(1 for r in message.rows if r["status"] == "accepted")
        self.query_one("#runbooks-note", Static).update(
            f"{accepted} of {len(message.rows)} accepted · n generate · enter next status"
            if message.rows
            else "No runbook yet: press n to generate one from a template."
        )

    @staticmethod
    def cells(t: PagedTable, r: dict[str, Any]) -> list[Any]:
        fill = r.get("fill_ratio")
        shown = "–" if fill is None else f"{round(100 * fill)}%"
        status = r["status"]
        states = {"accepted": "green", "planned": "muted", "drafted": "amber"}
        return [
            str(r["id"]),
            r["system"],
            r["template"],
            t.styled(status, states.get(status, "amber")) if status in states else status,
            shown,
            shown_path(r.get("path") or ""),
        ]

    def action_generate(self) -> None:
        from transition.tui.screens.forms import runbook_form

        def done(result: Any) -> None:
            if result is not None:
                self.changed(f"runbook written to {result}")

        systems = [(s, s) for s in (self.engagement or {}).get("systems", [])]
        self.read_then(
            self.backend.templates,
            lambda templates: self.app.push_screen(
                runbook_form(self.backend, self.slug, systems, templates), done
            ),
        )

    def action_promote(self) -> None:
        row = self.runbooks.get(self.table.current_key() or "")
        if not row:
            return
        following = RUNBOOK_NEXT.get(row["status"])
        if following is None:
            self.notify(f"runbook {row['id']} is already {row['status']}")
            return
        self.write_status(row["id"], following)

    @work(thread=True, exclusive=True, exit_on_error=False, group=WRITE)
    def write_status(self, runbook_id: int, status: str) -> None:
        self.backend.runbook_status(self.slug, runbook_id, status)
        self.app.call_from_thread(self.changed, f"runbook {runbook_id}: {status}")


# ---------------------------------------------------------------------------- handover


class HandoverPane(Pane):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.HANDOVER_DONE, cmd.HANDOVER_SYNC)

    @dataclass
    class Loaded(Message):
        rows: list[dict[str, Any]]

    def __init__(self, slug: str, *, id: str | None = None) -> None:
        super().__init__(slug, id=id)
        self.items: dict[str, dict[str, Any]] = {}

    def compose(self) -> ComposeResult:
        yield PagedTable(id="handover-table")
        yield Static("", id="handover-note", classes="note", markup=False)

    COLUMNS: ClassVar[tuple[Column | tuple[str, str], ...]] = (
        ("status", "Status"),
        ("title", "Item"),
        Column("owner", "Owner", min_width=140),
        Column("section", "Section", min_width=180),
        Column("source", "Source", min_width=220),
    )

    def reload(self) -> None:
        self.fetch()

    @work(thread=True, exclusive=True, exit_on_error=False, group="handover")
    def fetch(self) -> None:
        self.post_message(self.Loaded(self.backend.handover(self.slug)))

    def on_handover_pane_loaded(self, message: Loaded) -> None:
        t = self.table
        self.items = {r["key"]: r for r in message.rows}
        rows = [(r["key"], self.cells(t, r)) for r in message.rows]
        t.show(rows, has_more=False)
        counts: dict[str, int] = {}
        for r in message.rows:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        self.query_one("#handover-note", Static).update(
            f"{summary or 'no items'} · derived items follow their grant/system/runbook"
        )

    @staticmethod
    def source(r: dict[str, Any]) -> str:
        ref = r.get("source_ref") or {}
        kind = r.get("source_kind")
        if kind == "grant":
            return (
                f"grant {ref.get('grant_id')}: {ref.get('person', '?')} on {ref.get('system', '?')}"
            )
        if kind == "system":
            return f"system {ref.get('system') or ref.get('system_id')}"
        if kind == "runbook":
            return f"runbook {ref.get('runbook_id')}: {ref.get('system', '?')}"
        return f"checklist {ref.get('checklist') or r.get('source')}"

    def cells(self, t: PagedTable, r: dict[str, Any]) -> list[Any]:
        status = r["status"]
        states = {"done": "green", "resolved": "green", "retired": "muted", "open": "amber"}
        return [
            t.styled(status, states.get(status, "amber")),
            r["title"],
            r.get("owner") or "",
            r.get("section_title") or r["section"],
            self.source(r),
        ]

    def action_toggle(self) -> None:
        row = self.items.get(self.table.current_key() or "")
        if not row:
            return
        status = "open" if row["status"] == "done" else "done"
        self.write_item(row["id"], status, row["version"])

    @work(thread=True, exclusive=True, exit_on_error=False, group=WRITE)
    def write_item(self, item_id: int, status: str, version: int) -> None:
        self.backend.handover_item(self.slug, item_id, status, version)
        self.app.call_from_thread(self.changed, f"handover item {status}")

    def action_sync(self) -> None:
        self.write_sync()

    @work(thread=True, exclusive=True, exit_on_error=False, group=WRITE)
    def write_sync(self) -> None:
        result = self.backend.handover_sync(self.slug)
        text = ", ".join(f"{n} {k}" for k, n in result.items() if n) or "already in step"
        self.app.call_from_thread(self.changed, f"handover sync: {text}")


# ------------------------------------------------------------------------------- audit


class AuditPane(Pane):
    @dataclass
    class Page(Message):
        rows: list[dict[str, Any]]
        offset: int

    def __init__(self, slug: str, *, id: str | None = None) -> None:
        super().__init__(slug, id=id)
        self.count = 0

    def compose(self) -> ComposeResult:
        yield PagedTable(id="audit-table")

    COLUMNS: ClassVar[tuple[Column | tuple[str, str], ...]] = (
        ("at", "When (UTC)"),
        ("actor", "Who"),
        ("action", "Action"),
        ("entity", "What"),
        ("field", "Field"),
        ("change", "Before → after"),
    )

    def reload(self) -> None:
        # Newest first: new events arrive at the top, so a reload starts afresh.
        self.table.reset()
        self.count = 0
        self.fetch(0)

    @work(thread=True, exclusive=True, exit_on_error=False, group="audit")
    def fetch(self, offset: int) -> None:
        self.post_message(self.Page(self.backend.audit(self.slug, offset=offset), offset))

    @on(PagedTable.NeedMore, "#audit-table")
    def more(self) -> None:
        self.fetch(self.count)

    def on_audit_pane_page(self, message: Page) -> None:
        t = self.table
        rows = [
            (
                str(e["id"]),
                [
                    e["at"].strftime("%Y-%m-%d %H:%M"),
                    e["actor"],
                    e["action"],
                    f"{e['entity']} {e['entity_id'] or ''}".strip(),
                    e["field"] or "",
                    f"{_short(e['before'])} → {_short(e['after'])}",
                ],
            )
            for e in message.rows
        ]
        self.count += len(rows)
        t.append(rows, has_more=len(rows) >= PAGE)


def shown_path(value: str) -> str:
    """A path under the current folder is shown relative to it (shorter, and the same on
    every machine)."""
    import os

    here = os.getcwd().rstrip(os.sep) + os.sep
    return value.replace(here, "") if here in value else value


def _short(value: str | None, width: int = 40) -> str:
    if value is None:
        return "∅"
    text = shown_path(" ".join(str(value).split()))
    return text if len(text) <= width else text[: width - 1] + "…"
