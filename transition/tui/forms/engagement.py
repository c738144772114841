"""Form to start an engagement."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from transition.tui.forms.base import Field, FormScreen, check_date, check_name, choices


def new_engagement_form(backend: Any, playbooks: list[str]) -> FormScreen:
    """``playbooks``: the names to offer (read off the UI thread: ``backend.playbooks()``)."""
    from transition.services.engagements import LOCATIONS, MODELS

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
            Field(
                "playbook",
                "Playbook",
                "select",
                choices(playbooks),
                required=True,
            ),
            Field("client", "Client", placeholder="who owns the service"),
            Field("incumbent", "Incumbent", placeholder="who hands over"),
            Field("provider", "Provider", placeholder="who takes over"),
            Field("model", "Model", "select", choices(MODELS), value="managed-service"),
            Field("location", "Location", "select", choices(LOCATIONS), value="onshore"),
            Field(
                "start",
                "Start",
                placeholder="YYYY-MM-DD (default today)",
                check=check_date("start date"),
            ),
        ],
        backend.new_engagement,
        intro="Phases and tasks are laid out from the playbook with real due dates.",
        form_id="new-engagement",
    )
