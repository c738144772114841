"""Forms for a runbook's evidence: record an exercise, sign its acceptance. The service
refuses what is wrong (a future day, a signer of the wrong side or the author) and names
the field; the form shows the refusal beside it."""

from __future__ import annotations

from typing import Any

from transition.services import runbook_evidence, runbooks
from transition.tui.forms.base import Field, FormScreen, choices


def exercise_form(backend: Any, slug: str, runbook_id: int, label: str, people: list) -> FormScreen:
    """Record an exercise of one runbook (``people``: ``(label, value)`` options)."""

    def submit(values: dict[str, Any]) -> str:
        done = backend.write(
            runbook_evidence.record_exercise,
            slug,
            runbook_id,
            on=values["on"],
            by=values["by"],
            outcome=values["outcome"],
            deviations=values.get("deviations") or None,
        )
        # Its warning, if any, is a notification of its own (``Backend.on_warnings``).
        where = "during the parallel run" if done.in_parallel_run else "outside the parallel run"
        return f"runbook {runbook_id}: {done.outcome} on {done.exercised_on} {where}"

    return FormScreen(
        f"Record an exercise of runbook {label}",
        [
            Field("on", "Day", placeholder="YYYY-MM-DD", required=True),
            Field("by", "By", "select", people, required=True),
            Field("outcome", "Outcome", "select", choices(["pass", "fail"]), required=True),
            Field("deviations", "Deviations", placeholder="what differed from the procedure"),
        ],
        submit,
        form_id="runbook-exercise",
    )


def sign_form(backend: Any, slug: str, runbook_id: int, label: str, people: list) -> FormScreen:
    """Accept one validated runbook, signed by a provider person who is not its author."""

    def submit(values: dict[str, Any]) -> str:
        done = backend.write(runbooks.set_status, slug, runbook_id, "accepted", by=values["by"])
        return f"runbook {runbook_id}: accepted, signed by {done.signed_by}"

    return FormScreen(
        f"Accept runbook {label}",
        [Field("by", "Signed by", "select", people, required=True)],
        submit,
        intro="A person of the provider side who is not the runbook's author signs.",
        form_id="runbook-sign",
    )
