"""The exit-handover checklist (being completed): reconciliation entry point.

``reconcile(session, engagement, grants=None, systems=None, runbooks=None)`` brings the
derived items of the given grant/system/runbook ids (all of them when every argument is
None) in step with their sources, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from transition.models import Engagement


def reconcile(
    session: Session,
    engagement: Engagement,
    *,
    grants: Iterable[int] | None = None,
    systems: Iterable[int] | None = None,
    runbooks: Iterable[int] | None = None,
) -> dict[str, int]:
    return {"added": 0, "resolved": 0, "retired": 0, "reopened": 0}
