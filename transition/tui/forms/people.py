"""Forms to add a person and to assign a task."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from transition.services.views import TaskView

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


def assign_form(backend: Any, slug: str, task: TaskView, people: list) -> FormScreen:
    def submit(values: dict[str, Any]) -> str:
        backend.assign_task(slug, task.key, values["person"] or None, task.version)
        return values["person"]

    return FormScreen(
        f"Assign {task.key}",
        [
            Field(
                "person",
                "Person",
                "select",
                people,
                placeholder="nobody",
                value=task.assignee or "",
            )
        ],
        submit,
        intro=task.title,
        form_id="assign",
    )
