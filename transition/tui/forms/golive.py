"""Forms of the Go-live tab: an exercise, a finding of it, a go/no-go decision."""

from __future__ import annotations

from typing import Any

from transition.services.exercises import SCENARIOS
from transition.tui.forms.base import Field, FormScreen


def _split(value: str | None, sep: str) -> list[str]:
    return [part.strip() for part in (value or "").split(sep) if part.strip()]


def exercise_form(backend: Any, slug: str) -> FormScreen:
    from transition.services import exercises

    fields = [
        Field(
            "scenario",
            "Scenario",
            required=True,
            placeholder=f"{', '.join(SCENARIOS)} or words",
        ),
        Field("on", "On", required=True, placeholder="YYYY-MM-DD"),
        Field("participants", "Participants", placeholder="names, comma-separated"),
    ]

    def submit(values: dict[str, Any]) -> int:
        return backend.write(
            exercises.add,
            slug,
            scenario=values.get("scenario") or "",
            on=values.get("on") or "",
            participants=_split(values.get("participants"), ","),
        ).id

    return FormScreen("Record a tabletop exercise", fields, submit, form_id="exercise")


def finding_form(backend: Any, slug: str, exercise_id: int, label: str) -> FormScreen:
    from transition.services import exercises

    fields = [
        Field("title", "Finding", required=True),
        Field("owner", "Owner", placeholder="a person (assigned) or an owner role"),
        Field("due", "Due", placeholder="YYYY-MM-DD or +Nd"),
    ]

    def submit(values: dict[str, Any]) -> str:
        return backend.write(
            exercises.add_finding,
            slug,
            exercise_id,
            title=values.get("title") or "",
            owner=values.get("owner") or "",
            due=values.get("due") or None,
        ).task.key

    return FormScreen(f"Finding of {label}", fields, submit, form_id="exercise-finding")


def decision_form(
    backend: Any, slug: str, clients: list[tuple[str, str]], providers: list[tuple[str, str]]
) -> FormScreen:
    from transition.services import golive

    fields = [
        Field("decision", "Decision", "select", [("go", "go"), ("no-go", "no-go")], required=True),
        Field("client", "Client signer", "select", clients, required=True, argument="by"),
        Field("provider", "Provider signer", "select", providers, required=True, argument="by"),
        Field("conditions", "Conditions", placeholder="separated by ;"),
        Field("rollback_triggers", "Rollback triggers", placeholder="separated by ;"),
    ]

    def submit(values: dict[str, Any]) -> str:
        return backend.write(
            golive.decide,
            slug,
            go=values.get("decision") == "go",
            by=[values.get("client") or "", values.get("provider") or ""],
            conditions=_split(values.get("conditions"), ";"),
            rollback_triggers=_split(values.get("rollback_triggers"), ";"),
        ).decision

    return FormScreen("Go/no-go decision", fields, submit, form_id="golive")
