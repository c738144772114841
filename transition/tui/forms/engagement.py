"""Form to start an engagement."""

from __future__ import annotations

from inspect import signature
from typing import TYPE_CHECKING, Any

from transition.tui.forms.base import (
    Field,
    FormScreen,
    check_date,
    check_name,
    choices,
    edits,
)

if TYPE_CHECKING:
    from transition.services.views.engagements import EngagementSettings


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


def edit_engagement_form(backend: Any, current: EngagementSettings) -> FormScreen:
    """The engagement's fields prefilled as read; saving changes what differs (refused if
    someone changed the engagement since it was read). Closes with the (new) slug."""
    from transition.services import engagements

    fields = [
        Field("name", "Name", required=True, value=current.name),
        Field("client", "Client", value=current.client),
        Field("incumbent", "Incumbent", value=current.incumbent),
        Field("provider", "Provider", value=current.provider),
        Field(
            "model",
            "Model",
            "select",
            choices(engagements.MODELS),
            value=current.model,
            required=True,
        ),
        Field(
            "location",
            "Location",
            "select",
            choices(engagements.LOCATIONS),
            value=current.location,
            required=True,
        ),
        Field(
            "calendar",
            "Calendar",
            value=current.calendar or "",
            placeholder="GB-ENG, DE-BY, IN… (empty: weekends only)",
        ),
        Field(
            "timezone",
            "Time zone",
            value=current.timezone or "",
            placeholder="Europe/Berlin… (empty: UTC)",
        ),
        Field("workweek", "Work week", value=current.workweek, placeholder="mon-fri, sun-thu…"),
        Field(
            "notice",
            "Exit notice",
            value=current.notice_date.isoformat() if current.notice_date else "",
            placeholder="YYYY-MM-DD (empty: none)",
        ),
        Field(
            "exit",
            "Exit date",
            value=current.exit_date.isoformat() if current.exit_date else "",
            placeholder="YYYY-MM-DD (empty: none)",
        ),
    ]

    def submit(values: dict[str, Any]) -> str:
        result = backend.write(
            engagements.update,
            current.slug,
            **edits(fields, values),
            expected_version=current.version,
        )
        return result.slug

    return FormScreen(f"Edit {current.name}", fields, submit, form_id="edit-engagement")


def archive_form(backend: Any, row: Any) -> FormScreen:
    """Ask before archiving ``row`` (a ``DashboardRow``); closes with the change once
    archived (the version read with the row is checked)."""
    from transition.services import engagements
    from transition.tui.commands import registry as cmd

    def submit(values: dict[str, Any]) -> Any:
        return backend.write(engagements.archive, row.slug, expected_version=row.version)

    return FormScreen(
        f"Archive {row.name}?",
        [],
        submit,
        intro="It leaves the dashboard, lists and the palette, keeping everything, and "
        f"nothing in it can change until it is unarchived ({cmd.SHOW_ARCHIVED.key} lists "
        f"the archived engagements, {cmd.ARCHIVE.key} brings one back).",
        form_id="archive",
        save="Archive",
    )
