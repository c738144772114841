"""The Go-live tab: tabletop exercises and go/no-go decisions with their evidence."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding

from transition.services import golive
from transition.services.views.golive import GoLiveRow
from transition.tui.commands import registry as cmd
from transition.tui.widgets.pane import Pane


class GoLivePane(Pane[GoLiveRow]):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(
        cmd.EXERCISE_ADD, cmd.EXERCISE_FINDING, cmd.GOLIVE_DECIDE
    )
    KEY = "golive"

    COLUMNS = (
        ("kind", "Kind"),
        ("on", "On"),
        ("what", "What"),
        ("who", "Who"),
        ("detail", "Findings, conditions, evidence"),
    )

    def reload(self) -> None:
        self.read_into(self.Loaded, golive.rows, self.slug, group=self.KEY)

    def show_rows(self, rows: list[GoLiveRow]) -> None:
        t = self.table
        self.rows = {r.key: r for r in rows}
        marks = {"GO": "green", "NO-GO": "red"}
        shown = []
        for r in rows:
            what = r.what
            word = what.split(" ", 1)[0]
            if r.kind == "decision" and word in marks:
                what = t.styled(what, marks[word])
            shown.append((r.key, [r.kind, r.on.isoformat(), what, r.who, r.detail]))
        t.show(shown, has_more=False)
        decisions = [r for r in rows if r.kind == "decision"]
        latest = f"latest decision: {decisions[0].what}" if decisions else "no decision yet"
        self.note(
            f"{len(rows) - len(decisions)} exercise(s) · {latest} · n exercise · "
            "f finding of the highlighted exercise · d decide"
        )

    def action_add_exercise(self) -> None:
        from transition.tui.forms.golive import exercise_form

        self.open_form(
            exercise_form(self.backend, self.slug), lambda row: f"exercise #{row} recorded"
        )

    def action_add_finding(self) -> None:
        from transition.tui.forms.golive import finding_form

        row = self.current()
        if row is None or row.kind != "exercise":
            self.notify("highlight an exercise first")
            return
        self.open_form(
            finding_form(self.backend, self.slug, row.id, row.what),
            lambda key: f"task {key} follows the finding up",
        )

    def action_decide(self) -> None:
        from transition.tui.forms.golive import decision_form

        self.open_form(
            decision_form(
                self.backend,
                self.slug,
                self.people_options("client"),
                self.people_options("provider"),
            ),
            lambda decision: f"decision recorded: {decision}",
        )
