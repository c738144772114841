"""The KT tab: knowledge-transfer sessions; schedule and sign off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from transition.dates import format_utc
from transition.services import kt
from transition.services.views.kt import KTSessionView
from transition.services.views.phases import KeyPersonRisk
from transition.tui.commands import registry as cmd
from transition.tui.screens.base import WRITE
from transition.tui.widgets.paged_table import Column, PagedTable
from transition.tui.widgets.pane import Pane


class KTPane(Pane):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.KT_SCHEDULE, cmd.KT_HOLD, cmd.KT_SIGNOFF)

    @dataclass
    class Loaded(Message):
        sessions: list[KTSessionView]
        risks: list[KeyPersonRisk]

    def __init__(self, slug: str, *, id: str | None = None) -> None:
        super().__init__(slug, id=id)
        self.sessions: dict[str, KTSessionView] = {}

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
        sessions = self.backend.read(kt.list_sessions, self.slug)
        risks = self.backend.read(kt.key_person_risks, self.slug)
        self.post_message(self.Loaded(sessions, risks))

    def on_ktpane_loaded(self, message: Loaded) -> None:
        t = self.table
        sessions = message.sessions
        self.sessions = {str(s.id): s for s in sessions}
        marks = {
            "planned": t.styled("planned", "muted"),
            "held": t.styled("held", "amber"),
            "signed_off": t.styled("signed off", "green"),
        }
        rows = [
            (
                str(s.id),
                [
                    str(s.id),
                    format_utc(s.starts_at).removesuffix(" UTC"),
                    s.system,
                    s.kind,
                    marks.get(s.status, s.status),
                    str(s.confidence) if s.confidence else "",
                    s.topic,
                    f"{', '.join(s.presenters)} → {', '.join(s.attendees) or '–'}",
                ],
            )
            for s in sessions
        ]
        t.show(rows, has_more=False)
        text = "\n".join(f"Key-person risk · {r.line()}" for r in message.risks)
        if not sessions:
            text = "No KT session yet: press n to schedule one."
        self.query_one("#kt-risks", Static).update(text)

    def current(self) -> KTSessionView | None:
        return self.sessions.get(self.table.current_key() or "")

    def action_schedule(self) -> None:
        from transition.tui.forms.kt import kt_schedule_form

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
            self.write_hold(row.id, row.version)

    @work(thread=True, exclusive=True, exit_on_error=False, group=WRITE)
    def write_hold(self, session_id: int, version: int) -> None:
        self.backend.write(kt.hold, self.slug, session_id, expected_version=version)
        self.app.call_from_thread(self.changed, f"KT session {session_id} held")

    def action_signoff(self) -> None:
        row = self.current()
        if not row:
            return
        from transition.tui.forms.kt import kt_signoff_form

        def done(result: Any) -> None:
            if result is not None:
                self.changed(f"KT session {row.id} signed off")

        attendees = [(a, a) for a in row.attendees]
        self.app.push_screen(kt_signoff_form(self.backend, self.slug, row, attendees), done)
