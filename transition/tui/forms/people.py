"""The form to add a person."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from transition.tui.forms.base import Field, FormScreen, arguments, choices, edits

if TYPE_CHECKING:
    from transition.services.views.people import PersonView


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


def edit_person_form(backend: Any, slug: str, person: PersonView) -> FormScreen:
    """The person's fields prefilled as read; closes with the person's (new) name."""
    from transition.services import people

    fields = [
        Field("name", "Name", required=True, value=person.name, argument="new_name"),
        Field("side", "Side", "select", choices(people.SIDES), value=person.side, required=True),
        Field("role", "Role", value=person.role or ""),
        Field("email", "Email", value=person.email or ""),
        Field(
            "release",
            "Release date",
            value=person.release_date.isoformat() if person.release_date else "",
            placeholder="YYYY-MM-DD (empty: none)",
            argument="release_date",
        ),
        Field(
            "timezone",
            "Time zone",
            value=person.timezone or "",
            placeholder="Asia/Kolkata… (empty: the engagement's)",
        ),
    ]

    def submit(values: dict[str, Any]) -> str:
        result = backend.write(
            people.update,
            slug,
            person.slug,
            **edits(fields, values),
            expected_version=person.version,
        )
        return result.person.name

    return FormScreen(f"Edit {person.name}", fields, submit, form_id="edit-person")


def role_form(backend: Any, slug: str, person: PersonView) -> FormScreen:
    """Give ``person`` a playbook role, or take one back; closes with what was done."""
    from transition.services import roles

    fields = [
        Field("role", "Role", required=True, placeholder="e.g. transition-manager"),
        Field(
            "action",
            "Action",
            "select",
            [("Assign the role", "assign"), ("Take the role back", "remove")],
            value="assign",
            required=True,
        ),
    ]

    def submit(values: dict[str, Any]) -> str:
        change = roles.unassign if values.get("action") == "remove" else roles.assign
        result = backend.write(change, slug, values["role"], person.slug)
        what = "holds" if result.assigned else "no longer holds"
        return "; ".join([f"{result.person} {what} the role {result.role}", *result.warnings])

    return FormScreen(f"Role of {person.name}", fields, submit, form_id="person-role")
