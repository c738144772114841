"""The form to add a person."""

from __future__ import annotations

from typing import Any

from transition.tui.forms.base import Field, FormScreen, arguments, choices


def add_person_form(backend: Any, slug: str) -> FormScreen:
    """Returns (closes with) the name of the person added."""
    from transition.services import people

    fields = [
        Field("name", "Name", required=True),
        Field("side", "Side", "select", choices(people.SIDES), required=True),
        Field("role", "Role", placeholder="e.g. service desk lead"),
        Field("email", "Email"),
        Field(
            "release",
            "Release date",
            placeholder="YYYY-MM-DD, when they leave",
            argument="release_date",
        ),
    ]

    def submit(values: dict[str, Any]) -> str:
        return backend.write(people.add, slug, **arguments(fields, values)).name

    return FormScreen("Add a person", fields, submit, form_id="add-person")
