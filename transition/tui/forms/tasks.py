"""Task forms: assign, add an ad-hoc task, edit, remove with a reason, add a note."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from transition.tui.forms.base import Field, FormScreen, arguments, check_text

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


def _keys(text: str) -> list[str]:
    return [k for k in (part.strip() for part in text.replace(" ", ",").split(",")) if k]


def add_form(
    backend: Any, slug: str, phases: list[tuple[str, str]], phase: str | None = None
) -> FormScreen:
    """A new ad-hoc task in a phase; closes with the task added."""
    from transition.services import task_edit

    fields = [
        Field("phase", "Phase", "select", phases, required=True, value=phase or ""),
        Field("key", "Key", required=True, placeholder="e.g. extra-dr-test"),
        Field("title", "Title", required=True, check=check_text("the task title")),
        Field("due", "Due", placeholder="YYYY-MM-DD, +5d or +3bd from the phase's start"),
        Field("owner", "Owner role", placeholder="e.g. transition-manager"),
        Field("depends_on", "Depends on", placeholder="task keys, comma-separated"),
        Field("description", "Description", check=check_text("the description")),
    ]

    def submit(values: dict[str, Any]) -> TaskView:
        given = arguments(fields, values)
        given["depends_on"] = _keys(given.get("depends_on", ""))
        return backend.write(task_edit.add, slug, **given)

    return FormScreen(
        "Add a task",
        fields,
        submit,
        intro="Ad-hoc work, marked as not from the playbook.",
        form_id="task-add",
    )


def edit_form(backend: Any, slug: str, task: TaskView, description: str = "") -> FormScreen:
    """Edit ``task`` as last read (refused if someone changed it since); closes with it."""
    from transition.services import task_edit

    def submit(values: dict[str, Any]) -> TaskView:
        return backend.write(
            task_edit.update,
            slug,
            task.key,
            title=values["title"],
            due=values["due"],
            owner=values["owner"],
            description=values["description"],
            expected_version=task.version,
        )

    due = task.due_rule or (task.due_date.isoformat() if task.due_date else "")
    return FormScreen(
        f"Edit {task.key}",
        [
            Field("title", "Title", required=True, value=task.title, check=check_text("title")),
            Field("due", "Due", value=due, placeholder="YYYY-MM-DD, +5d, +3bd (empty: none)"),
            Field("owner", "Owner role", value=task.owner_role or ""),
            Field("description", "Description", value=description),
        ],
        submit,
        intro=f"{task.phase} · {'ad hoc' if task.origin == 'adhoc' else 'from the playbook'}",
        form_id="task-edit",
    )


def remove_form(backend: Any, slug: str, task: TaskView) -> FormScreen:
    """Remove ``task`` with a reason; closes with the removed task."""
    from transition.services import task_edit

    def submit(values: dict[str, Any]) -> Any:
        return backend.write(
            task_edit.remove, slug, task.key, reason=values["reason"], expected_version=task.version
        )

    return FormScreen(
        f"Remove {task.key}",
        [Field("reason", "Reason", required=True, check=check_text("the reason"))],
        submit,
        intro=f"{task.title} — kept in the history, gone from lists and figures.",
        form_id="task-remove",
    )


def note_form(backend: Any, slug: str, task: TaskView) -> FormScreen:
    """Append a note to ``task``'s thread; closes with the note."""
    from transition.services import task_edit

    def submit(values: dict[str, Any]) -> Any:
        return backend.write(task_edit.note, slug, task.key, values["text"])

    return FormScreen(
        f"Note on {task.key}",
        [Field("text", "Note", required=True, check=check_text("the note"))],
        submit,
        intro=task.title,
        form_id="task-note",
    )


#: Status changes one key makes that cannot be taken back by the same key: each asks for an
#: optional note first, and the notice says what changed.
STATUS_TITLE = {"blocked": "Block", "skipped": "Skip", "todo": "Reopen", "in_progress": "Reopen"}


def status_form(backend: Any, slug: str, task: TaskView, status: str) -> FormScreen:
    """Set ``task`` to ``status`` with an optional note (kept on the task and in the audit
    log); closes with the task as changed."""
    from transition.services import tasks

    was = task.status.replace("_", " ")
    to = status.replace("_", " ")
    hint = {
        "blocked": "what blocks it, or who can unblock it",
        "skipped": "why it is not needed",
    }.get(status, "why it is open again")
    fields = [Field("note", "Note", placeholder=f"optional: {hint}", check=check_text("the note"))]

    def submit(values: dict[str, Any]) -> TaskView:
        return backend.write(
            tasks.set_status,
            slug,
            task.key,
            status,
            expected_version=task.version,
            **arguments(fields, values),
        )

    verb = STATUS_TITLE.get(status, "Set")
    return FormScreen(
        f"{verb} {task.key}: {was} → {to}",
        fields,
        submit,
        intro=task.title,
        form_id="task-status",
    )
