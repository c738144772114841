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
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from transition.dates import parse_date, today, utcnow
from transition.errors import BadInput, Refused, about
from transition.guard import no_secrets
from transition.models import (
    AccessGrant,
    Person,
    Runbook,
    System,
)
from transition.services import audit, handover
from transition.services.common import (
    EngagementRef,
    apply_changes,
    check_version,
    engagement_of,
    get_person,
)
from transition.services.people_edit import warn_sessions_after
from transition.services.release_report import mover, person_state
from transition.services.release_units import held_units
from transition.services.roles import end_roles
from transition.services.views.release import (
    GrantHeld,
    MoveResult,
    MoverView,
    Readiness,
    ReleaseResult,
    ReleaseRow,
    RunbookGap,
    TopicGap,
)
from transition.text import TEXT_MAX, clean_name, clean_text, field_limit

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
    link, known = held_units(session, engagement_id, ids)
    names = link.names
    runbooks: dict[int, list[RunbookGap]] = defaultdict(list)
    if names:
        for rid, sid, title, status in session.execute(
            select(Runbook.id, Runbook.system_id, Runbook.title, Runbook.status)
            .where(Runbook.system_id.in_(sorted(names)), Runbook.status != "accepted")
            .order_by(Runbook.id)
        ):
            runbooks[sid].append(RunbookGap(id=rid, system=names[sid], title=title, status=status))
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
        mine_held = link.of(p.id)
        gaps = [
            TopicGap(system=names[sid], topic=title, missing=missing)
            for sid in mine_held
            for title, missing in known.gaps(sid)
        ]
        owned = [
            r for sid in mine_held if sid in link.owns.get(p.id, ()) for r in runbooks.get(sid, [])
        ]
        mine = grants.get(p.id, [])
        ready = not gaps and not owned and not mine
        out.append(
            Readiness(
                **person_state(p, now, ready),
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
    with about("on"):  # bad input is told as such, whatever the person's state
        day = _day(on, "release date")
    if override is not None:
        with about("override"):
            override = no_secrets(clean_text(override, "the override reason"), "the reason")
        if not override:
            raise BadInput("--override needs a reason", field="override")
    check_version(session, person, expected_version, "person", person.slug)
    if person.released_on is not None:
        raise Refused(f"person {person.slug} was already released on {person.released_on}")
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
    warn_sessions_after(session, eng, person)
    return ReleaseResult(
        person=person.slug,
        released_on=day,
        override=override or None,
        unmet=unmet,
        revoked=revoked,
        handover=dict(counts),
        roles=ended,
        warnings=list(session.info.get("warnings", ())),
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
    if role is not None:  # bad input is told as such, whatever the person's side
        with about("role"):
            role = clean_name(role, "role", field_limit(Person, "role"))
    check_version(session, person, expected_version, "person", person.slug)
    if person.side != "incumbent":
        raise Refused(
            f"person {person.slug} is on the {person.side} side: only incumbent people move "
            "to the provider"
        )
    if person.released_on is not None:
        raise Refused(f"person {person.slug} was released on {person.released_on}")
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
            kept.append(row.id)
            after = f"{before}; {note}" if before.strip() else note
            if len(after) > TEXT_MAX:
                # no room left for the note: the grant keeps its text (the move is on the
                # person), so that the justification stays within what an import accepts
                continue
            row.justification = after
            session.add(row)
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


def report_tables(
    session: Session, engagement: EngagementRef
) -> tuple[list[ReleaseRow], list[MoverView]]:
    """The report's release readiness and movers tables (``release_report``)."""
    from transition.services import release_report

    return release_report.report_tables(session, engagement)


def movers(session: Session, engagement: EngagementRef) -> list[MoverView]:
    """People who changed side (re-badged staff), by date then name, in one query."""
    eng = engagement_of(session, engagement)
    return [
        mover(p)
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
