"""Reading the RAID log: entries by readable id, the log as read models, the entries
linked to a system, person or task, and the open risks the gates judge. Bounded queries
whatever the log's size."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import literal, select
from sqlmodel import Session

from transition.errors import BadInput, NotFound
from transition.models import Engagement, Person, Phase, RaidItem, RaidLink, System, Task
from transition.services.common import EngagementRef, engagement_of
from transition.services.views.raid import RAID_KINDS, RaidItemView, RaidLinkView

ENTITY = "raid_item"
_REF = re.compile(r"^\s*([A-Za-z]+)-?0*(\d{1,9})\s*$")
_PREFIX = {prefix: kind for kind, prefix in RAID_KINDS.items()}

if TYPE_CHECKING:
    from transition.playbook_criteria import Criterion


def ref_of(kind: str, number: int) -> str:
    return f"{RAID_KINDS[kind]}-{number}"


def kind_of(value: str) -> str:
    kind = (value or "").strip().lower()
    if kind not in RAID_KINDS:
        raise BadInput(f"invalid type {value!r}: choose {'|'.join(RAID_KINDS)}", field="kind")
    return kind


def get_item(session: Session, engagement: Engagement, ref: str) -> RaidItem:
    """The entry whose readable id is ``ref`` (``R-3``, ``r-03``, ``DEC-1``)."""
    match = _REF.match(ref or "")
    kind = _PREFIX.get(match.group(1).upper()) if match else None
    if match is None or kind is None:
        prefixes = ", ".join(f"{p}-N ({k})" for k, p in RAID_KINDS.items())
        raise NotFound(f"invalid RAID id {ref!r}: expected {prefixes}", field="ref")
    row = session.execute(
        select(RaidItem).where(
            RaidItem.engagement_id == engagement.id,
            RaidItem.kind == kind,
            RaidItem.number == int(match.group(2)),
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"unknown RAID entry {ref.strip()} in {engagement.slug}", field="ref")
    return row


def items(
    session: Session,
    engagement: EngagementRef,
    *,
    kind: str | None = None,
    open_only: bool = False,
) -> list[RaidItemView]:
    """The RAID log by kind and number (``kind``: one kind; ``open_only``: not closed);
    four queries whatever its size."""
    engagement = engagement_of(session, engagement)
    stmt = select(RaidItem).where(RaidItem.engagement_id == engagement.id)
    if kind is not None:
        stmt = stmt.where(RaidItem.kind == kind_of(kind))
    if open_only:
        stmt = stmt.where(RaidItem.status == "open")
    rows = list(session.execute(stmt).scalars())
    return views_of(session, engagement, rows)


def linked_to(
    session: Session, engagement: EngagementRef, target_kind: str, target_id: int
) -> list[RaidItemView]:
    """The entries linked to one system, person or task (the inspector's list)."""
    engagement = engagement_of(session, engagement)
    rows = list(
        session.execute(
            select(RaidItem)
            .join(RaidLink, RaidLink.raid_id == RaidItem.id)
            .where(
                RaidLink.engagement_id == engagement.id,
                getattr(RaidLink, f"{target_kind}_id") == target_id,
            )
        ).scalars()
    )
    return views_of(session, engagement, rows)


def views_of(session: Session, engagement: Engagement, rows: list[RaidItem]) -> list[RaidItemView]:
    """Read models of ``rows``, in the log's order; at most three more queries."""
    eid = engagement.id
    people = {
        pid: name
        for pid, name in session.execute(
            select(Person.id, Person.name).where(Person.engagement_id == eid)
        )
    }
    phases = {
        pid: key
        for pid, key in session.execute(
            select(Phase.id, Phase.key).where(Phase.engagement_id == eid)
        )
    }
    links: dict[int, list[RaidLinkView]] = {}
    ids = [r.id for r in rows]
    if ids:
        names = _target_names(session, eid)
        found = session.execute(
            select(RaidLink.raid_id, RaidLink.system_id, RaidLink.person_id, RaidLink.task_id)
            .where(RaidLink.engagement_id == eid, RaidLink.raid_id.in_(ids))
            .order_by(RaidLink.id)
        )
        for raid_id, *targets in found:
            target_kind, target_id = next(
                (k, t) for k, t in zip(("system", "person", "task"), targets, strict=True) if t
            )
            links.setdefault(raid_id, []).append(
                RaidLinkView(
                    kind=target_kind,
                    target_id=target_id,
                    name=names.get((target_kind, target_id), f"{target_kind} {target_id}"),
                )
            )
    order = list(RAID_KINDS)
    return [
        RaidItemView(
            ref=ref_of(r.kind, r.number),
            kind=r.kind,
            number=r.number,
            title=r.title,
            owner=people.get(r.owner_id) if r.owner_id else None,
            party=r.party,
            probability=r.probability,
            impact=r.impact,
            score=r.probability * r.impact if r.probability and r.impact else None,
            due=r.due_date,
            mitigation=r.mitigation,
            status=r.status,
            resolution=r.resolution,
            phase=phases.get(r.phase_id) if r.phase_id else None,
            created_at=r.created_at,
            created_by=r.created_by,
            closed_at=r.closed_at,
            closed_by=r.closed_by,
            links=links.get(r.id, []),
        )
        for r in sorted(rows, key=lambda r: (order.index(r.kind), r.number))
    ]


def _target_names(session: Session, eid: int) -> dict[tuple[str, int], str]:
    """Display names of everything an entry can link to, in one query."""
    union = (
        select(System.id, System.name, literal("system").label("kind"))
        .where(System.engagement_id == eid)
        .union_all(
            select(Person.id, Person.name, literal("person").label("kind")).where(
                Person.engagement_id == eid
            ),
            select(Task.id, Task.key, literal("task").label("kind")).where(
                Task.engagement_id == eid
            ),
        )
    )
    return {(kind, tid): name for tid, name, kind in session.execute(union)}


def gate_facts(session: Session, engagement: Engagement) -> list[tuple[str, int]]:
    """The open scored risks: (readable id, score), highest first; one query."""
    found = session.execute(
        select(RaidItem.number, RaidItem.probability, RaidItem.impact).where(
            RaidItem.engagement_id == engagement.id,
            RaidItem.kind == "risk",
            RaidItem.status == "open",
            RaidItem.probability.is_not(None),
            RaidItem.impact.is_not(None),
        )
    )
    scored = [(ref_of("risk", n), p * i) for n, p, i in found]
    return sorted(scored, key=lambda s: (-s[1], s[0]))


def gate_judge(criterion: Criterion, phase: Phase, facts: object) -> tuple[bool, str]:
    """``no_high_risks: {min_score: N}``: met while no open risk scores N or more."""
    del phase
    threshold = criterion.option
    risks = facts if isinstance(facts, list) else []
    high = [(ref, score) for ref, score in risks if score >= threshold]
    if not high:
        return True, f"no open risk scores {threshold} or more"
    from transition.services.listing import names

    shown = names([f"{ref} ({score})" for ref, score in high])
    return False, f"{len(high)} open risk(s) score {threshold} or more: {shown}"
