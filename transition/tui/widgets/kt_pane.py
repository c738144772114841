"""The KT tab: knowledge-transfer sessions; schedule and sign off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import work
from textual.binding import Binding
from textual.message import Message

from transition.dates import format_utc
from transition.services import kt
from transition.services.views.kt import KTSessionView
from transition.services.views.phases import KeyPersonRisk
from transition.tui.commands import registry as cmd
from transition.tui.widgets.paged_table import Column
from transition.tui.widgets.pane import Pane


class KTPane(Pane[KTSessionView]):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.KT_SCHEDULE, cmd.KT_HOLD, cmd.KT_SIGNOFF)

    @dataclass
    class Loaded(Message):
        sessions: list[KTSessionView]
        risks: list[KeyPersonRisk]

    KEY = "kt"

    COLUMNS = (
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
        self.rows = {str(s.id): s for s in sessions}
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
        self.note(text if sessions else "No KT session yet: press n to schedule one.")

    def action_schedule(self) -> None:
        from transition.tui.forms.kt import kt_schedule_form

        people, systems = self.people_options(), self.system_options()
        self.open_form(
            kt_schedule_form(self.backend, self.slug, people, systems),
            lambda session_id: f"KT session {session_id} scheduled",
        )

    def action_hold(self) -> None:
        row = self.current()
        if row:
            note = f"KT session {row.id} held"
            self.write_then(note, kt.hold, self.slug, row.id, expected_version=row.version)

    def action_signoff(self) -> None:
        row = self.current()
        if not row:
            return
        from transition.tui.forms.kt import kt_signoff_form

        attendees = [(a, a) for a in row.attendees]
        self.open_form(
            kt_signoff_form(self.backend, self.slug, row, attendees),
            lambda _: f"KT session {row.id} signed off",
        )
