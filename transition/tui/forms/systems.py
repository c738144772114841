"""Form to add a system in scope."""

from __future__ import annotations

from typing import Any

from transition.tui.forms.base import Field, FormScreen, arguments

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
