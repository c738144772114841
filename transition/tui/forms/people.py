"""Forms to add a person and to assign a task."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from transition.services.views import TaskView

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
