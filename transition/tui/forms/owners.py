"""Forms for a system's people (owners, SMEs, backups) and its knowledge topics."""

from __future__ import annotations

from typing import Any

from transition.tui.forms.base import Field, FormScreen, choices

ACTIONS = [("add", "add"), ("remove", "remove")]


def owners_form(backend: Any, slug: str, system: str, people: list[tuple[str, str]]) -> FormScreen:
    """Give a person a role on ``system`` or take it away; closes with what it did."""
    from transition.services import system_people
    from transition.services.views.owners import SYSTEM_ROLES

    fields = [
        Field("person", "Person", "select", people, required=True),
        Field("role", "As", "select", choices(SYSTEM_ROLES), value="owner", required=True),
        Field("action", "Add or remove", "select", ACTIONS, value="add", required=True),
    ]

    def submit(values: dict[str, Any]) -> str:
        result = backend.write(
            system_people.set_owner,
            slug,
            system,
            values["person"],
            role=values["role"],
            remove=values["action"] == "remove",
        )
        verb = "no longer" if result.removed else "now"
        return f"{result.person} is {verb} {result.role} of {result.system}"

    return FormScreen(f"Owners of {system}", fields, submit, form_id="system-owners")


def topics_form(backend: Any, slug: str, system: str, topics: list[str]) -> FormScreen:
    """Add a topic to ``system``'s knowledge or remove one; closes with what it did."""
    from transition.services import system_people

    shown = ", ".join(topics) or "none"
    fields = [
        Field("title", "Topic", required=True, placeholder=f"now: {shown}"[:200]),
        Field("action", "Add or remove", "select", ACTIONS, value="add", required=True),
    ]

    def submit(values: dict[str, Any]) -> str:
        result = backend.write(
            system_people.change_topic,
            slug,
            system,
            values["title"],
            remove=values["action"] == "remove",
        )
        return f"topic {result.title} {'removed from' if result.removed else 'added to'} {system}"

    return FormScreen(f"Topics of {system}", fields, submit, form_id="system-topics")
