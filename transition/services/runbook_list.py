"""``runbook list``: the engagement's runbooks with how much of each is filled in on disk.

``listing`` is the statement both the read models (``runbooks.list_runbooks``) and the
table's plain lines (``lines``) read; ``lines`` builds no model per runbook, only what the
table prints of it.
"""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from transition.dates import today
from transition.models import Person, Runbook, System
from transition.services import runbook_evidence
from transition.services import runbook_files as files
from transition.services.common import EngagementRef, engagement_of, view_columns
from transition.services.views.runbooks import RunbookView

_OWNER, _SIGNER = aliased(Person), aliased(Person)


def listing(engagement_id: int) -> Any:
    """The runbooks of the engagement's systems in scope, in the list's order."""
    return (
        select(
            *view_columns(RunbookView, Runbook),
            Runbook.skeleton_placeholders,
            System.name.label("system"),
            System.slug.label("system_slug"),
            System.tier,
            Runbook.review_due,
            _OWNER.name.label("owner"),
            _SIGNER.name.label("accepted_by"),
        )
        .join(System, System.id == Runbook.system_id)
        .outerjoin(_OWNER, _OWNER.id == Runbook.owner_id)
        .outerjoin(_SIGNER, _SIGNER.id == Runbook.accepted_by_id)
        .where(Runbook.engagement_id == engagement_id, System.removed_at.is_(None))
        .order_by(System.tier, System.slug, Runbook.template, Runbook.id)
    )


class RunbookLine(NamedTuple):
    """What ``runbook list`` prints of a runbook (the fields of ``RunbookView`` it reads)."""

    id: int
    system: str
    template: str
    status: str
    path: str
    placeholders_total: int
    placeholders_left: int | None
    fill_ratio: float | None
    file_missing: bool
    conflicts: int
    owner: str | None
    review_due: date | None
    review_overdue: bool
    exercises: int
    passes: int
    passed_in_parallel_run: bool
    warning: str | None


def lines(session: Session, engagement: EngagementRef) -> list[RunbookLine]:
    """``list_runbooks`` as the table's plain lines: the same queries and file reads."""
    engagement = engagement_of(session, engagement)
    rows = session.execute(listing(engagement.id)).all()
    evidence = runbook_evidence.evidence_of(session, engagement.id) if rows else {}
    now = today()
    out = []
    for r in rows:
        total, left, conflicts, ratio = files.fill(
            files.scan(r.path), r.skeleton_placeholders, r.conflicts
        )
        summary = evidence.get(r.id)
        warning = None
        if r.status in ("validated", "accepted"):  # what its evidence lacks
            warning = runbook_evidence.extra(r.status, None, None, summary)["warning"]
        out.append(
            RunbookLine(
                r.id,
                r.system,
                r.template,
                r.status,
                r.path,
                total,
                left,
                ratio,
                left is None,
                conflicts,
                r.owner,
                r.review_due,
                r.review_due is not None and r.review_due < now,
                summary["exercises"] if summary else 0,  # type: ignore[arg-type]
                summary["passes"] if summary else 0,  # type: ignore[arg-type]
                bool(summary and summary["passed_in_parallel_run"]),
                warning,
            )
        )
    return out
