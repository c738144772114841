"""Form to record a KPI value for a party in an ISO week."""

from __future__ import annotations

from typing import Any

from transition.dates import today
from transition.services import scorecard
from transition.services.views.scorecard import ScoreChange
from transition.tui.forms.base import Field, FormScreen, arguments, choices


def score_form(
    backend: Any, slug: str, kpis: list[tuple[str, str]], kpi: str | None = None
) -> FormScreen:
    """``kpis``: (title, key) of the KPIs the playbook declares. The service names the
    field a refusal is about (kpi, party, period, value, note)."""
    fields = [
        Field("kpi", "KPI", "select", kpis, required=True, value=kpi or ""),
        Field("party", "Party", "select", choices(scorecard.PARTIES), required=True),
        Field(
            "period",
            "Week",
            required=True,
            value=scorecard.period_of(today()),
            placeholder="an ISO week, e.g. 2026-W49",
        ),
        Field("value", "Value", required=True, placeholder="a number, e.g. 97.5"),
        Field("note", "Note", placeholder="where the figure comes from"),
    ]

    def submit(values: dict[str, Any]) -> ScoreChange:
        given = arguments(fields, values)
        return backend.write(scorecard.record, slug, given.pop("kpi"), **given)

    return FormScreen(
        "Record a KPI value",
        fields,
        submit,
        intro="Recording a KPI, party and week again replaces the value (the log keeps it).",
        form_id="score",
    )
