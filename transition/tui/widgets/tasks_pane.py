"""The Tasks tab: every phase's tasks, paged, filtered by status (open ones only as it
opens), assignee, overdue and text, and sorted within each phase."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import HorizontalGroup
from textual.message import Message
from textual.widgets import Select

from transition.services import gates, tasks
from transition.services.views.overview import EngagementOverview
from transition.services.views.phases import PhaseStep
from transition.services.views.tasks import PhaseHeader, TaskCursor, TaskFilter, TaskView
from transition.tui.backend import FIRST_PAGE, PAGE
from transition.tui.commands import registry as cmd
from transition.tui.widgets.paged_table import Column, PagedTable
from transition.tui.widgets.pane import TASK_MARK, Pane, day, short

#: The status filter's choice "open": to do, in progress or blocked.
OPEN = "open"


def owned_by(task: TaskView) -> str:
    """Who carries an unassigned task: the people holding its role, in brackets, else the
    role itself."""
    if task.owners:
        return f"({', '.join(task.owners)})"
    return task.owner_role or "–"


def status_change(row: TaskView) -> Callable[[TaskView], str]:
    """What a change of ``row``'s status says: ``kickoff: done → todo (note kept)``."""

    def told(task: TaskView) -> str:
        was, now = row.status.replace("_", " "), task.status.replace("_", " ")
        noted = " (note kept)" if task.note and task.note != row.note else ""
        return f"{row.key}: {was} → {now}{noted}"

    return told


