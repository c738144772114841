"""Read models: access grants, review findings and what a CSV import did."""

from __future__ import annotations

from datetime import date

from transition.services.views.base import Timestamp, View


class GrantView(View):
    """One grant as ``access list`` shows it; ``status`` is active, expired or revoked."""

    id: int
    person: str
    side: str
    system: str
    role: str
    justification: str
    approver: str
    granted_at: Timestamp
    expires_on: date | None
    expires_rule: str | None
    revoked_at: Timestamp | None
    revoked_by: str | None
    revoke_reason: str | None
    version: int
    status: str

    @property
    def expires(self) -> str | None:
        """The expiry as shown: the date, and the milestone it follows if any."""
        if self.expires_on is None:
            return None
        rule = f" ({self.expires_rule})" if self.expires_rule else ""
        return f"{self.expires_on.isoformat()}{rule}"


class FindingView(View):
    """A least-privilege finding of ``access review``; ``grant_id`` and ``role`` are None
    for access missing altogether (``missing_access``)."""

    kind: str
    severity: str
    grant_id: int | None
    person: str
    system: str
    role: str | None
    message: str


class ImportResult(View):
    """What ``access import`` recorded."""

    imported: int
    warnings: list[str]
    people_created: list[str]
    systems_created: list[str]
    #: How the exit checklist moved: added, resolved, retired, reopened items.
    handover: dict[str, int]
