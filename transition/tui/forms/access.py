"""Forms to grant and revoke access. Each field is named after the argument of the
service verb it fills, so what the verb refuses is shown beside that field."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from transition.tui.forms.base import Field, FormScreen, check_text

if TYPE_CHECKING:
    from transition.services.views.access import GrantView
    from transition.tui.backend import Backend


def grant_form(
    backend: Backend, slug: str, people: list[tuple[str, str]], systems: list[tuple[str, str]]
) -> FormScreen:
    from transition.services import access

    def submit(values: dict[str, Any]) -> GrantView:
        return backend.write(access.grant, slug, **values)

    return FormScreen(
        "Grant access",
        [
            Field("person", "Person", "select", people, required=True),
            Field("system", "System", "select", systems, required=True),
            Field("role", "Role", required=True, placeholder="e.g. read-only, admin"),
            Field("expires", "Expires", placeholder="YYYY-MM-DD or cutover+30d"),
            Field("justification", "Justification", check=check_text("the justification")),
        ],
        submit,
        intro="Every grant adds a revocation item to the exit checklist.",
        form_id="grant",
    )


def revoke_form(backend: Backend, slug: str, grant: GrantView) -> FormScreen:
    from transition.services import access

    def submit(values: dict[str, Any]) -> GrantView:
        return backend.write(
            access.revoke, slug, grant.id, reason=values["reason"], expected_version=grant.version
        )

    return FormScreen(
        f"Revoke grant {grant.id}",
        [Field("reason", "Reason", check=check_text("the reason"))],
        submit,
        intro=f"{grant.person} · {grant.role} on {grant.system}",
        form_id="revoke",
    )
