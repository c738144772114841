"""My work: the agenda of the person the TUI's actor is (by name or email), across
engagements; enter opens the engagement of the highlighted item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Label

from transition.errors import NotFound
from transition.services.views.roles import Agenda
from transition.tui.commands import registry as cmd
from transition.tui.screens.base import DataMixin
from transition.tui.widgets.footer import KeyFooter
from transition.tui.widgets.paged_table import PagedTable
from transition.tui.widgets.pane import day

COLUMNS = (
    ("due", "Due"),
    ("engagement", "Engagement"),
    ("kind", "What"),
    ("ref", "Ref"),
    ("via", "Why yours"),
    ("title", "Title"),
)
#: The days ahead the screen looks.
DAYS = 14


def my_agenda(session: Session) -> Agenda | str:
    """The acting user's agenda, or why there is none (they are nobody's person yet)."""
    from transition.services import agenda

    try:
        return agenda.agenda(session, me=True, days=DAYS)
    except NotFound as exc:
        return exc.message


class AgendaScreen(DataMixin, Screen):
    """Everything the acting user must do in the next two weeks, late things first."""

    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.AGENDA_OPEN, cmd.BACK, cmd.RELOAD)

    @dataclass
    class Loaded(Message):
        result: Any

    def __init__(self) -> None:
        super().__init__(id="agenda")
        self.items: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("", id="agenda-title", markup=False)
        yield PagedTable(id="agenda-items")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "My work"
        self.query_one(PagedTable).set_columns(COLUMNS, [])
        self.reload()

    def reload(self) -> None:
        self.read_into(self.Loaded, my_agenda, group="agenda")

    def on_agenda_screen_loaded(self, message: Loaded) -> None:
        table = self.query_one(PagedTable)
        title = self.query_one("#agenda-title", Label)
        result = message.result
        if isinstance(result, str):
            title.update(f"No agenda: {result}")
            table.show([], has_more=False)
            return
        title.update(
            f"{result.person}: {len(result.items)} item(s) until {day(result.until)}"
            if result.items
            else f"{result.person}: nothing due until {day(result.until)}"
        )
        rows = []
        self.items = {}
        for n, item in enumerate(result.items):
            key = str(n)
            self.items[key] = item.engagement
            due = day(item.due) if item.due else ""
            rows.append(
                (
                    key,
                    [
                        table.styled(f"{due} late", "alert") if item.overdue else due,
                        item.engagement,
                        item.kind,
                        item.ref,
                        item.via,
                        item.title,
                    ],
                )
            )
        table.show(rows, has_more=False)

    def action_open_item(self) -> None:
        slug = self.items.get(self.query_one(PagedTable).current_key() or "")
        if slug:
            self.app.call_later(self.app.open_engagement, slug)

    @on(PagedTable.RowSelected, "#agenda-items")
    def selected(self) -> None:
        self.action_open_item()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.reload()