class TasksPane(Pane[PhaseHeader | TaskView]):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(
        cmd.TOGGLE,
        cmd.START,
        cmd.BLOCK,
        cmd.SKIP,
        cmd.ASSIGN,
        cmd.FILTER,
        cmd.OPEN_ONLY,
        cmd.TASK_ADD,
        cmd.TASK_EDIT,
        cmd.TASK_REMOVE,
        cmd.TASK_NOTE,
        cmd.TASK_SHOW,
    )

    @dataclass
    class Page(Message):
        rows: list[PhaseHeader | TaskView]
        cursor: TaskCursor
        refresh: bool

    def __init__(self, slug: str, *, id: str | None = None) -> None:
        super().__init__(slug, id=id)
        self.filters = TaskFilter(open_only=True)
        self.cursor = TaskCursor()
        self.rows: dict[str, PhaseHeader | TaskView] = {}
        self.loaded = 0
        self.people: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        with HorizontalGroup(classes="filters"):
            yield Select(
                [("open", OPEN), *((s.replace("_", " "), s) for s in TASK_MARK)],
                prompt="any status",
                value=OPEN,
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
        # Paged: the filter and the order go into the query (``searched``), each phase's
        # tasks sorted under its heading.
        self.table.remote = True
        self.table.sortable = tasks.SORTS
        self.table.declare(
            [
                Column("mark", " ", width=1),
                # The title wins over the key on a narrow terminal (the inspector and
                # the palette still show the key).
                Column("key", "Task", min_width=100),
                Column("due", "Due"),
                Column("assignee", "Assignee", min_width=100),
                Column("waiting", "Waiting on", min_width=150),
                Column("title", "Title"),
            ]
        )

    def order(self) -> list[str]:
        return gates.phase_order(self.engagement.phases if self.engagement else [])

    def reload(self) -> None:
        if self.engagement is None:
            return
        self.sync_people()
        self.fetch(TaskCursor(), max(FIRST_PAGE, self.loaded), refresh=self.table.row_count > 0)

    def sync_people(self) -> None:
        people = [(p.name, p.slug) for p in (self.engagement.people if self.engagement else [])]
        if people == self.people:  # unchanged: keep the choice as it is
            return
        self.people = people
        select = self.query_one("#assignee-filter", Select)
        value = select.value
        select.set_options([(Text(name), slug) for name, slug in people])
        if value in {v for _, v in people}:
            select.value = value

    def prefetch(self, engagement: EngagementOverview) -> Message | None:
        order = gates.phase_order(engagement.phases)
        limit = max(FIRST_PAGE, self.loaded)
        page = self.backend.read(tasks.page, self.slug, order, self.filters, TaskCursor(), limit)
        return self.Page(page.rows, page.cursor, refresh=True)

    def show_first(self, first: Message) -> None:
        self.sync_people()
        self.on_tasks_pane_page(first)  # type: ignore[arg-type]

    @work(thread=True, exclusive=True, exit_on_error=False, group="tasks")
    def fetch(self, cursor: TaskCursor, limit: int, refresh: bool = False) -> None:
        page = self.backend.read(tasks.page, self.slug, self.order(), self.filters, cursor, limit)
        self.post_message(self.Page(page.rows, page.cursor, refresh))

    @on(PagedTable.NeedMore, "#tasks-table")
    def more(self) -> None:
        self.fetch(self.cursor, PAGE)

    @on(PagedTable.Query, "#tasks-table")
    def searched(self, event: PagedTable.Query) -> None:
        sort = event.sort
        self.refilter(
            self.filters.model_copy(
                update={
                    "text": event.text,
                    "sort": sort.column if sort else None,
                    "descending": bool(sort and sort.descending),
                }
            )
        )

    def refilter(self, new: TaskFilter) -> None:
        """Read the list again from the top under ``new`` (the rows shown stay until the
        first page arrives; the tasks just closed are no longer kept in sight)."""
        new = new.model_copy(update={"keep": ()})
        if new != self.filters:
            self.filters = new
            self.loaded = 0
            self.fetch(TaskCursor(), FIRST_PAGE, refresh=True)

    def on_tasks_pane_page(self, message: Page) -> None:
        t = self.table
        phases = {p.key: p for p in (self.engagement.phases if self.engagement else [])}
        cells = [(r.key, self.cells(t, r, phases)) for r in message.rows]
        has_more = not message.cursor.done
        if message.refresh:
            before = t.current_key()
            self.rows = {r.key: r for r in message.rows}
            t.show(cells, has_more=has_more)
            self.loaded = sum(1 for r in message.rows if isinstance(r, TaskView))
            if before not in self.rows:  # first shown, or its row gone: on the first task
                first = next((r.key for r in message.rows if isinstance(r, TaskView)), None)
                if first is not None:
                    t.move_cursor(row=t.get_row_index(first))
        else:
            self.rows.update({r.key: r for r in message.rows})
            t.append(cells, has_more=has_more)
            self.loaded += sum(1 for r in message.rows if isinstance(r, TaskView))
        self.cursor = message.cursor
        if not t.row_count:
            what = "no open task" if self.filters.open_only else "no task"
            more = " (o shows every task)" if self.filters.open_only else ""
            t.add_row("", "", "", "", "", f"{what} matches these filters{more}", key="empty")

    @staticmethod
    def cells(
        t: PagedTable,
        r: PhaseHeader | TaskView,
        phases: dict[str, PhaseStep],
    ) -> list[Any]:
        if isinstance(r, PhaseHeader):
            p = phases.get(r.phase)
            state = {"active": "current phase", "done": "done"}.get(p.status if p else "", "later")
            title = p.title if p else r.phase
            open_, total = (p.tasks_open, p.tasks_total) if p else (0, 0)
            title = f"{title} · {state} · {open_} open of {total}"
            return ["", t.styled(r.phase, "heading"), "", "", "", t.styled(title, "heading")]
        status = r.status
        muted = status in tasks.CLOSED
        mark = TASK_MARK.get(status, "?")
        waiting = ", ".join(r.waiting_on)
        due: Any = day(r.due_date) + ("!" if r.overdue else "")
        if r.due_non_working:  # a due date on a weekend or holiday, and why
            due = f"{due} ({short(r.due_non_working, 18)})"
            due = due if muted else t.styled(due, "alert" if r.overdue else "amber")
        elif r.overdue:
            due = t.styled(due, "alert")
        title = f"(ad hoc) {r.title}" if r.origin == "adhoc" else r.title
        return [
            t.styled(mark, "muted") if muted else mark,
            t.styled(r.key, "muted") if muted else r.key,
            due,
            r.assignee or t.styled(short(owned_by(r), 18), "muted"),
            t.styled(f"⧗ {short(waiting, 24)}", "amber") if waiting and not muted else "",
            t.styled(title, "muted") if muted else title,
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
        status = status if isinstance(status, str) else None
        self.refilter(
            self.filters.model_copy(
                update={
                    "status": None if status == OPEN else status,
                    "open_only": status == OPEN,
                    "assignee": who if isinstance(who, str) else None,
                    "overdue": self.query_one("#overdue-filter", Select).value == "overdue",
                }
            )
        )

    def action_filter(self) -> None:
        self.query_one("#status-filter", Select).focus()

    def action_toggle_open(self) -> None:
        """Open tasks only, or every task (the status filter says which)."""
        select = self.query_one("#status-filter", Select)
        if select.value == OPEN:
            select.clear()
        else:
            select.value = OPEN

    def action_toggle(self) -> None:
        row = self.current()
        if row is None:
            return
        if row.status in tasks.CLOSED:  # reopening: asks for a note first
            self._set("todo")
        else:
            self.write_task(tasks.toggle, row)

    def action_start(self) -> None:
        self._set("in_progress")

    def action_block(self) -> None:
        self._set("blocked")

    def action_skip(self) -> None:
        self._set("skipped")

    def _set(self, status: str) -> None:
        """Set the task under the cursor to ``status``. What one key cannot take back (a
        done task reopened, a task blocked or skipped) asks for an optional note first."""
        row = self.current()
        if row is None:
            return
        if row.status == status:
            self.notify(f"{row.key} is {status.replace('_', ' ')} already")
            return
        reopening = row.status in tasks.CLOSED and status not in tasks.CLOSED
        if not reopening and status not in ("blocked", "skipped"):
            self.write_task(tasks.set_status, row, status)
            return
        from transition.tui.forms.tasks import status_form

        self.keep_in_sight(row)
        self.open_form(status_form(self.backend, self.slug, row, status), status_change(row))

    def keep_in_sight(self, row: TaskView) -> None:
        """The task of ``row`` stays listed if a change closes it while only open tasks are
        shown, so the same key can open it again."""
        if row.key not in self.filters.keep:
            self.filters = self.filters.model_copy(update={"keep": (*self.filters.keep, row.key)})

    def write_task(self, change: Callable[..., TaskView], row: TaskView, *args: Any) -> None:
        """``change`` on the task of ``row`` (as last read), then what changed as the note."""
        self.keep_in_sight(row)
        self.write_then(
            status_change(row), change, self.slug, row.key, *args, expected_version=row.version
        )

    def action_assign(self) -> None:
        row = self.current()
        if not row:
            return
        from transition.tui.forms.tasks import assign_form

        self.open_form(
            assign_form(self.backend, self.slug, row, self.people_options()),
            lambda who: f"{row.key} assigned to {who or 'nobody'}",
        )

    # Ad-hoc work, edits, removal, notes and details ------------------------------------

    def phase_options(self) -> list[tuple[str, str]]:
        phases = self.engagement.phases if self.engagement else []
        return [(f"{p.key} — {p.title}", p.key) for p in phases]

    def action_add_task(self) -> None:
        from transition.tui.forms.tasks import add_form

        row = self.current()
        phases = self.engagement.phases if self.engagement else []
        current = next((p.key for p in phases if p.status == "active"), None)
        self.open_form(
            add_form(self.backend, self.slug, self.phase_options(), row.phase if row else current),
            lambda task: f"{task.key} added to {task.phase}",
        )

    def action_edit_task(self) -> None:
        row = self.current()
        if not row:
            return
        from transition.services import task_edit
        from transition.tui.forms.tasks import edit_form

        def opened(detail: Any) -> None:
            self.open_form(
                edit_form(self.backend, self.slug, detail, detail.description),
                lambda task: f"{task.key} saved",
            )

        self.read_then(lambda: self.backend.read(task_edit.show, self.slug, row.key), opened)

    def action_remove_task(self) -> None:
        row = self.current()
        if row:
            from transition.tui.forms.tasks import remove_form

            self.open_form(
                remove_form(self.backend, self.slug, row), lambda task: f"{task.key} removed"
            )

    def action_note_task(self) -> None:
        row = self.current()
        if row:
            from transition.tui.forms.tasks import note_form

            self.open_form(
                note_form(self.backend, self.slug, row), lambda _: f"note added to {row.key}"
            )

    @on(PagedTable.RowSelected, "#tasks-table")
    def action_show_task(self) -> None:
        row = self.current()
        if row:
            from transition.tui.screens.inspectors import TaskInspector

            self.inspect(TaskInspector, row.key)
