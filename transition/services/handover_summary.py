"""The exit-handover checklist summed up in the database: what the status report shows of
it (counts per status and section, the exit-readiness figure, the first open derived
items) without reading every item. The same figures as ``handover.show`` and
``exit_readiness.figure`` over every item, in a fixed number of queries whatever their
number.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session

from transition.dates import today
from transition.exit_timeline import DONE, due_on, rule_of
from transition.models import Engagement, HandoverItem
from transition.services.views.handover import ExitReadiness, HandoverItemView


@dataclass
class HandoverSummary:
    """``sections``: in the checklist's order, with counts per status; ``open_derived``:
    the first ``top`` open derived items, ``open_derived_count`` all of them;
    ``open_static``: every open item of the checklist."""

    total: int
    by_status: dict[str, int]
    sections: list[dict[str, Any]]
    open_derived: list[HandoverItemView]
    open_derived_count: int
    open_static: list[HandoverItemView]
    readiness: ExitReadiness


def summary(session: Session, engagement: Engagement, top: int) -> HandoverSummary:
    """What the report shows of the checklist (see the module's docstring)."""
    from transition.workdays import Calendar

    eid = engagement.id
    item = HandoverItem
    groups = session.execute(
        select(
            item.section,
            item.status,
            item.source,
            item.source_kind,
            item.due_rule,
            func.count(),
            func.min(item.position),
            func.min(item.section_title),
            func.max(item.section_title),
        )
        .where(item.engagement_id == eid)
        .group_by(item.section, item.status, item.source, item.source_kind, item.due_rule)
    ).all()
    first_seen: dict[str, int] = {}
    named: dict[str, set[str]] = {}
    for section, *_, low, least, most in groups:
        first_seen[section] = min(first_seen.get(section, low), low)
        named.setdefault(section, set()).update((least, most))
    groups = [row[:7] for row in groups]
    order = sorted(first_seen, key=lambda s: (first_seen[s], s))
    # Each section's title is its first item's (the order ``handover.show`` lists them in):
    # the one title all its items have, or else looked for.
    titles = {section: next(iter(names)) for section, names in named.items()}
    if any(len(names) > 1 for names in named.values()):
        titles = _titles(session, eid)
    sections: dict[str, dict[str, Any]] = {
        s: {
            "section": s,
            "title": titles.get(s) or s,
            "open": 0,
            "done": 0,
            "resolved": 0,
            "retired": 0,
        }
        for s in order
    }
    by_status: Counter[str] = Counter()
    first_status: dict[str, tuple[int, int]] = {}
    days, now = Calendar.of(engagement), today()
    dues: dict[str | None, date | None] = {}
    closed = (*DONE, "retired")
    ready: Counter[str] = Counter()
    open_derived = 0
    for section, status, source, kind, rule, n, low in groups:
        sections[section][status] = sections[section].get(status, 0) + n
        by_status[status] += n
        seen = (order.index(section), low)
        first_status[status] = min(first_status.get(status, seen), seen)
        rule = rule_of(rule, kind)
        if rule not in dues:
            dues[rule] = due_on(rule, engagement.notice_date, engagement.exit_date, days)
        due = dues[rule]
        if status == "open" and source == "derived":
            open_derived += n
        if status == "retired":
            continue
        ready["total"] += n
        if status in DONE:
            ready["done"] += n
        if due is not None:
            ready["dated"] += n
            if due <= now:
                ready["due"] += n
                if status in DONE:
                    ready["due_done"] += n
            if due < now and status not in closed:
                ready["overdue"] += n
    figure = ExitReadiness(
        notice_date=engagement.notice_date,
        exit_date=engagement.exit_date,
        today=now,
        total=ready["total"],
        done=ready["done"],
        dated=ready["dated"],
        due=ready["due"],
        due_done=ready["due_done"],
        overdue=ready["overdue"],
        percent=round(100 * ready["due_done"] / ready["due"]) if ready["due"] else None,
    )
    return HandoverSummary(
        total=sum(by_status.values()),
        by_status={s: by_status[s] for s in sorted(first_status, key=first_status.get)},
        sections=list(sections.values()),
        open_derived=_open(session, engagement, order, now, dues, derived=True, top=top),
        open_derived_count=open_derived,
        open_static=_open(session, engagement, order, now, dues, derived=False),
        readiness=figure,
    )


def _titles(session: Session, eid: int | None) -> dict[str, str]:
    """Each section's title: its first item's."""
    item = HandoverItem
    ranked = select(
        item.section,
        item.section_title,
        func.row_number()
        .over(
            partition_by=item.section,
            order_by=(item.position, func.coalesce(item.source_id, 0), item.id),
        )
        .label("rank"),
    ).where(item.engagement_id == eid)
    sub = ranked.subquery()
    first = select(sub.c.section, sub.c.section_title).where(sub.c.rank == 1)
    return {section: title for section, title in session.execute(first)}


def _open(
    session: Session,
    engagement: Engagement,
    order: list[str],
    now: date,
    dues: dict[str | None, date | None],
    *,
    derived: bool,
    top: int | None = None,
) -> list[HandoverItemView]:
    """The open derived items (or the open others), the first ``top`` of them, in
    ``handover.show``'s order, as its views."""
    from transition.services.handover import _ITEM_COLUMNS, _ref

    if not order or top == 0:
        return []
    item = HandoverItem
    rank = case({s: i for i, s in enumerate(order)}, value=item.section, else_=len(order))
    source = item.source == "derived" if derived else item.source != "derived"
    result = session.execute(
        select(*_ITEM_COLUMNS)
        .where(item.engagement_id == engagement.id, item.status == "open", source)
        .order_by(rank, item.position, func.coalesce(item.source_id, 0), item.id)
        .limit(top)
    )
    names = tuple(result.keys())
    rows = [dict(zip(names, row, strict=True)) for row in result]
    refs = _sources(session, rows) if derived else {}
    out = []
    for data in rows:
        kind, source = data["source_kind"], data["source_id"]
        data["source_ref"] = refs.get((kind, source)) or _ref(kind, source, data["checklist"])
        data["due_rule"] = rule = rule_of(data["due_rule"], kind)
        due = dues.get(rule)
        data["due_date"] = due
        data["overdue"] = due is not None and due < now
        out.append(HandoverItemView.model_validate(data))
    return out


def _sources(session: Session, rows: list[dict[str, Any]]) -> dict[tuple[str, int], Any]:
    """What ``rows`` were derived from, by (kind, id): a query per kind, of those ids
    (three queries whichever kinds the rows are of)."""
    from transition.models import AccessGrant, Person, Runbook, System
    from transition.services.views.handover import GrantRef, RunbookRef, SystemRef

    ids: dict[str, list[int]] = {"grant": [], "system": [], "runbook": []}
    for row in rows:
        if row["source_id"] is not None:
            ids.setdefault(row["source_kind"], []).append(row["source_id"])
    refs: dict[tuple[str, int], Any] = {}
    if rows:
        for gid, person, system, role in session.execute(
            select(AccessGrant.id, Person.name, System.name, AccessGrant.role)
            .join(Person, Person.id == AccessGrant.person_id)
            .join(System, System.id == AccessGrant.system_id)
            .where(AccessGrant.id.in_(ids["grant"]))
        ):
            refs["grant", gid] = GrantRef(grant_id=gid, person=person, system=system, role=role)
    if rows:
        for sid, name in session.execute(
            select(System.id, System.name).where(System.id.in_(ids["system"]))
        ):
            refs["system", sid] = SystemRef(system_id=sid, system=name)
    if rows:
        for rid, template, title, system in session.execute(
            select(Runbook.id, Runbook.template, Runbook.title, System.name)
            .join(System, System.id == Runbook.system_id)
            .where(Runbook.id.in_(ids["runbook"]))
        ):
            refs["runbook", rid] = RunbookRef(
                runbook_id=rid, template=template, title=title, system=system
            )
    return refs
