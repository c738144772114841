"""What the People tab reads: the roster with each person's release readiness
(``people_rows``), and one person inspected (``inspect``): their playbook roles, the
systems they own or back, the KT they give and receive and their release; each in a fixed
number of queries whatever the number of people, systems or sessions."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from transition.dates import today
from transition.errors import about
from transition.models import (
    KTParticipant,
    KTSession,
    Person,
    RoleAssignment,
    System,
    SystemPerson,
)
from transition.services.common import EngagementRef, engagement_of, get_person
from transition.services.release import readiness_of
from transition.services.views.release import (
    PersonInspection,
    PersonRow,
    PersonSession,
    PersonSystem,
    Readiness,
)


def people_rows(session: Session, engagement: EngagementRef) -> list[PersonRow]:
    """The engagement's people (as ``people.list_people``) with their release readiness:
    what the People tab shows, in a fixed number of queries."""
    eng = engagement_of(session, engagement)
    people = list(
        session.execute(
            select(Person)
            .where(Person.engagement_id == eng.id, Person.removed_at.is_(None))
            .order_by(Person.side, Person.slug)
        ).scalars()
    )
    leaving = [p for p in people if _leaving(p)]
    states = {r.person: r for r in readiness_of(session, eng.id, leaving)}
    return [_row(p, states.get(p.slug)) for p in people]


def _leaving(p: Person) -> bool:
    """Whether the person's release readiness is shown: an incumbent with a release date,
    or anyone released."""
    return p.released_on is not None or (p.side == "incumbent" and p.release_date is not None)


def _row(p: Person, state: Readiness | None) -> PersonRow:
    """A person as the People tab lists them; ``state``: their readiness, for someone
    leaving (or gone)."""
    return PersonRow.model_validate(p).model_copy(
        update={
            "readiness": state.summary if state else "",
            "moved_from": p.moved_from,
            "released_on": p.released_on,
            "days_left": (p.release_date - today()).days if p.release_date else None,
            "kt_missing": len(state.topics) if state else 0,
            "runbooks_missing": len(state.runbooks) if state else 0,
            "grants_held": len(state.grants) if state else 0,
        }
    )


#: At most this many KT sessions of each way (given, received) are listed, newest last.
SESSIONS = 200
ROLE_ORDER = {"owner": 0, "sme": 1, "backup": 2}


def inspect(session: Session, engagement: EngagementRef, person: str) -> PersonInspection:
    """Everything the person inspector shows about ``person`` (a name or slug)."""
    eng = engagement_of(session, engagement, writable=False)
    with about("person"):
        p = get_person(session, eng, person)
    roles = sorted(
        session.execute(
            select(RoleAssignment.role).where(
                RoleAssignment.engagement_id == eng.id, RoleAssignment.person_id == p.id
            )
        ).scalars()
    )
    systems = [
        PersonSystem(system=name, role=role)
        for name, role in sorted(
            session.execute(
                select(System.name, SystemPerson.role)
                .join(System, System.id == SystemPerson.system_id)
                .where(SystemPerson.person_id == p.id, System.removed_at.is_(None))
            ),
            key=lambda r: (ROLE_ORDER.get(r[1], 9), r[0].lower()),
        )
    ]
    gives: list[PersonSession] = []
    receives: list[PersonSession] = []
    for role in ("presenter", "attendee"):
        rows = session.execute(
            select(
                KTSession.id,
                KTSession.starts_at,
                System.name,
                KTSession.kind,
                KTSession.topic,
                KTSession.status,
            )
            .join(KTParticipant, KTParticipant.session_id == KTSession.id)
            .join(System, System.id == KTSession.system_id)
            .where(KTParticipant.person_id == p.id, KTParticipant.role == role)
            .order_by(KTSession.starts_at.desc(), KTSession.id.desc())
            .limit(SESSIONS)
        ).all()
        listed = [
            PersonSession(
                id=sid,
                starts_at=starts,
                system=system,
                kind=kind,
                topic=topic,
                status=status,
                as_role=role,
            )
            for sid, starts, system, kind, topic, status in reversed(rows)
        ]
        (gives if role == "presenter" else receives).extend(listed)
    (state,) = readiness_of(session, eng.id, [p])
    row = _row(p, state if _leaving(p) else None)
    return PersonInspection(
        person=row,
        roles=roles,
        systems=systems,
        gives=gives,
        receives=receives,
        readiness=state,
    )
