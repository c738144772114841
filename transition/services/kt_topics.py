"""KT by topic: which of a system's topics a session covers, and the coverage matrix of
system × topic × kind with who holds the knowledge and who received it.

A session covers the topics it was given (``kt schedule/set --covers``); a session given
none covers the topic of its system whose title folds like its own topic text, if there
is one, else none of them (it shows under ``(other sessions)``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import and_, case, delete, insert, or_, select
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
from transition.playbook_criteria import KT_KINDS
from transition.services import audit
from transition.services.common import EngagementRef, engagement_of
from transition.services.kt_risks import CORE_KINDS, missing_kinds
from transition.services.views.kt import KTTopicCell, KTTopicRow
from transition.text import slugify

if TYPE_CHECKING:
    from transition.services.system_people import TopicRow

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
    system, tier, topic, source, kinds, holders, received, missing, at_risk = row
    return {
        "system": system,
        "tier": tier,
        "topic": topic,
        "source": source,
        "kinds": [{"kind": k, "status": s, "received": r} for k, s, r in kinds],
        "holders": holders,
        "received": received,
        "missing": missing,
        "at_risk": at_risk,
    }


def _cell_columns() -> tuple[Any, Any]:
    """A session's text topic (only when it covers no given topic) and the topic it covers
    (one row per topic, none when it covers none): what decides its cell."""
    return case((KTTopic.topic_id.is_(None), KTSession.topic)), KTTopic.topic_id


class _Cells:
    """Maps a session's (system id, text topic, covered topic id) to its cell of the
    matrix, (system id, topic key): the given topic if active (a session covering only
    removed topics covers none), else the topic whose key is its text's slug, else
    ``OTHER``."""

    def __init__(self, topics: list[TopicRow]) -> None:
        self.by_id = {t.id: t.key for t in topics if t.id is not None}
        self.keys = {(t.system_id, t.key) for t in topics}
        self.slugs: dict[str, str] = {}

    def __call__(self, system_id: int, text: str | None, topic_id: int | None) -> Any:
        if topic_id is not None:
            key = self.by_id.get(topic_id)
            return None if key is None else (system_id, key)
        key = self.slugs.get(text)  # type: ignore[arg-type]
        if key is None:
            key = self.slugs[text] = slugify(text or "")  # type: ignore[index]
        return (system_id, key) if (system_id, key) in self.keys else (system_id, OTHER)


class Signed(NamedTuple):
    """What the gates and the readiness score read of KT by topic: the active systems'
    topics (``system_people.topics_for``), the kinds signed off per topic (by system id
    and topic key), and the systems whose KT is organised by topic (a session of theirs,
    of any status, covers a topic given to it)."""

    topics: list[TopicRow]
    kinds: dict[tuple[int, str], set[str]]
    by_topic: set[int]

    def by_system(self) -> dict[int, list[tuple[str, set[str]]]]:
        """System id → (title, kinds signed off) of each of its topics, as the rows of
        the matrix give them (its ``(other sessions)`` row left out)."""
        titles = {(t.system_id, t.key): t.title for t in self.topics}
        cells = [(t.system_id, t.key) for t in self.topics]
        if len(titles) < len(cells):  # a key twice: the matrix shows it at its last place
            order = {cell: i for i, cell in enumerate(cells)}
            cells.sort(key=order.__getitem__)
        kinds, none = self.kinds, frozenset[str]()
        out: dict[int, list[tuple[str, set[str]]]] = defaultdict(list)
        for cell in cells:
            title = titles[cell]
            if title != OTHER:
                out[cell[0]].append((title, kinds.get(cell, none)))  # type: ignore[arg-type]
        return dict(out)


def signed_of(session: Session, engagement: Engagement) -> Signed:
    """``Signed`` in the topics' queries and one more: only the sessions signed off or
    covering a given topic are read, one row per system, topic and kind."""
    from transition.services.system_people import topic_rows

    topics = topic_rows(session, engagement)  # (writes any pending change first)
    text, topic_id = _cell_columns()
    cell_of = _Cells(topics)
    kinds: dict[tuple[int, str], set[str]] = defaultdict(set)
    by_topic: set[int] = set()
    for system_id, topic, tid, kind, status in (
        session.connection()
        .execute(
            select(KTSession.system_id, text, topic_id, KTSession.kind, KTSession.status)
            .select_from(KTSession)
            .outerjoin(KTTopic, KTTopic.session_id == KTSession.id)
            .where(
                KTSession.engagement_id == engagement.id,
                or_(KTSession.status == "signed_off", topic_id.is_not(None)),
            )
            .distinct()
        )
        .all()
    ):
        if tid is not None:
            by_topic.add(system_id)
        if status == "signed_off":
            cell = cell_of(system_id, topic, tid)
            if cell is not None and cell[1] != OTHER:
                kinds[cell].add(kind)
    return Signed(topics, dict(kinds), by_topic)


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
    from transition.services.system_people import holders, topic_rows

    topics = topic_rows(session, engagement)  # (writes any pending change first)
    conn = session.connection()  # the rest as plain rows
    systems = {
        sid: (name, tier)
        for sid, name, tier in conn.execute(
            select(System.id, System.name, System.tier).where(
                System.engagement_id == engagement.id, System.removed_at.is_(None)
            )
        )
    }
    owners: dict[int, dict[str, tuple[str, date | None]]] = defaultdict(dict)
    for h in holders(session, engagement):
        if h.role in ("owner", "sme"):
            owners[h.system_id][h.person] = (h.side, h.release_date)
    cells = [(t.system_id, t.key) for t in topics]
    titles = {(t.system_id, t.key): (t.title, t.source) for t in topics}
    cell_of = _Cells(topics)
    text, topic_id = _cell_columns()
    where = (KTSession.engagement_id == engagement.id, KTSession.status != "cancelled")
    # Each session's cell (one per topic it covers) and the best status per cell and kind.
    status: dict[tuple[int, str], dict[str, str]] = defaultdict(dict)
    placed: dict[int, list[tuple[tuple[int, str], str]]] = defaultdict(list)
    for ident, system_id, topic, tid, kind, state in conn.execute(
        select(KTSession.id, KTSession.system_id, text, topic_id, KTSession.kind, KTSession.status)
        .select_from(KTSession)
        .outerjoin(KTTopic, KTTopic.session_id == KTSession.id)
        .where(*where)
    ).all():
        cell = cell_of(system_id, topic, tid)
        if cell is None or system_id not in systems:
            continue
        if cell not in titles:
            titles[cell] = (OTHER, "session")
            cells.append(cell)
        kinds = status[cell]
        if _RANK[state] > _RANK.get(kinds.get(kind, ""), 0):
            kinds[kind] = state
        placed[ident].append((cell, kind))
    # Who holds the knowledge (incumbent presenters) and who received it (provider
    # attendees of signed-off sessions, per kind); only those people are read.
    received: dict[tuple[int, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    presenters: dict[tuple[int, str], dict[str, tuple[str, date | None]]] = defaultdict(dict)
    role = KTParticipant.role
    for ident, attended, name, release in conn.execute(
        select(KTParticipant.session_id, role == "attendee", Person.name, Person.release_date)
        .join(KTSession, KTSession.id == KTParticipant.session_id)
        .join(Person, Person.id == KTParticipant.person_id)
        .where(
            *where,
            or_(
                and_(role == "presenter", Person.side == "incumbent"),
                and_(
                    role == "attendee",
                    Person.side == "provider",
                    KTSession.status == "signed_off",
                ),
            ),
        )
    ).all():
        for cell, kind in placed.get(ident, ()):
            if attended:
                received[cell][kind].add(name)
            else:
                presenters[cell][name] = ("incumbent", release)
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
    signed: Signed | None = None,
) -> dict[int, dict[str, set[str]]] | None:
    """For the ``kt_coverage`` gate: system id → topic title → kinds signed off, for the
    systems whose KT is organised by topic (a session of theirs covers a topic given to
    it); None when no system's is, and coverage stays per system. ``matrix``: the
    engagement's ``matrix_of``, when the caller has it already; else ``signed`` (the
    engagement's ``signed_of``, read here when not given)."""
    if matrix is None:
        signed = signed if signed is not None else signed_of(session, engagement)
        if not signed.by_topic:
            return None
        return {
            sid: dict(topics)
            for sid, topics in signed.by_system().items()
            if sid in signed.by_topic
        }
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
    for sid, row in matrix:
        if row.topic != OTHER and sid in by_topic:
            out[sid][row.topic] = {c.kind for c in row.kinds if c.status == "signed_off"}
    return dict(out)


__all__ = [
    "CORE_KINDS",
    "OTHER",
    "Signed",
    "TopicCell",
    "TopicLine",
    "cover",
    "coverage_matrix",
    "coverage_records",
    "matrix_of",
    "matrix_views",
    "signed_by_topic",
    "signed_of",
]
