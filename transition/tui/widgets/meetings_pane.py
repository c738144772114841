"""The Meetings tab: the governance cadence's meetings, held, cancelled, with actions."""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from textual.binding import Binding

from transition.services import meetings
from transition.services.views.meetings import MeetingView
from transition.tui.commands import registry as cmd
from transition.tui.widgets.paged_table import Column, PagedTable
from transition.tui.widgets.pane import Pane


class MeetingsPane(Pane[MeetingView]):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(
        cmd.MEETING_HELD, cmd.MEETING_CANCEL, cmd.MEETING_ACTION
    )
    KEY = "meetings"

    COLUMNS = (
        ("starts_local", "Starts"),
        ("title", "Meeting"),
        ("status", "Status"),
        Column("attendees", "Attendees", min_width=140),
        Column("actions", "Actions", min_width=180),
    )

    def reload(self) -> None:
        self.read_into(self.Loaded, meetings.list_meetings, self.slug, group=self.KEY)

    def show_rows(self, rows: list[MeetingView]) -> None:
        t = self.table
        self.rows = {str(r.number): r for r in rows}
        t.show([(str(r.number), self.cells(t, r)) for r in rows], has_more=False)
        counts = Counter(r.status for r in rows)
        missed = sum(r.missed for r in rows)
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        extra = f" · {missed} without minutes" if missed else ""
        self.note(f"{summary or 'no meetings: the playbook declares no cadence'}{extra}")

    def cells(self, t: PagedTable, r: MeetingView) -> list[Any]:
        colours = {"held": "green", "cancelled": "muted", "planned": "amber"}
        status = f"{r.status}, no minutes" if r.missed else r.status
        return [
            r.starts_local,
            r.title,
            t.styled(status, "red" if r.missed else colours.get(r.status, "amber")),
            ", ".join(r.attendees),
            ", ".join(r.actions),
        ]

    def action_meeting_held(self) -> None:
        row = self.current()
        if row:
            from transition.tui.forms.meetings import held_form

            self.open_form(
                held_form(self.backend, self.slug, row), lambda _: f"meeting {row.number} held"
            )

    def action_meeting_cancel(self) -> None:
        row = self.current()
        if row:
            from transition.tui.forms.meetings import cancel_form

            self.open_form(
                cancel_form(self.backend, self.slug, row),
                lambda _: f"meeting {row.number} cancelled",
            )

    def action_meeting_action(self) -> None:
        row = self.current()
        if row:
            from transition.tui.forms.meetings import action_form

            self.open_form(
                action_form(self.backend, self.slug, row),
                lambda _: f"action added to meeting {row.number}",
            )
