"""The People tab: everyone on the engagement, by side, with role, email, release date and
time zone; add, edit and take people off."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding

from transition.services import people
from transition.services.views.people import PersonView
from transition.tui.commands import registry as cmd
from transition.tui.widgets.pane import Pane, day


class PeoplePane(Pane[PersonView]):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(
        cmd.PERSON_ADD, cmd.PERSON_EDIT, cmd.PERSON_REMOVE, cmd.PERSON_ROLE
    )
    KEY = "people"

    COLUMNS = (
        ("name", "Person"),
        ("side", "Side"),
        ("role", "Role"),
        ("release", "Release"),
        ("zone", "Time zone"),
        ("email", "Email"),  # free text last: a narrow terminal cuts only its end
    )

    def reload(self) -> None:
        self.read_into(self.Loaded, people.list_people, self.slug, group=self.KEY)

    def show_rows(self, rows: list[PersonView]) -> None:
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
                        p.timezone or "",
                        p.email or "",
                    ],
                )
                for p in rows
            ],
            has_more=False,
        )
        self.note(
            "n adds a person, e edits the highlighted one, x takes them off."
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
            people.remove,
            self.slug,
            row.slug,
            expected_version=row.version,
        )
