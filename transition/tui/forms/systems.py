"""Form to add a system in scope."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from transition.tui.forms.base import Field, FormScreen, check_name


def add_system_form(backend: Any, slug: str) -> FormScreen:
    return FormScreen(
        "Add a system",
        [
            Field(
                "name",
                "Name",
                required=True,
                check=check_name("system name"),
                placeholder="e.g. Service desk",
            ),
            Field(
                "tier",
                "Tier",
                "select",
                [("1 · most critical", "1"), ("2", "2"), ("3 · least critical", "3")],
                value="2",
                required=True,
            ),
        ],
        partial(backend.add_system, slug),
        form_id="add-system",
    )
