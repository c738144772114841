"""The form to assign a task."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from transition.tui.forms.base import Field, FormScreen

if TYPE_CHECKING:
    from transition.services.views import TaskView


def assign_form(
    backend: Any, slug: str, task: TaskView, people: list[tuple[str, str]]
) -> FormScreen:
    """Choose who does ``task`` (nobody: unassigned); closes with the person's name."""
    from transition.services import tasks

    def submit(values: dict[str, Any]) -> str:
        done = backend.write(
            tasks.assign, slug, task.key, values["person"] or None, expected_version=task.version
        )
        return done.assignee or ""

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
