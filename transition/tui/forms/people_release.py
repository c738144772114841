"""The forms to release a person and to move one to the provider side."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from transition.tui.forms.base import Field, FormScreen, arguments

if TYPE_CHECKING:
    from transition.services.views.release import PersonRow


def _what_ended(revoked: list[int], roles: list[str]) -> str:
    """`` (2 grant(s) revoked; role(s) ended: incumbent-lead)``, or nothing."""
    parts = [f"{len(revoked)} grant(s) revoked"] if revoked else []
    if roles:
        parts.append(f"role(s) ended: {', '.join(roles)}")
    return f" ({'; '.join(parts)})" if parts else ""


def release_form(backend: Any, slug: str, person: PersonRow) -> FormScreen:
    """Release ``person``: their grants are revoked; while they are not ready the service
    refuses without a reason, shown beside the reason field. Closes with the name and
    what ended (grants revoked, roles)."""
    from transition.services import release

    ready = person.readiness in ("", "ready")
    fields = [
        Field("on", "Released on", placeholder="YYYY-MM-DD (empty: today)"),
        Field(
            "override",
            "Override reason",
            placeholder="why they leave before being ready"
            if not ready
            else "not needed: they are ready",
        ),
    ]

    def submit(values: dict[str, Any]) -> str:
        done = backend.write(
            release.release,
            slug,
            person.slug,
            **arguments(fields, values),
            expected_version=person.version,
        )
        return person.name + _what_ended(done.revoked, done.roles)

    title = f"Release {person.name}" + (f" ({person.readiness})" if person.readiness else "")
    return FormScreen(title, fields, submit, form_id="release-person")


def move_form(backend: Any, slug: str, person: PersonRow) -> FormScreen:
    """Re-badge ``person`` to the provider side, keeping or revoking their grants."""
    from transition.services import release

    fields = [
        Field("role", "Role on the provider side", value=person.role or ""),
        Field(
            "access",
            "Their grants",
            "select",
            [("keep (re-justified)", "keep"), ("revoke", "revoke")],
            value="keep",
            required=True,
        ),
    ]

    def submit(values: dict[str, Any]) -> str:
        done = backend.write(
            release.move,
            slug,
            person.slug,
            to="provider",
            role=values.get("role") or None,
            keep_access=values.get("access", "keep") != "revoke",
            expected_version=person.version,
        )
        return person.name + _what_ended(done.revoked, done.roles)

    return FormScreen(f"Move {person.name} to the provider", fields, submit, form_id="move-person")
