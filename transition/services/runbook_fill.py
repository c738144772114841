"""The runbooks summed up for the status report: how many of each status, the mean fill
ratio, and the first runbooks in the report's order (not accepted first, least filled
first) as read models, without building a read model of every runbook. The files are
read for their fill ratio (as ``runbooks.list_runbooks`` reads them); the database gives
only the few columns that ratio needs.
"""

from __future__ import annotations

import os
import stat
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

    rows = (
        session.connection()
        .execute(  # plain rows: no ORM work per runbook
            select(Runbook.id, Runbook.status, Runbook.path, Runbook.skeleton_placeholders)
            .join(System, System.id == Runbook.system_id)
            .where(Runbook.engagement_id == engagement.id, System.removed_at.is_(None))
            .order_by(System.tier, System.slug, Runbook.template, Runbook.id)
        )
        .all()
    )
    by_status: Counter[str] = Counter()
    ratios: list[float] = []
    keyed = []
    for rid, status, path, skeleton in rows:
        by_status[status] += 1
        # The conflicts recorded count only while the file cannot be read, when the
        # ratio is None whatever they are.
        ratio = files.fill(_scan(path), skeleton, 0)[3]
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


_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_PLACEHOLDER = files.PLACEHOLDER.encode()
_CONFLICT = files.CONFLICT_START.encode()


def _scan(path: str) -> tuple[int, int] | None:
    """``runbook_files.scan`` of a file, in fewer system calls: a regular file within the
    size limit is read in one call (opened non-blocking, which a regular file ignores); anything
    else (missing, not a regular file, too big, grown while read) is left to ``scan``."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return files.scan(path)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > files.MAX_READ:
            return files.scan(path)
        data = os.read(fd, info.st_size + 1)
    except OSError:
        return files.scan(path)
    finally:
        os.close(fd)
    if len(data) > info.st_size:
        return files.scan(path)
    left = data.count(_PLACEHOLDER)
    # A conflict marker starts with "<": a file without one (most) is passed over at the
    # speed of a byte search.
    if b"<" not in data or _CONFLICT not in data:
        return left, 0
    return left, files.count_conflicts(data.decode("utf-8", errors="replace"))
