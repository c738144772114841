"""Form to start an engagement."""

from __future__ import annotations

from inspect import signature
from typing import Any

from transition.tui.forms.base import Field, FormScreen, check_date, check_name, choices


def new_engagement_form(backend: Any, playbooks: list[str]) -> FormScreen:
    """``playbooks``: the names to offer (read off the UI thread: ``playbook_names()``).
    The form's result is the new engagement's slug."""
    from transition.services import engagements

    defaults = {
        name: parameter.default
        for name, parameter in signature(engagements.create).parameters.items()
    }

    def create(values: dict[str, Any]) -> str:
        # A field left empty takes the service's default.
        given = {name: value for name, value in values.items() if value}
        return backend.write(_slug_of_new, **given)

    return FormScreen(
        "New engagement",
        [
            Field(
                "name",
                "Name",
                required=True,
                check=check_name("engagement name"),
                placeholder="e.g. Acme Helpdesk",
            ),
            Field("playbook", "Playbook", "select", choices(playbooks), required=True),
            Field("client", "Client", placeholder="who owns the service"),
            Field("incumbent", "Incumbent", placeholder="who hands over"),
            Field("provider", "Provider", placeholder="who takes over"),
            Field("model", "Model", "select", choices(engagements.MODELS), value=defaults["model"]),
            Field(
                "location",
                "Location",
                "select",
                choices(engagements.LOCATIONS),
                value=defaults["location"],
            ),
            Field(
                "start",
                "Start",
                placeholder="YYYY-MM-DD (default today)",
                check=check_date("start date"),
            ),
            Field(
                "calendar",
                "Calendar",
                placeholder="holidays of GB-ENG, DE-BY, IN… (default weekends only)",
                check=_check_calendar,
            ),
            Field(
                "timezone",
                "Time zone",
                placeholder="e.g. Europe/London (default UTC)",
                check=_check_zone,
            ),
        ],
        create,
        intro="Phases and tasks are laid out from the playbook with real due dates.",
        form_id="new-engagement",
    )


def _slug_of_new(session: Any, **values: Any) -> str:
    """``engagements.create`` in the form's unit of work; the new engagement's slug."""
    from transition.services import engagements

    return engagements.create(session, **values).slug


def _check_calendar(value: str) -> None:
    from transition.workdays import check_code

    check_code(value)


def _check_zone(value: str) -> None:
    from transition.workdays import check_zone

    check_zone(value)
