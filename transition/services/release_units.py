"""What release readiness is judged on, read once for a set of people: the systems whose
knowledge each person holds, and the units of knowledge of those systems (topics, or the
whole system while it has none) with the core KT kinds still missing on each."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Integer, String, case, cast, func, null, select, union_all
from sqlmodel import Session

from transition.models import (
    Engagement,
    KTParticipant,
    KTSession,
    KTTopic,
    System,
    SystemPerson,
    SystemTopic,
)
from transition.playbook_stored import parts_of
from transition.services.kt_risks import CORE_KINDS
from transition.text import slugify


@dataclass
class Held:
    """Person id → the systems whose knowledge they hold (own, back or present KT on) and
    the ones they own; system id → its name and tier."""

    holds: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    owns: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    names: dict[int, str] = field(default_factory=dict)
    tiers: dict[int, int] = field(default_factory=dict)

    def of(self, person_id: int) -> list[int]:
        """The systems ``person_id`` holds (not removed), by name."""
        names = self.names
        return sorted(
            (s for s in self.holds.get(person_id, ()) if s in names),
            key=lambda s: names[s].lower(),
        )


def held(session: Session, ids: list[int]) -> Held:
    """The systems each of ``ids`` holds, one row per person and system. One query."""
    out = Held()
    linked = select(
        SystemPerson.person_id,
        SystemPerson.system_id,
        case((SystemPerson.role == "owner", 1), else_=0).label("owner"),
    ).where(SystemPerson.person_id.in_(ids))
    presenting = (
        select(KTParticipant.person_id, KTSession.system_id, cast(0, Integer))
        .join(KTSession, KTSession.id == KTParticipant.session_id)
        .where(
            KTParticipant.person_id.in_(ids),
            KTParticipant.role == "presenter",
            KTSession.status != "cancelled",
        )
    )
    links = union_all(linked, presenting).subquery()
    for pid, sid, owner, sname, tier in session.execute(
        select(
            links.c.person_id, links.c.system_id, func.max(links.c.owner), System.name, System.tier
        )
        .join(System, System.id == links.c.system_id)
        .where(System.removed_at.is_(None))
        .group_by(links.c.person_id, links.c.system_id, System.name, System.tier)
    ):
        out.holds[pid].add(sid)
        out.names[sid], out.tiers[sid] = sname, tier
        if owner:
            out.owns[pid].add(sid)
    return out


#: One unit of knowledge not signed off: its topic title (None: the whole system) and the
#: core kinds missing.
Gap = tuple[str | None, list[str]]


class Units:
    """The units of knowledge of some systems and what is signed off on them: ``gaps(sid)``
    lists the units of one system still missing a core kind, in the order they are shown
    (computed once per system)."""

    def __init__(self) -> None:
        self.topics: dict[int, list[tuple[int | None, str]]] = defaultdict(list)
        self.by_topic: set[int] = set()  # systems whose KT is organised by topic
        self.signed: dict[tuple[int, int | None], set[str]] = defaultdict(set)
        self._gaps: dict[int, list[Gap]] = {}

    def gaps(self, sid: int) -> list[Gap]:
        known = self._gaps.get(sid)
        if known is not None:
            return known
        units = self.topics.get(sid, []) if sid in self.by_topic else [(None, None)]
        out: list[Gap] = []
        for tid, title in units:
            done = self.signed.get((sid, tid), set()) if tid is not None or title is None else set()
            missing = [k for k in CORE_KINDS if k not in done]
            if missing:
                out.append((title, missing))
        self._gaps[sid] = out
        return out


def units(session: Session, engagement_id: int, tiers: dict[int, int]) -> Units:
    """The units of knowledge of the systems ``tiers`` names. One query; the runbooks the
    stored playbook requires of a tier are read when a system's KT is organised by topic."""
    out = Units()
    system_ids = sorted(tiers)
    if not system_ids:
        return out
    # The systems' stored topics and their KT sessions, in one query: a topic row has
    # a key and no kind (its state: "" or "removed"), a KT row a kind, the topic it
    # covered (if any) and whether it is signed off as its state ("signed_off" or ""),
    # once per system, topic, kind and state.
    topic_rows = select(
        SystemTopic.system_id.label("system_id"),
        SystemTopic.id.label("topic_id"),
        SystemTopic.key.label("key"),
        SystemTopic.title.label("title"),
        cast(null(), String).label("kind"),
        case((SystemTopic.removed_at.is_(None), ""), else_="removed").label("state"),
    ).where(SystemTopic.system_id.in_(system_ids))
    kt_rows = (
        select(
            KTSession.system_id,
            KTTopic.topic_id,
            cast(null(), String),
            cast(null(), String),
            cast(KTSession.kind, String),
            case((KTSession.status == "signed_off", "signed_off"), else_=""),
        )
        .distinct()
        .outerjoin(KTTopic, KTTopic.session_id == KTSession.id)
        .where(KTSession.system_id.in_(system_ids), KTSession.status != "cancelled")
    )
    stored: dict[int, dict[str, tuple[int, str, bool]]] = defaultdict(dict)
    signed, by_topic = out.signed, out.by_topic
    for sid, tid, key, title, kind, state in session.execute(union_all(topic_rows, kt_rows)):
        if kind is None:
            stored[sid][key] = (tid, title, state == "removed")
            continue
        if tid is not None:
            by_topic.add(sid)
        if state == "signed_off":
            signed[(sid, None)].add(kind)
            if tid is not None:
                signed[(sid, tid)].add(kind)
    if not by_topic:
        return out
    engagement = session.get(Engagement, engagement_id)
    assert engagement is not None
    playbook = parts_of(engagement.playbook_json)
    for sid in by_topic:
        # KT organised by topic: the default topics (a runbook the playbook requires of
        # the tier) in the playbook's order, then the team's by title, removed ones out.
        mine = stored.get(sid, {})
        defaults = []
        for template in playbook.required_runbooks(tiers[sid]):
            key = slugify(template)
            defaults.append(key)
            tid, title, removed = mine.get(key, (None, template, False))
            if not removed:
                out.topics[sid].append((tid, title))
        team = sorted(
            (v for k, v in mine.items() if k not in defaults and not v[2]),
            key=lambda v: v[1].lower(),
        )
        out.topics[sid] += [(tid, title) for tid, title, _ in team]
    return out


def held_units(session: Session, engagement_id: int, ids: list[int]) -> tuple[Held, Units]:
    """What ``ids`` hold (``held``) and what each system held asks of them (``units``):
    where every release readiness, full or counted, starts."""
    link = held(session, ids)
    return link, units(session, engagement_id, link.tiers)
