"""The People tab: the roster by side (client, incumbent, provider), each person with
their release date, the days left and, for those leaving, the KT and runbooks still
missing before they go; add, inspect, edit, release, move and take people off."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.binding import Binding

from transition.services import release, roster
from transition.services.people import remove as people_remove
from transition.services.views.release import PersonRow
from transition.tui.commands import registry as cmd
from transition.tui.widgets.paged_table import Column, PagedTable
from transition.tui.widgets.pane import Pane, day

SIDES = ("client", "incumbent", "provider")
#: Days before a release from which a person not ready is shown red.
SOON = 14


def still_missing(p: PersonRow) -> str:
    """What the person must still hand over, counted: ``2 KT topics · 1 runbook``."""
    if p.released_on is not None:
        return f"released {p.released_on}"
    if not p.readiness:
        return ""
    parts = []
    for n, one, many in (
        (p.kt_missing, "KT topic", "KT topics"),
        (p.runbooks_missing, "runbook", "runbooks"),
        (p.grants_held, "grant", "grants"),
    ):
        if n:
            parts.append(f"{n} {one if n == 1 else many}")
    return " · ".join(parts) or "ready"


def days_left(p: PersonRow) -> str:
    if p.days_left is None or p.released_on is not None:
        return ""
    return "today" if p.days_left == 0 else f"{p.days_left}d"


class PeoplePane(Pane[PersonRow]):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(
        cmd.PERSON_ADD,
        cmd.PERSON_INSPECT,
        cmd.PERSON_EDIT,
        cmd.PERSON_REMOVE,
        cmd.PERSON_RELEASE,
        cmd.PERSON_MOVE,
        cmd.PERSON_READINESS,
        cmd.PERSON_ROLE,
    )
    KEY = "people"

    COLUMNS = (
        ("name", "Person"),
        ("release", "Release"),
        ("left", "Left"),
        # The row's state: before the free text, so a narrow terminal never loses it.
        ("missing", "Still to hand over"),
        ("role", "Role"),
        Column("zone", "Time zone", min_width=140),
        # Free text last: a narrow terminal cuts only its end (the inspector shows it).
        Column("email", "Email", min_width=100),
    )

    def reload(self) -> None:
        self.read_into(self.Loaded, roster.people_rows, self.slug, group=self.KEY)

    def show_rows(self, rows: list[PersonRow]) -> None:
        t = self.table
        self.rows = {p.slug: p for p in rows}
        shown: list[tuple[str, list[Any]]] = []
        for side in SIDES:
            mine = [p for p in rows if p.side == side]
            if not mine:
                continue
            leaving = [p for p in mine if p.readiness and p.released_on is None]
            unready = sum(1 for p in leaving if still_missing(p) != "ready")
            summary = f"{len(leaving)} leaving, {unready} not ready" if leaving else ""
            shown.append(
                (
                    f"side:{side}",
                    [
                        t.styled(f"{side.capitalize()} · {len(mine)}", "heading"),
                        "",
                        "",
                        t.styled(summary, "heading"),
                        "",
                        "",
                        "",
                    ],
                )
            )
            shown += [(p.slug, self.cells(t, p)) for p in mine]
        t.show(shown, has_more=False)
        if (t.current_key() or "").startswith("side:") and t.cursor_row == 0 and t.row_count > 1:
            t.move_cursor(row=1)  # on the first person, not their side's heading
        self.note(
            "Enter inspects · n adds · e edits · x takes off · r releases · "
            "m moves an incumbent to the provider · d readiness · o playbook role"
            if rows
            else "Nobody on the engagement yet: press n to add a person."
        )

    @staticmethod
    def cells(t: PagedTable, p: PersonRow) -> list[Any]:
        missing: Any = still_missing(p)
        left: Any = days_left(p)
        if p.released_on is not None:
            missing = t.styled(missing, "muted")
        elif missing == "ready":
            missing = t.styled(missing, "green")
        elif missing:
            soon = p.days_left is not None and p.days_left <= SOON
            missing = t.styled(missing, "red" if soon else "amber")
            if p.days_left is not None and p.days_left < 0:
                left = t.styled(left, "alert")
        return [
            p.name,
            day(p.release_date) if p.release_date else "",
            left,
            missing,
            p.role or "",
            p.timezone or "",
            p.email or "",
        ]

    @on(PagedTable.RowSelected, "#people-table")
    def selected(self) -> None:
        self.action_inspect_person()

    def action_inspect_person(self) -> None:
        row = self.current()
        if row is None:
            return
        from transition.services.roster import inspect
        from transition.tui.screens.person_inspect import PersonInspectScreen

        def work() -> None:
            data = self.backend.read(inspect, self.slug, row.slug)
            self.app.call_from_thread(self.app.push_screen, PersonInspectScreen(data))

        self.run_worker(work, thread=True, exclusive=True, exit_on_error=False, group="read")

    def action_add_person(self) -> None:
        from transition.tui.forms.people import add_person_form

        self.open_form(
            add_person_form(self.backend, self.slug), lambda name: f"person {name} added"
        )

    def action_edit_person(self) -> None:
        row = self.current()
        if row is None:
            return
        from transition.tui.forms.people import edit_person_form

        self.open_form(
            edit_person_form(self.backend, self.slug, row), lambda name: f"person {name} saved"
        )

    def action_person_role(self) -> None:
        row = self.current()
        if row is None:
            return
        from transition.tui.forms.people import role_form

        self.open_form(role_form(self.backend, self.slug, row), lambda done: done)

    def action_remove_person(self) -> None:
        row = self.current()
        if row is None:
            return
        self.write_then(
            f"person {row.name} taken off the engagement",
            people_remove,
            self.slug,
            row.slug,
            expected_version=row.version,
        )

    def action_release_person(self) -> None:
        row = self.current()
        if row is None:
            return
        from transition.tui.forms.people_release import release_form

        self.open_form(release_form(self.backend, self.slug, row), lambda done: f"released {done}")

    def action_move_person(self) -> None:
        row = self.current()
        if row is None:
            return
        from transition.tui.forms.people_release import move_form

        self.open_form(
            move_form(self.backend, self.slug, row),
            lambda done: f"moved to the provider side: {done}",
        )

    def action_readiness(self) -> None:
        row = self.current()
        if row is None:
            return
        from transition.tui.screens.readiness import ReadinessScreen

        def work() -> None:
            (state,) = self.backend.read(release.readiness, self.slug, row.slug)
            self.app.call_from_thread(self.app.push_screen, ReadinessScreen(state))

        self.run_worker(work, thread=True, exclusive=True, exit_on_error=False, group="read")
