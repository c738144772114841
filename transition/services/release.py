"""Release readiness, releases and movers.

A person is ready to be released when the knowledge they hold is out and nothing of
theirs is left behind: every topic of the systems they own (or present KT on) is signed
off for every core KT kind, every runbook of the systems they own is accepted, and they
hold no grant. A system without topics yet counts as one unit of knowledge, covered by the
core kinds signed off on the system as a whole.

``release`` records the release and revokes every grant the person holds in the same
transaction (their exit-checklist items resolve), refused while readiness is unmet unless
overridden with a reason. ``move`` re-badges an incumbent to the provider side keeping their
history. Both write plain field events, so ``undo`` reverts them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import String, and_, case, cast, null, or_, select, union_all
from sqlmodel import Session

from transition.dates import parse_date, today, utcnow
from transition.errors import BadInput, Refused, about
from transition.guard import no_secrets
from transition.models import (
    AccessGrant,
    Engagement,
    KTParticipant,
    KTSession,
    KTTopic,
    Person,
    Runbook,
    System,
    SystemPerson,
    SystemTopic,
)
from transition.playbook_stored import parts_of
from transition.services import audit, handover
from transition.services.common import (
    EngagementRef,
    apply_changes,
    check_version,
    engagement_of,
    get_person,
)
from transition.services.kt_risks import CORE_KINDS
from transition.services.roles import end_roles
from transition.services.views.release import (
    GrantHeld,
    MoveResult,
    MoverView,
    Readiness,
    ReleaseResult,
    RunbookGap,
    TopicGap,
)
from transition.text import clean_name, clean_text, field_limit, slugify

#: Where a mover can go.
MOVE_SIDES = ("provider",)


def readiness(
    session: Session, engagement: EngagementRef, person: str | None = None
) -> list[Readiness]:
    """Each incumbent with a release date (or only ``person``, whatever their side), by
    release date then name, with what they still hold: topics not signed off by kind,
    runbooks not accepted, grants not revoked. A fixed number of queries."""
    eng = engagement_of(session, engagement)
    if person is not None:
        with about("person"):
            people = [get_person(session, eng, person)]
    else:
        people = list(
            session.execute(
                select(Person).where(
                    Person.engagement_id == eng.id,
                    Person.side == "incumbent",
                    Person.release_date.is_not(None),
                    Person.removed_at.is_(None),
                )
            ).scalars()
        )
    people.sort(key=lambda p: (p.release_date or date.max, p.slug))
    return readiness_of(session, eng.id, people)


def readiness_of(session: Session, engagement_id: int, people: list[Person]) -> list[Readiness]:
    """``readiness`` of the given people of one engagement."""
    if not people:
        return []
    ids = [p.id for p in people]
    now = today()
    holds: dict[int, set[int]] = defaultdict(set)  # person → systems whose knowledge they hold
    owns: dict[int, set[int]] = defaultdict(set)  # person → systems they own
    names: dict[int, str] = {}
    linked = select(SystemPerson.person_id, SystemPerson.system_id, SystemPerson.role).where(
        SystemPerson.person_id.in_(ids)
    )
    presenting = (
        select(KTParticipant.person_id, KTSession.system_id, KTParticipant.role)
        .join(KTSession, KTSession.id == KTParticipant.session_id)
        .where(
            KTParticipant.person_id.in_(ids),
            KTParticipant.role == "presenter",
            KTSession.status != "cancelled",
        )
    )
    links = union_all(linked, presenting).subquery()
    tiers: dict[int, int] = {}
    for pid, sid, role, sname, tier in session.execute(
        select(links.c.person_id, links.c.system_id, links.c.role, System.name, System.tier)
        .join(System, System.id == links.c.system_id)
        .where(System.removed_at.is_(None))
    ):
        holds[pid].add(sid)
        names[sid], tiers[sid] = sname, tier
        if role == "owner":
            owns[pid].add(sid)
    system_ids = sorted(names)
    topics: dict[int, list[tuple[int | None, str]]] = defaultdict(list)
    by_topic: set[int] = set()  # systems whose KT is organised by topic
    signed: dict[tuple[int, int | None], set[str]] = defaultdict(set)
    runbooks: dict[int, list[RunbookGap]] = defaultdict(list)
    if system_ids:
        # The systems' stored topics and their KT sessions, in one query: a topic row has
        # a key and no kind (its state: "" or "removed"), a KT row a kind, the topic it
        # covered (if any) and the session's status as its state.
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
                cast(KTSession.status, String),
            )
            .outerjoin(KTTopic, KTTopic.session_id == KTSession.id)
            .where(KTSession.system_id.in_(system_ids), KTSession.status != "cancelled")
        )
        stored: dict[int, dict[str, tuple[int, str, bool]]] = defaultdict(dict)
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
        engagement = session.get(Engagement, engagement_id)
        assert engagement is not None
        playbook = parts_of(engagement.playbook_json)  # only its runbooks are read
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
                    topics[sid].append((tid, title))
            team = sorted(
                (v for k, v in mine.items() if k not in defaults and not v[2]),
                key=lambda v: v[1].lower(),
            )
            topics[sid] += [(tid, title) for tid, title, _ in team]
        for rid, sid, title, status in session.execute(
            select(Runbook.id, Runbook.system_id, Runbook.title, Runbook.status)
            .where(Runbook.system_id.in_(system_ids), Runbook.status != "accepted")
            .order_by(Runbook.id)
        ):
            runbooks[sid].append(RunbookGap(id=rid, system="", title=title, status=status))
    grants: dict[int, list[GrantHeld]] = defaultdict(list)
    for gid, pid, sname, role, expires in session.execute(
        select(
            AccessGrant.id,
            AccessGrant.person_id,
            System.name,
            AccessGrant.role,
            AccessGrant.expires_on,
        )
        .join(System, System.id == AccessGrant.system_id)
        .where(AccessGrant.person_id.in_(ids), AccessGrant.revoked_at.is_(None))
        .order_by(AccessGrant.id)
    ):
        grants[pid].append(GrantHeld(id=gid, system=sname, role=role, expires_on=expires))
    out = []
    for p in people:
        held = sorted(
            (s for s in holds.get(p.id, ()) if s in names), key=lambda s: names[s].lower()
        )
        gaps = []
        for sid in held:
            units: Iterable[tuple[int | None, str | None]] = (
                topics.get(sid, []) if sid in by_topic else [(None, None)]
            )
            for tid, title in units:
                done = signed.get((sid, tid), set()) if tid is not None or title is None else set()
                missing = [k for k in CORE_KINDS if k not in done]
                if missing:
                    gaps.append(TopicGap(system=names[sid], topic=title, missing=missing))
        owned = [
            r.model_copy(update={"system": names[sid]})
            for sid in held
            if sid in owns.get(p.id, ())
            for r in runbooks.get(sid, [])
        ]
        mine = grants.get(p.id, [])
        ready = not gaps and not owned and not mine
        released = p.released_on is not None
        out.append(
            Readiness(
                person=p.slug,
                name=p.name,
                side=p.side,
                role=p.role,
                release_date=p.release_date,
                days_left=(p.release_date - now).days if p.release_date else None,
                released_on=p.released_on,
                release_override=p.release_override,
                ready=ready,
                state="released" if released else ("ready" if ready else "not ready"),
                topics=gaps,
                runbooks=owned,
                grants=mine,
            )
        )
    return out


def _revoke_all(
    session: Session, person: Person, reason: str
) -> tuple[list[int], list[audit.Change]]:
    """Revoke every grant ``person`` holds; the events to write, not yet written."""
    rows = list(
        session.execute(
            select(AccessGrant)
            .where(AccessGrant.person_id == person.id, AccessGrant.revoked_at.is_(None))
            .order_by(AccessGrant.id)
        ).scalars()
    )
    now, who = utcnow(), audit.actor(session)
    changes = []
    for row in rows:
        row.revoked_at, row.revoked_by, row.revoke_reason = now, who, reason
        session.add(row)
        changes.append(audit.Change("access_grant", row.id, "revoke", "revoked_at", None, now))
        changes.append(
            audit.Change("access_grant", row.id, "revoke", "revoke_reason", None, reason)
        )
    session.flush()
    return [r.id for r in rows], changes


def _day(value: str | date | None, what: str) -> date:
    if value is None:
        return today()
    day = parse_date(value, what) if isinstance(value, str) else value
    if day > today():
        raise BadInput(
            f"{what} {day} is in the future: record when they leave with "
            "`person set --release DATE`, and release them on the day",
            field="on",
        )
    return day


def release(
    session: Session,
    engagement: EngagementRef,
    name: str,
    *,
    on: str | date | None = None,
    override: str | None = None,
    expected_version: int | None = None,
) -> ReleaseResult:
    """Release a person on ``on`` (default today): every grant they hold is revoked, their
    exit-checklist items resolve and their playbook roles end, in one transaction.
    Refused, listing what is unmet, while a topic they hold is not signed off or a runbook
    they own is not accepted, unless ``override`` gives the reason."""
    eng = engagement_of(session, engagement)
    with about("name"):
        person = get_person(session, eng, name)
    check_version(session, person, expected_version, "person", person.slug)
    if person.released_on is not None:
        raise Refused(f"person {person.slug} was already released on {person.released_on}")
    with about("on"):
        day = _day(on, "release date")
    if override is not None:
        with about("override"):
            override = no_secrets(clean_text(override, "the override reason"), "the reason")
        if not override:
            raise BadInput("--override needs a reason", field="override")
    (state,) = readiness_of(session, eng.id, [person])
    unmet = state.unmet(grants=False)
    if unmet and not override:
        raise Refused(
            f"{person.slug} is not ready to be released ({len(unmet)} unmet):\n  "
            + "\n  ".join(unmet)
            + "\ngive --override REASON to release anyway",
            field="override",
        )
    revoked, changes = _revoke_all(session, person, f"released on {day}")
    values = {"released_on": day, "release_date": day, "release_override": override or None}
    apply_changes(session, person, eng.id, "person", values, action="release")
    ended = end_roles(session, eng, person)
    counts = handover.reconcile(session, eng, grants=revoked, events=changes)
    return ReleaseResult(
        person=person.slug,
        released_on=day,
        override=override or None,
        unmet=unmet,
        revoked=revoked,
        handover=dict(counts),
        roles=ended,
    )


def move(
    session: Session,
    engagement: EngagementRef,
    name: str,
    *,
    to: str = "provider",
    role: str | None = None,
    keep_access: bool = True,
    expected_version: int | None = None,
) -> MoveResult:
    """Re-badge an incumbent person to the provider side: their history, KT and ownership
    stay theirs, their release date is cleared, their grants are kept (re-justified, each
    change audited) or revoked (``keep_access=False``); the roles they held for the
    incumbent (``incumbent-…``) end, the others stay."""
    eng = engagement_of(session, engagement)
    side = (to or "").strip().lower()
    if side not in MOVE_SIDES:
        raise BadInput(
            f"invalid side {to!r}: a person moves to {', '.join(MOVE_SIDES)}", field="to"
        )
    with about("name"):
        person = get_person(session, eng, name)
    check_version(session, person, expected_version, "person", person.slug)
    if person.side != "incumbent":
        raise Refused(
            f"person {person.slug} is on the {person.side} side: only incumbent people move "
            "to the provider"
        )
    if person.released_on is not None:
        raise Refused(f"person {person.slug} was released on {person.released_on}")
    if role is not None:
        with about("role"):
            role = clean_name(role, "role", field_limit(Person, "role"))
    day = today()
    changes: list[audit.Change] = []
    kept: list[int] = []
    revoked: list[int] = []
    if keep_access:
        note = f"kept on moving from the incumbent to the {side} side on {day}"
        for row in session.execute(
            select(AccessGrant)
            .where(AccessGrant.person_id == person.id, AccessGrant.revoked_at.is_(None))
            .order_by(AccessGrant.id)
        ).scalars():
            before = row.justification
            row.justification = f"{before}; {note}" if before.strip() else note
            session.add(row)
            kept.append(row.id)
            changes.append(
                audit.Change(
                    "access_grant", row.id, "move", "justification", before, row.justification
                )
            )
        session.flush()
    else:
        revoked, changes = _revoke_all(session, person, f"moved to the {side} side on {day}")
    values: dict[str, object] = {
        "side": side,
        "moved_from": person.side,
        "moved_on": day,
        "release_date": None,
    }
    if role is not None:
        values["role"] = role
    ended = end_roles(session, eng, person, prefix="incumbent")
    apply_changes(session, person, eng.id, "person", values, action="move")
    counts = handover.reconcile(session, eng, grants=kept + revoked, events=changes)
    return MoveResult(
        person=person.slug,
        moved_from="incumbent",
        side=side,
        moved_on=day,
        role=person.role,
        kept=kept,
        revoked=revoked,
        handover=dict(counts),
        roles=ended,
    )


def _mover(p: Person) -> MoverView:
    return MoverView(
        person=p.slug,
        name=p.name,
        moved_from=p.moved_from or "",
        side=p.side,
        moved_on=p.moved_on,
        role=p.role,
    )


def report_tables(
    session: Session, engagement: EngagementRef
) -> tuple[list[Readiness], list[MoverView]]:
    """The report's release readiness and movers tables, reading the people once."""
    eng = engagement_of(session, engagement)
    people = list(
        session.execute(
            select(Person)
            .where(
                Person.engagement_id == eng.id,
                Person.removed_at.is_(None),
                or_(
                    and_(Person.side == "incumbent", Person.release_date.is_not(None)),
                    Person.moved_from.is_not(None),
                ),
            )
            .order_by(Person.slug)
        ).scalars()
    )
    leaving = [p for p in people if p.side == "incumbent" and p.release_date is not None]
    leaving.sort(key=lambda p: (p.release_date, p.slug))
    moved = sorted(
        (p for p in people if p.moved_from is not None),
        key=lambda p: (p.moved_on or date.min, p.slug),
    )
    return readiness_of(session, eng.id, leaving), [_mover(p) for p in moved]


def movers(session: Session, engagement: EngagementRef) -> list[MoverView]:
    """People who changed side (re-badged staff), by date then name, in one query."""
    eng = engagement_of(session, engagement)
    return [
        _mover(p)
        for p in session.execute(
            select(Person)
            .where(
                Person.engagement_id == eng.id,
                Person.moved_from.is_not(None),
                Person.removed_at.is_(None),
            )
            .order_by(Person.moved_on, Person.slug)
        ).scalars()
    ]
