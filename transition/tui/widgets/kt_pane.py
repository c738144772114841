"""The KT tab: knowledge-transfer sessions; schedule, reschedule, cancel, edit, hold and
sign off. Times are shown in the engagement's time zone, named in the column heading."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.binding import Binding
from textual.message import Message

from transition.services import kt, kt_edit
from transition.services.kt_times import local
from transition.services.views.kt import KTSessionView
from transition.services.views.phases import KeyPersonRisk
from transition.tui.commands import registry as cmd
from transition.tui.widgets.paged_table import Column, PagedTable
from transition.tui.widgets.pane import Pane


class KTPane(Pane[KTSessionView]):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(
        cmd.KT_SCHEDULE,
        cmd.KT_HOLD,
        cmd.KT_SIGNOFF,
        cmd.KT_RESCHEDULE,
        cmd.KT_CANCEL,
        cmd.KT_EDIT,
        cmd.KT_COVERAGE,
    )

    @dataclass
    class Loaded(Message):
        sessions: list[KTSessionView]
        risks: list[KeyPersonRisk]
        zone: str = "UTC"

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
        zone = self.backend.read(kt_edit.time_zone, self.slug)
        self.post_latest(self.Loaded(sessions, risks, zone))

    #: The zone times are shown in (the engagement's, UTC when it has none).
    zone = "UTC"

    def on_ktpane_loaded(self, message: Loaded) -> None:
        t = self.table
        sessions = message.sessions
        if message.zone != self.zone:  # the heading names the zone
            self.zone = message.zone
            columns = list(self.COLUMNS)
            columns[1] = ("when", f"When ({self.zone})")
            t.declare(columns)
        shown_in = None if self.zone == "UTC" else self.zone
        self.rows = {str(s.id): s for s in sessions}
        marks = {
            "planned": t.styled("planned", "muted"),
            "held": t.styled("held", "amber"),
            "signed_off": t.styled("signed off", "green"),
            "cancelled": t.styled("cancelled", "muted"),
        }
        rows = [
            (
                str(s.id),
                [
                    str(s.id),
                    f"{local(s.starts_at, shown_in):%Y-%m-%d %H:%M}",
                    s.system,
                    s.kind,
                    marks.get(s.status, s.status),
                    str(s.confidence) if s.confidence else "",
                    s.topic + (f" (cancelled: {s.cancel_reason})" if s.cancel_reason else ""),
                    f"{', '.join(s.presenters)} → {', '.join(s.attendees) or '–'}",
                ],
            )
            for s in sessions
        ]
        t.show(rows, has_more=False)
        text = "\n".join(f"Key-person risk · {r.line()}" for r in message.risks)
        self.note(text if sessions else "No KT session yet: press n to schedule one.")

    def _topics(self) -> dict[str, list[str]]:
        """Each system's topics by its name (read in a worker)."""
        from transition.services.system_people import topics_for

        out: dict[str, list[str]] = {}
        for t in self.backend.read(topics_for, self.slug):
            out.setdefault(t.system, []).append(t.title)
        return out

    def action_schedule(self) -> None:
        from transition.tui.forms.kt import kt_schedule_form

        people, systems = self.people_options(), self.system_options()
        self.read_then(
            self._topics,
            lambda topics: self.open_form(
                kt_schedule_form(self.backend, self.slug, people, systems, self.zone, topics),
                lambda session_id: f"KT session {session_id} scheduled",
            ),
        )

    @on(PagedTable.RowSelected, "#kt-table")
    def action_inspect(self) -> None:
        row = self.current()
        if row is not None:
            from transition.tui.screens.inspectors import KTInspector

            self.inspect(KTInspector, row.id)

    def action_hold(self) -> None:
        """Record the planned session under the cursor as held (who else came, if anyone);
        one that has not started yet asks for a confirmation."""
        row = self._planned()
        if row is None:
            return
        from transition.tui.forms.kt import kt_hold_form

        def told(held: KTSessionView) -> str:
            added = len(held.attendees) - len(row.attendees)
            more = f", {added} more attendee(s)" if added > 0 else ""
            return f"KT session {row.id}: planned → held{more}"

        self.open_form(kt_hold_form(self.backend, self.slug, row), told)

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

    def _planned(self) -> KTSessionView | None:
        """The session under the cursor if it is planned; else a note saying why not."""
        row = self.current()
        if row is not None and row.status != "planned":
            state = row.status.replace("_", " ")
            self.notify(f"KT session {row.id} is {state}: only a planned session changes")
            return None
        return row

    def action_reschedule(self) -> None:
        row = self._planned()
        if row:
            from transition.tui.forms.kt_edit import kt_reschedule_form

            self.open_form(
                kt_reschedule_form(self.backend, self.slug, row),
                lambda _: f"KT session {row.id} rescheduled",
            )

    def action_cancel_session(self) -> None:
        row = self._planned()
        if row:
            from transition.tui.forms.kt_edit import kt_cancel_form

            self.open_form(
                kt_cancel_form(self.backend, self.slug, row),
                lambda _: f"KT session {row.id} cancelled",
            )

    def action_edit(self) -> None:
        """Edit the session under the cursor: a planned one in full, a held or signed-off
        one only in the topics it covers."""
        row = self.current()
        if row is None:
            return
        if row.status == "cancelled":
            self.notify(f"KT session {row.id} is cancelled: nothing of it changes")
            return
        from transition.tui.forms.kt_edit import kt_edit_form

        self.read_then(
            self._topics,
            lambda topics: self.open_form(
                kt_edit_form(self.backend, self.slug, row, topics.get(row.system, [])),
                lambda _: f"KT session {row.id} changed",
            ),
        )

    def action_coverage(self) -> None:
        from transition.services import kt_topics
        from transition.tui.screens.coverage import CoverageScreen

        self.read_then(
            lambda: self.backend.read(kt_topics.coverage_matrix, self.slug),
            lambda rows: self.app.push_screen(CoverageScreen(rows)),
        )
