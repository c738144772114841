"""The demo's runbook evidence: runbooks moved along their lifecycle with what each step
needs (a forced review where sections are still open, with its reason; exercises; a
provider signature), owners and review dates, one review overdue."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from transition.models import Engagement
from transition.services import runbook_evidence, runbooks

LIFECYCLE = ("drafted", "reviewed", "validated", "accepted")
#: Runbook (system, template) → (owner, days from today to its next review).
OWNERS = {
    ("ServiceNow ITSM", "incident-response"): ("Lena Fischer", 60),
    ("ServiceNow ITSM", "service-restart"): ("Lena Fischer", -5),  # overdue: a finding
    ("Active Directory", "incident-response"): ("Kenji Watanabe", 30),
    ("Veeam Backup", "backup-restore"): ("Ana Souza", 45),
}
#: Exercises: (system, template) → (days before today, by, outcome, deviations).
EXERCISES = {
    ("ServiceNow ITSM", "incident-response"): [
        (12, "Lena Fischer", "fail", "The P1 bridge number in step 3 was the old one"),
        (4, "Lena Fischer", "pass", None),
    ],
    ("ServiceNow ITSM", "service-restart"): [
        (3, "Kenji Watanabe", "pass", "Restart took 12 min instead of 5: health check URL fixed"),
    ],
}
SIGNER = "Daniel Okafor"
REVIEW_REASON = "Reviewed with the incumbent; the open sections are written in the parallel run"


def advance(
    session: Session,
    eng: Engagement,
    system: str,
    template: str,
    runbook_id: int,
    target: str,
    today: date,
) -> None:
    """Move one demo runbook to ``target`` with the evidence each step needs."""
    owner = OWNERS.get((system, template))
    if owner is not None:
        runbook_evidence.set_details(
            session,
            eng,
            runbook_id,
            owner=owner[0],
            review=today + timedelta(days=owner[1]),
        )
    for days, by, outcome, deviations in EXERCISES.get((system, template), ()):
        runbook_evidence.record_exercise(
            session,
            eng,
            runbook_id,
            on=today - timedelta(days=days),
            by=by,
            outcome=outcome,
            deviations=deviations,
        )
    for status in LIFECYCLE[1 : LIFECYCLE.index(target) + 1]:
        left = runbooks.list_runbooks(session, eng)
        row = next(r for r in left if r.id == runbook_id)
        forced = status == "reviewed" and bool(row.placeholders_left)
        runbooks.set_status(
            session,
            eng,
            runbook_id,
            status,
            force=forced,
            reason=REVIEW_REASON if forced else None,
            by=SIGNER if status == "accepted" else None,
        )
