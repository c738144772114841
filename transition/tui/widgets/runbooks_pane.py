"""The Runbooks tab: runbooks by system; generate and advance them."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.binding import Binding

from transition.services import runbooks
from transition.services.views.runbooks import RunbookView
from transition.tui.commands import registry as cmd
from transition.tui.widgets.paged_table import Column, PagedTable
from transition.tui.widgets.pane import Pane, shown_path


class RunbooksPane(Pane[RunbookView]):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(
        cmd.RUNBOOK_NEW,
        cmd.RUNBOOK_STATUS,
        cmd.RUNBOOK_UPDATE,
        cmd.RUNBOOK_EXERCISE,
        cmd.RUNBOOK_SIGN,
    )
    KEY = "runbooks"

    COLUMNS = (
        ("id", "#"),
        ("system", "System"),
        ("template", "Template"),
        ("status", "Status"),
        ("fill", "Filled"),
        Column("evidence", "Exercises", min_width=110),
        Column("owner", "Owner", min_width=130),
        Column("review", "Review", min_width=120),
        ("path", "File"),
    )

    def reload(self) -> None:
        self.read_into(self.Loaded, runbooks.list_runbooks, self.slug, group=self.KEY)

    def show_rows(self, rows: list[RunbookView]) -> None:
        t = self.table
        self.rows = {str(r.id): r for r in rows}
        t.show([(str(r.id), self.cells(t, r)) for r in rows], has_more=False)
        accepted = sum(1 for r in rows if r.status == "accepted")
        self.note(
            f"{accepted} of {len(rows)} accepted{self.conflicts_note(rows)} · n generate · "
            "enter inspect · p next status · X exercise · a accept · U update from its template"
            if rows
            else "No runbook yet: press n to generate one from a template."
        )

    @staticmethod
    def conflicts_note(rows: list[RunbookView]) -> str:
        flagged = sum(1 for r in rows if r.conflicts)
        return f" · {flagged} with conflicts to resolve" if flagged else ""

    @staticmethod
    def cells(t: PagedTable, r: RunbookView) -> list[Any]:
        shown = "–" if r.fill_ratio is None else f"{round(100 * r.fill_ratio)}%"
        if r.conflicts:
            shown += f" · {r.conflicts} conflict(s)"
        states = {"accepted": "green", "planned": "muted", "drafted": "amber"}
        status = t.styled(r.status, states[r.status]) if r.status in states else r.status
        review = "–" if r.review_due is None else str(r.review_due)
        if r.review_overdue:
            review = t.styled(f"{review} overdue", "red")
        evidence = f"{r.passes}/{r.exercises} passed" if r.exercises else "–"
        if r.passed_in_parallel_run:
            evidence += " in run"
        if r.warning:
            evidence = t.styled(f"{evidence} ⚠", "amber")
        owner = r.owner or "–"
        return [
            str(r.id),
            r.system,
            r.template,
            status,
            shown,
            owner,
            review,
            evidence,
            shown_path(r.path),
        ]

    def action_generate(self) -> None:
        from transition.tui.forms.runbooks import runbook_form

        systems = self.system_options()
        self.read_then(
            runbooks.list_templates,
            lambda templates: self.open_form(
                runbook_form(self.backend, self.slug, systems, [t.name for t in templates]),
                lambda path: f"runbook written to {path}",
            ),
        )

    @on(PagedTable.RowSelected, "#runbooks-table")
    def action_inspect(self) -> None:
        row = self.current()
        if row is not None:
            from transition.tui.screens.inspectors import RunbookInspector

            self.inspect(RunbookInspector, row.id)

    def action_promote(self) -> None:
        row = self.current()
        if not row:
            return
        following = runbooks.next_status(row.status)
        if following is None:
            self.notify(f"runbook {row.id} is already {row.status}")
            return
        if following == "accepted":  # signed: the form asks who accepts it
            self.action_sign()
            return
        self.write_then(
            f"runbook {row.id}: {following}",
            runbooks.set_status,
            self.slug,
            row.id,
            following,
            expected_version=row.version,
        )

    def action_update_runbook(self) -> None:
        from transition.tui.forms.runbooks import update_form

        row = self.current()
        if not row:
            return
        label = f"#{row.id} ({row.template} for {row.system})"
        self.open_form(update_form(self.backend, self.slug, row.id, label), lambda note: note)

    def action_exercise(self) -> None:
        from transition.tui.forms.runbook_evidence import exercise_form

        row = self.current()
        if not row:
            return
        label = f"#{row.id} ({row.template} for {row.system})"
        form = exercise_form(self.backend, self.slug, row.id, label, self.people_options())
        self.open_form(form, lambda note: note)

    def action_sign(self) -> None:
        from transition.tui.forms.runbook_evidence import sign_form

        row = self.current()
        if not row:
            return
        if row.status != "validated":
            self.notify(f"runbook {row.id} is {row.status}: only a validated runbook is accepted")
            return
        label = f"#{row.id} ({row.template} for {row.system})"
        form = sign_form(self.backend, self.slug, row.id, label, self.people_options("provider"))
        self.open_form(form, lambda note: note)
