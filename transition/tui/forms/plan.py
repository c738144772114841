"""The form that moves a phase not yet started (``phase replan``). Its fields are named
after the service's arguments, so what it refuses is shown beside the field."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from transition.tui.forms.base import Field, FormScreen, check_date, check_text

if TYPE_CHECKING:
    from transition.services.views.phases import PhaseStep, ReplanView
    from transition.tui.backend import Backend


def replan_form(backend: Backend, slug: str, phases: list[PhaseStep]) -> FormScreen:
    """Phase (those not yet started), new start (prefilled with the first one's planned
    start) and reason. The phase's version read now is checked when it is saved."""
    from transition.services import plan

    pending = [p for p in phases if p.status == "pending"]
    versions = {p.key: p.version for p in pending}
    first = pending[0] if pending else None

    def submit(values: dict[str, Any]) -> ReplanView:
        return backend.write(
            plan.replan,
            slug,
            values["phase"],
            values["start"],
            values["reason"],
            expected_version=versions.get(values["phase"]),
        )

    return FormScreen(
        "Replan a phase",
        [
            Field(
                "phase",
                "Phase",
                "select",
                [
                    (f"{p.key} (planned {p.planned_start} → {p.planned_end})", p.key)
                    for p in pending
                ],
                required=True,
                value=first.key if first else "",
            ),
            Field(
                "start",
                "New start",
                required=True,
                placeholder="YYYY-MM-DD",
                value=str(first.planned_start) if first and first.planned_start else "",
                check=check_date("start date"),
            ),
            Field("reason", "Reason", required=True, check=check_text("the reason")),
        ],
        submit,
        intro="The phases after it move with it; open tasks follow their phase.",
        form_id="replan",
    )
