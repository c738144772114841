"""Forms to grant and revoke access."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from transition.tui.forms.base import Field, FormScreen, check_text


def grant_form(backend: Any, slug: str, people: list, systems: list) -> FormScreen:
    return FormScreen(
        "Grant access",
        [
            Field("person", "Person", "select", people, required=True),
            Field("system", "System", "select", systems, required=True),
            Field(
                "role",
                "Role",
                required=True,
                placeholder="e.g. read-only, admin",
            ),
            Field(
                "expires",
                "Expires",
                placeholder="YYYY-MM-DD or cutover+30d",
            ),
            Field(
                "justification",
                "Justification",
                check=check_text("the justification"),
            ),
        ],
        partial(backend.grant, slug),
        intro="Every grant adds a revocation item to the exit checklist.",
        form_id="grant",
    )


def revoke_form(backend: Any, slug: str, grant: dict[str, Any]) -> FormScreen:
    def submit(values: dict[str, Any]) -> int:
        return backend.revoke(slug, grant["id"], {**values, "version": grant["version"]})

    return FormScreen(
        f"Revoke grant {grant['id']}",
        [Field("reason", "Reason", check=check_text("the reason"))],
        submit,
        intro=f"{grant['person']} · {grant['role']} on {grant['system']}",
        form_id="revoke",
    )
