"""KT by topic: which of a system's topics a session covers, and the coverage matrix of
system × topic × kind with who holds the knowledge and who received it.

A session covers the topics it was given (``kt schedule/set --covers``); a session given
none covers the topic of its system whose title folds like its own topic text, if there
is one, else none of them (it shows under ``(other sessions)``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sqlalchemy import delete, insert, select
from sqlmodel import Session

from transition.models import (
    Engagement,
    KTParticipant,
    KTSession,
    KTTopic,
    Person,
    System,
    SystemTopic,
)
from transition.playbooks import KT_KINDS
from transition.services import audit
from transition.services.common import EngagementRef, engagement_of
from transition.services.kt_risks import CORE_KINDS, missing_kinds
from transition.services.views.kt import KTTopicCell, KTTopicRow
from transition.services.views.owners import Topic
from transition.text import slugify

OTHER = "(other sessions)"
#: A status's rank: the best one a topic's sessions of a kind reached is shown.
_RANK = {"signed_off": 3, "held": 2, "planned": 1}


def cover(
    session: Session,
    engagement: Engagement,
    row: KTSession,
    titles: Iterable[str],
    *,
    action: str = "update",
) -> list[str]:
    """Make the KT session ``row`` cover exactly the topics ``titles`` of its system (by
    title, folded; a default topic is stored on first use). Audited as ``covers`` events
    (one per topic added or dropped); returns the titles covered now."""
    from transition.services.system_people import stored_topics

    system = session.get(System, row.system_id)
    assert system is not None
    wanted = stored_topics(session, engagement, system, titles)
    now = dict(
        session.execute(
            select(SystemTopic.id, SystemTopic.title)
            .join(KTTopic, KTTopic.topic_id == SystemTopic.id)
            .where(KTTopic.session_id == row.id)
        ).all()
    )
    want = {t.id: t.title for t in wanted}
    added = [tid for tid in want if tid not in now]
    dropped = [tid for tid in now if tid not in want]
    if added:
        session.execute(insert(KTTopic), [{"session_id": row.id, "topic_id": tid} for tid in added])
    if dropped:
        session.execute(
            delete(KTTopic).where(KTTopic.session_id == row.id, KTTopic.topic_id.in_(dropped))
        )
    audit.record_many(
        session,
        engagement.id,
        [
            *(audit.Change("kt_session", row.id, action, "covers", None, want[t]) for t in added),
            *(
                audit.Change("kt_session", row.id, "update", "covers", now[t], None)
                for t in dropped
            ),
        ],
    )
    return [t.title for t in wanted]


class TopicCell(NamedTuple):
    """``KTTopicCell`` as a plain row (read by attribute the same way)."""

    kind: str
    status: str
    received: list[str]


class TopicLine(NamedTuple):
    """``KTTopicRow`` as a plain row: what ``matrix_of`` gives, one per topic, read by
    attribute the same way, with no model built per row of a large engagement."""

    system: str
    tier: int
    topic: str
    source: str
    kinds: list[TopicCell]
    holders: list[str]
    received: list[str]
    missing: list[str]
    at_risk: str | None


def _view(row: TopicLine) -> KTTopicRow:
    return KTTopicRow(**{**row._asdict(), "kinds": [KTTopicCell(**c._asdict()) for c in row.kinds]})


def _record(row: TopicLine) -> dict[str, object]:
    return {**row._asdict(), "kinds": [c._asdict() for c in row.kinds]}


@dataclass
class _Sessions:
    """The engagement's KT sessions (not cancelled) and what they cover."""

    rows: dict[int, tuple[int, str, str, str]] = field(default_factory=dict)
    covers: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    people: dict[int, list[tuple[str, str, str, date | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def _sessions(session: Session, eid: int) -> _Sessions:
    out = _Sessions()
    conn = session.connection()  # plain rows (the session's changes were written already)
    for sid, system_id, topic, kind, status in conn.execute(
        select(
            KTSession.id, KTSession.system_id, KTSession.topic, KTSession.kind, KTSession.status
        ).where(KTSession.engagement_id == eid, KTSession.status != "cancelled")
    ).all():
        out.rows[sid] = (system_id, slugify(topic), kind, status)
    for sid, tid in conn.execute(
        select(KTTopic.session_id, KTTopic.topic_id)
        .join(KTSession, KTSession.id == KTTopic.session_id)
        .where(KTSession.engagement_id == eid)
    ).all():
        out.covers[sid].add(tid)
    for sid, role, name, side, release in session.execute(
        select(
            KTParticipant.session_id,
            KTParticipant.role,
            Person.name,
            Person.side,
            Person.release_date,
        )
        .join(Person, Person.id == KTParticipant.person_id)
        .join(KTSession, KTSession.id == KTParticipant.session_id)
        .where(KTSession.engagement_id == eid, KTSession.status != "cancelled")
    ).all():
        out.people[sid].append((role, name, side, release))
    return out


def _topic_keys(topics: list[Topic], sessions: _Sessions) -> dict[int, list[tuple[int, str]]]:
    """Session id → the (system id, topic key) it covers: its links to active topics, else
    the topic titled like its own topic text, else ``OTHER``."""
    by_id = {t.id: t for t in topics if t.id is not None}
    keys = {(t.system_id, t.key) for t in topics}
    out: dict[int, list[tuple[int, str]]] = {}
    for sid, (system_id, topic_key, _kind, _status) in sessions.rows.items():
        linked = sessions.covers.get(sid)
        if linked:
            out[sid] = [(system_id, by_id[t].key) for t in sorted(linked) if t in by_id]
        elif (system_id, topic_key) in keys:
            out[sid] = [(system_id, topic_key)]
        else:
            out[sid] = [(system_id, OTHER)]
    return out


def coverage_matrix(session: Session, engagement: EngagementRef) -> list[KTTopicRow]:
    """Per active system and topic (and a row of the sessions covering none of its
    topics, when there are any): per kind the best status and who received it, who holds
    the knowledge, the core kinds missing, and the only holder when that one person is an
    incumbent with a release date. A fixed number of queries."""
    return [_view(row) for _, row in _matrix(session, engagement_of(session, engagement))]


def coverage_records(session: Session, engagement: EngagementRef) -> list[dict[str, object]]:
    """``coverage_matrix`` as plain rows in ``KTTopicRow`` field order (what ``kt coverage``
    prints), with no model per row."""
    return [_record(row) for _, row in _matrix(session, engagement_of(session, engagement))]


def matrix_of(session: Session, engagement: Engagement) -> list[tuple[int, TopicLine]]:
    """``coverage_matrix`` as plain rows, with each row's system id."""
    return _matrix(session, engagement)


def matrix_views(matrix: Iterable[TopicLine]) -> list[KTTopicRow]:
    """Rows of ``matrix_of`` as the read models ``coverage_matrix`` gives."""
    return [_view(row) for row in matrix]


def _matrix(session: Session, engagement: Engagement) -> list[tuple[int, TopicLine]]:
    from transition.services.system_people import holders, topics_for

    topics = topics_for(session, engagement)
    systems = {
        sid: (name, tier)
        for sid, name, tier in session.execute(
            select(System.id, System.name, System.tier).where(
                System.engagement_id == engagement.id, System.removed_at.is_(None)
            )
        )
    }
    sessions = _sessions(session, engagement.id)
    owners: dict[int, dict[str, tuple[str, date | None]]] = defaultdict(dict)
    for h in holders(session, engagement):
        if h.role in ("owner", "sme"):
            owners[h.system_id][h.person] = (h.side, h.release_date)
    status: dict[tuple[int, str], dict[str, str]] = defaultdict(dict)
    received: dict[tuple[int, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    presenters: dict[tuple[int, str], dict[str, tuple[str, date | None]]] = defaultdict(dict)
    cells = [(t.system_id, t.key) for t in topics]
    titles = {(t.system_id, t.key): (t.title, t.source) for t in topics}
    for sid, covered in _topic_keys(topics, sessions).items():
        _system_id, _key, kind, state = sessions.rows[sid]
        for cell in covered:
            if cell[0] not in systems:
                continue
            if cell not in titles:
                titles[cell] = (OTHER, "session")
                cells.append(cell)
            best = status[cell].get(kind)
            if best is None or _RANK[state] > _RANK[best]:
                status[cell][kind] = state
            for role, name, side, release in sessions.people.get(sid, ()):
                if role == "presenter" and side == "incumbent":
                    presenters[cell][name] = (side, release)
                elif role == "attendee" and side == "provider" and state == "signed_off":
                    received[cell][kind].add(name)
    order = {cell: i for i, cell in enumerate(cells)}
    cells.sort(
        key=lambda c: (systems[c[0]][1], systems[c[0]][0].lower(), c[0], c[1] == OTHER, order[c])
    )
    out = []
    for cell in cells:
        system_id = cell[0]
        kinds = status.get(cell, {})
        got = received.get(cell, {})
        holding = dict(presenters.get(cell, {}))
        holding.update(owners.get(system_id, {}))
        missing = missing_kinds(k for k, s in kinds.items() if s == "signed_off")
        only = None
        if len(holding) == 1:
            name, (side, release) = next(iter(holding.items()))
            if side == "incumbent" and release is not None and missing:
                only = name
        title, source = titles[cell]
        out.append(
            (
                system_id,
                TopicLine(
                    systems[system_id][0],
                    systems[system_id][1],
                    title,
                    source,
                    [
                        TopicCell(k, kinds.get(k, "missing"), sorted(got.get(k, ())))
                        for k in KT_KINDS
                    ],
                    sorted(holding),
                    sorted({n for people in got.values() for n in people}),
                    missing,
                    only,
                ),
            )
        )
    return out


def signed_by_topic(
    session: Session,
    engagement: Engagement,
    *,
    matrix: list[tuple[int, TopicLine]] | None = None,
) -> dict[int, dict[str, set[str]]] | None:
    """For the ``kt_coverage`` gate: system id → topic title → kinds signed off, for the
    systems whose KT is organised by topic (a session of theirs covers a topic given to
    it); None when no system's is, and coverage stays per system. ``matrix``: the
    engagement's ``matrix_of``, when the caller has it already."""
    by_topic = set(
        session.execute(
            select(KTSession.system_id)
            .join(KTTopic, KTTopic.session_id == KTSession.id)
            .where(KTSession.engagement_id == engagement.id)
            .distinct()
        ).scalars()
    )
    if not by_topic:
        return None
    out: dict[int, dict[str, set[str]]] = defaultdict(dict)
    for sid, row in matrix if matrix is not None else _matrix(session, engagement):
        if row.topic != OTHER and sid in by_topic:
            out[sid][row.topic] = {c.kind for c in row.kinds if c.status == "signed_off"}
    return dict(out)


__all__ = [
    "CORE_KINDS",
    "OTHER",
    "TopicCell",
    "TopicLine",
    "cover",
    "coverage_matrix",
    "coverage_records",
    "matrix_of",
    "matrix_views",
    "signed_by_topic",
]
