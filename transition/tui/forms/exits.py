"""The form that starts the exit of the engagement on screen (``engagement new
--exit-of``). Its fields are named after the service's arguments, so what it refuses is
shown beside the field."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from transition.tui.forms.base import Field, FormScreen, check_date, check_name

if TYPE_CHECKING:
    from transition.services.views.exits import ExitStart
    from transition.tui.backend import Backend


def start_exit_form(backend: Backend, slug: str, name: str) -> FormScreen:
    """Name of the exit (prefilled), the successor (empty: the client takes the service
    back), the client (empty: the same) and the start (empty: the notice date)."""
    from transition.services import exit_start

    def submit(values: dict[str, Any]) -> ExitStart:
        given = {k: v for k, v in values.items() if v}
        return backend.write(
            exit_start.start_exit, exit_of=slug, playbook="exit-to-successor", **given
        )

    return FormScreen(
        f"Start the exit of {name}",
        [
            Field(
                "name",
                "Name",
                required=True,
                value=f"{name} exit"[:200],
                check=check_name("engagement name"),
            ),
            Field("provider", "Successor", placeholder="empty: the client takes it back"),
            Field("client", "Client", placeholder="empty: the same client"),
            Field(
                "start",
                "Start",
                placeholder="YYYY-MM-DD (empty: the notice date)",
                check=check_date("start date"),
            ),
        ],
        submit,
        intro=(
            "A new engagement from the exit-to-successor playbook: this engagement's "
            "provider hands over; people, systems and owners come over, and every grant "
            "in force and every runbook becomes an item of the exit checklist."
        ),
        form_id="start-exit",
    )
