"""The form to add a person."""

from __future__ import annotations

from functools import partial
from typing import Any

from transition.tui.forms.base import Field, FormScreen, check_date, check_name, choices


def add_person_form(backend: Any, slug: str) -> FormScreen:
    from transition.services.people import SIDES

    return FormScreen(
        "Add a person",
        [
            Field(
                "name",
                "Name",
                required=True,
                check=check_name("person name"),
            ),
            Field("side", "Side", "select", choices(SIDES), required=True),
            Field("role", "Role", placeholder="e.g. service desk lead"),
            Field("email", "Email"),
            Field(
                "release",
                "Release date",
                placeholder="YYYY-MM-DD, when they leave",
                check=check_date("release date"),
            ),
        ],
        partial(backend.add_person, slug),
        form_id="add-person",
    )
