"""Key-person risk: a system whose knowledge (its KT presenters, owners and SMEs) is held
only by incumbent people who leave within two weeks, while its KT is not yet signed off for every core kind."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from transition.dates import today
from transition.models import KTParticipant, KTSession, Person, System, SystemPerson
from transition.services.common import EngagementRef, engagement_of
from transition.services.views.phases import KeyPersonRisk

#: The kinds a system needs signed off before its KT counts as complete.
CORE_KINDS = ("walkthrough", "shadow", "reverse-shadow")
RISK_DAYS = 14


def missing_kinds(signed: Iterable[str]) -> list[str]:
    """The core kinds (``CORE_KINDS``) not among ``signed``: a system's KT is complete
    when this is empty."""
    done = set(signed)
    return [k for k in CORE_KINDS if k not in done]


def key_person_risks(session: Session, engagement: EngagementRef) -> list[KeyPersonRisk]:
    """Systems whose every KT presenter, owner and SME is an incumbent released within 14
    days of today (or already gone) while the system's KT is not signed off for every core kind, by
    system name. The one place key-person risk is decided: ``phase status``, ``system
    list``, the report and the dashboard all read it from here."""
    engagement = engagement_of(session, engagement)
    return key_person_risks_for(session, [engagement.id]).get(engagement.id, [])


def key_person_risks_for(
    session: Session, engagement_ids: list[int]
) -> dict[int, list[KeyPersonRisk]]:
    """``key_person_risks`` of several engagements at once, in two queries."""
    horizon = today() + timedelta(days=RISK_DAYS)
    now = today()
    presenters: dict[int, dict[int, tuple[str, str, date | None]]] = defaultdict(dict)
    signed: dict[int, set[str]] = defaultdict(set)
    systems: dict[int, tuple[int, str]] = {}
    # One row per system and presenter (not per session), with the core kinds signed off
    # among those sessions: a system's rows together cover all of its sessions.
    presenter = KTParticipant.person_id
    done = [
        func.max(case((and_(KTSession.status == "signed_off", KTSession.kind == k), 1), else_=0))
        for k in CORE_KINDS
    ]
    grouped = (
        select(KTSession.engagement_id, KTSession.system_id, presenter, *done)
        .outerjoin(
            KTParticipant,
            (KTParticipant.session_id == KTSession.id) & (KTParticipant.role == "presenter"),
        )
        .where(KTSession.engagement_id.in_(engagement_ids), KTSession.status != "cancelled")
        .group_by(KTSession.engagement_id, KTSession.system_id, presenter)
        .subquery()
    )
    for eid, sid, sname, pid, pname, side, release, *kinds in session.execute(
        select(
            grouped.c.engagement_id,
            grouped.c.system_id,
            System.name,
            grouped.c.person_id,
            Person.name,
            Person.side,
            Person.release_date,
            *(c for c in grouped.c if c.name not in ("engagement_id", "system_id", "person_id")),
        )
        .join(System, System.id == grouped.c.system_id)
        .outerjoin(Person, Person.id == grouped.c.person_id)
        .where(System.removed_at.is_(None))
    ):
        systems[sid] = (eid, sname)
        signed[sid].update(k for k, d in zip(CORE_KINDS, kinds, strict=True) if d)
        if pid is not None:
            presenters[sid][pid] = (pname, side, release)
    # Owners and SMEs hold a system's knowledge as its presenters do.
    owning: dict[int, set[int]] = defaultdict(set)
    for eid, sid, sname, pid, pname, side, release in session.execute(
        select(
            SystemPerson.engagement_id,
            SystemPerson.system_id,
            System.name,
            SystemPerson.person_id,
            Person.name,
            Person.side,
            Person.release_date,
        )
        .join(System, System.id == SystemPerson.system_id)
        .join(Person, Person.id == SystemPerson.person_id)
        .where(
            SystemPerson.engagement_id.in_(engagement_ids),
            SystemPerson.role.in_(("owner", "sme")),
            System.removed_at.is_(None),
            Person.removed_at.is_(None),
        )
    ):
        systems[sid] = (eid, sname)
        presenters[sid][pid] = (pname, side, release)
        owning[sid].add(pid)
    risks: dict[int, list[KeyPersonRisk]] = defaultdict(list)
    for sid, (eid, sname) in sorted(systems.items(), key=lambda item: item[1][1].lower()):
        people = presenters.get(sid)
        missing = missing_kinds(signed.get(sid, set()))
        if not people or not missing:
            continue
        leaving = all(
            side == "incumbent" and release is not None and release <= horizon
            for _, side, release in people.values()
        )
        if not leaving:
            continue
        first = min(release for _, _, release in people.values() if release is not None)
        who = ", ".join(sorted(name for name, _, _ in people.values()))
        when = (
            f"released {first} ({(first - now).days} days left)"
            if first >= now
            else f"released {first} (already gone)"
        )
        label = "presenter(s)" if not owning.get(sid) else "knowledge holder(s)"
        risks[eid].append(
            KeyPersonRisk(
                system=sname,
                presenters=sorted(name for name, _, _ in people.values()),
                release_date=first,
                days_left=(first - now).days,
                missing=missing,
                reason=f"only {label} {who}, incumbent, {when}; "
                f"not signed off: {', '.join(missing)}",
            )
        )
    return dict(risks)
