"""Form to add a system in scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from transition.tui.forms.base import Field, FormScreen, arguments, edits

if TYPE_CHECKING:
    from transition.services.views.systems import SystemRow

TIERS = [("1 · most critical", "1"), ("2", "2"), ("3 · least critical", "3")]


def add_system_form(backend: Any, slug: str) -> FormScreen:
    """Returns (closes with) the name of the system added."""
    from transition.services import systems

    fields = [
        Field("name", "Name", required=True, placeholder="e.g. Service desk"),
        Field("tier", "Tier", "select", TIERS, value="2", required=True),
    ]

    def submit(values: dict[str, Any]) -> str:
        return backend.write(systems.add, slug, **arguments(fields, values)).name

    return FormScreen("Add a system", fields, submit, form_id="add-system")


def edit_system_form(backend: Any, slug: str, system: SystemRow) -> FormScreen:
    """The system's fields prefilled as read; closes with the system's (new) name."""
    from transition.services import systems

    fields = [
        Field("name", "Name", required=True, value=system.name, argument="new_name"),
        Field("tier", "Tier", "select", TIERS, value=str(system.tier), required=True),
        Field("description", "Description", value=system.description),
    ]

    def submit(values: dict[str, Any]) -> str:
        result = backend.write(
            systems.update,
            slug,
            system.slug,
            **edits(fields, values),
            expected_version=system.version,
        )
        return result.system.name

    return FormScreen(f"Edit {system.name}", fields, submit, form_id="edit-system")
