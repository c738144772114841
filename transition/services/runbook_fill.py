"""The runbooks summed up for the status report: how many of each status, the mean fill
ratio, and the first runbooks in the report's order (not accepted first, least filled
first) as read models, without building a read model of every runbook. The files are
read for their fill ratio (as ``runbooks.list_runbooks`` reads them); the database gives
only the few columns that ratio needs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from transition.models import Engagement, Runbook, System
from transition.services import runbook_files as files
from transition.services.views.runbooks import RunbookView


@dataclass
class RunbookSummary:
    first: list[RunbookView]
    total: int
    by_status: dict[str, int]
    mean_fill: float | None


def summary(session: Session, engagement: Engagement, top: int) -> RunbookSummary:
    """What the report shows of the runbooks of the systems in scope (three queries)."""
    from transition.services.runbooks import list_runbooks

    rows = session.execute(
        select(Runbook.id, Runbook.status, Runbook.path, Runbook.skeleton_placeholders)
        .join(System, System.id == Runbook.system_id)
        .where(Runbook.engagement_id == engagement.id, System.removed_at.is_(None))
        .order_by(System.tier, System.slug, Runbook.template, Runbook.id)
    ).all()
    by_status: Counter[str] = Counter()
    ratios: list[float] = []
    keyed = []
    for rid, status, path, skeleton in rows:
        by_status[status] += 1
        # The conflicts recorded count only while the file cannot be read, when the
        # ratio is None whatever they are.
        ratio = files.fill(files.scan(path), skeleton, 0)[3]
        if ratio is not None:
            ratios.append(ratio)
        keyed.append(((status == "accepted", ratio or 0), rid))
    if len(keyed) > top:  # a list the report shows whole keeps its order
        keyed.sort(key=lambda k: k[0])
    first = [rid for _, rid in keyed[:top]]
    views = {v.id: v for v in list_runbooks(session, engagement, ids=first)} if first else {}
    return RunbookSummary(
        first=[views[rid] for rid in first],
        total=len(rows),
        by_status=dict(by_status),
        mean_fill=(sum(ratios) / len(ratios)) if ratios else None,
    )
