"""The People tab: everyone on the engagement, by side, with role, email, release date,
release readiness and time zone; add, edit, release, move and take people off."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding

from transition.services import release
from transition.services.people import remove as people_remove
from transition.services.views.release import PersonRow
from transition.tui.commands import registry as cmd
from transition.tui.widgets.pane import Pane, day


class PeoplePane(Pane[PersonRow]):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(
        cmd.PERSON_ADD,
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
        ("side", "Side"),
        ("role", "Role"),
        ("release", "Release"),
        ("readiness", "Readiness"),
        ("zone", "Time zone"),
        ("email", "Email"),  # free text last: a narrow terminal cuts only its end
    )

    def reload(self) -> None:
        self.read_into(self.Loaded, release.people_rows, self.slug, group=self.KEY)

    def show_rows(self, rows: list[PersonRow]) -> None:
        self.rows = {p.slug: p for p in rows}
        self.table.show(
            [
                (
                    p.slug,
                    [
                        p.name,
                        p.side,
                        p.role or "",
                        day(p.release_date) if p.release_date else "",
                        p.readiness,
                        p.timezone or "",
                        p.email or "",
                    ],
                )
                for p in rows
            ],
            has_more=False,
        )
        self.note(
            "n adds a person, e edits the highlighted one, x takes them off; "
            "r releases them, m moves an incumbent to the provider, d shows readiness."
            if rows
            else "Nobody on the engagement yet: press n to add a person."
        )

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
