"""Reading KT sessions: the list with each session's people, the topics it covers and
its local times (``kt list``, the calendar, the inspectors), and KT coverage by system.
A fixed number of queries whatever the number of sessions."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from transition.dates import utc
from transition.errors import about
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
from transition.services.common import EngagementRef, engagement_of, get_system
from transition.services.kt_risks import missing_kinds
from transition.services.kt_times import elsewhere, zone_label
from transition.services.views.kt import KTCoverageRow, KTSessionView
from transition.workdays import zone

#: The columns ``kt list`` reads of each session.
_LISTED = ("id", "uid", "topic", "kind", "starts_at", "minutes", "status", "held_at")
_LISTED += ("signed_off_by_id", "signed_off_at", "confidence", "follow_ups", "version")
_LISTED += ("cancel_reason",)
#: Who took part in each session, for the calendar: {session id: {role: [(name, email)]}}.
Contacts = dict[int, dict[str, list[tuple[str, str | None]]]]


def _end(start: datetime, minutes: int) -> datetime | None:
    try:
        return start + timedelta(minutes=minutes)
    except OverflowError:  # a row stored before times were range-checked (year 9999)
        return None


def list_sessions(
    session: Session, engagement: EngagementRef, *, system: str | None = None
) -> list[KTSessionView]:
    """Sessions in time order with their people, in two queries."""
    return sessions_with_people(session, engagement_of(session, engagement), system=system)[0]


def session_records(session: Session, engagement: EngagementRef) -> list[dict[str, object]]:
    """``list_sessions`` as plain rows in ``KTSessionView`` field order (``kt list``
    prints them as they are, with no model per session)."""
    return _session_rows(session, engagement_of(session, engagement))[0]


def sessions_with_people(
    session: Session,
    engagement: Engagement,
    *,
    system: str | None = None,
    session_id: int | None = None,
) -> tuple[list[KTSessionView], Contacts]:
    """The sessions (all, a system's, or one), the topics each covers, and who took part
    in each with their email (for the calendar), in three queries."""
    rows, contacts = _session_rows(session, engagement, system=system, session_id=session_id)
    return [KTSessionView.model_validate(row) for row in rows], contacts


def _session_rows(
    session: Session,
    engagement: Engagement,
    *,
    system: str | None = None,
    session_id: int | None = None,
) -> tuple[list[dict[str, Any]], Contacts]:
    """``sessions_with_people`` as the values of each session's view, in its field
    order."""
    stmt = (
        select(*(getattr(KTSession, c) for c in _LISTED), System.name.label("system"))
        .join(System, System.id == KTSession.system_id)
        .where(KTSession.engagement_id == engagement.id)
        .order_by(KTSession.starts_at, KTSession.id)
    )
    people = (
        select(
            KTParticipant.session_id,
            Person.id,
            KTParticipant.role,
            Person.name,
            Person.email,
            Person.timezone,
        )
        .join(Person, Person.id == KTParticipant.person_id)
        .join(KTSession, KTSession.id == KTParticipant.session_id)
        .where(KTSession.engagement_id == engagement.id)
        .order_by(Person.slug)
    )
    if system is not None:
        with about("system"):
            stmt = stmt.where(System.id == get_system(session, engagement, system).id)
    if session_id is not None:
        stmt = stmt.where(KTSession.id == session_id)
        people = people.where(KTParticipant.session_id == session_id)
    session.flush()  # any pending change first: the rest reads plain rows
    conn = session.connection()
    rows = conn.execute(stmt).all()
    covered = (
        select(KTTopic.session_id, SystemTopic.title)
        .join(SystemTopic, SystemTopic.id == KTTopic.topic_id)
        .join(KTSession, KTSession.id == KTTopic.session_id)
        .where(KTSession.engagement_id == engagement.id, SystemTopic.removed_at.is_(None))
        .order_by(SystemTopic.id)
    )
    if session_id is not None:
        covered = covered.where(KTTopic.session_id == session_id)
    covers: dict[int, list[str]] = defaultdict(list)
    for sid, title in conn.execute(covered).all():
        covers[sid].append(title)
    contacts: Contacts = defaultdict(lambda: {"presenter": [], "attendee": []})
    names: dict[int, str] = {}
    zones: dict[int, list[tuple[str, str]]] = defaultdict(list)
    here = engagement.timezone
    label = zone_label(here)
    for sid, pid, role, name, email, tz in conn.execute(people).all():
        names[pid] = name
        contacts[sid][role].append((name, email))
        if tz and tz != label:
            zones[sid].append((name, tz))
    there = zone(here) if here else None  # None: the stored UTC instant as it is
    out = []
    nobody: dict[str, list[tuple[str, str | None]]] = {"presenter": [], "attendee": []}
    # The values of each session's view, in ``KTSessionView`` field order.
    for ident, uid, topic, kind, starts, minutes, status, held, signer, signed, *rest in rows:
        confidence, follow_ups, version, cancel_reason, system_name = rest
        starts = starts if starts.tzinfo is UTC else utc(starts)
        entry = contacts.get(ident, nobody)
        out.append(
            {
                "id": ident,
                "uid": uid,
                "system": system_name,
                "topic": topic,
                "kind": kind,
                "starts_at": starts,
                "minutes": minutes,
                "status": status,
                "held_at": held if held is None or held.tzinfo is UTC else utc(held),
                "signed_off_at": signed if not signed or signed.tzinfo is UTC else utc(signed),
                "confidence": confidence,
                "follow_ups": follow_ups,
                "version": version,
                "ends_at": _end(starts, minutes),
                "presenters": [name for name, _ in entry["presenter"]],
                "attendees": [name for name, _ in entry["attendee"]],
                "signed_off_by": names.get(signer) if signer else None,
                "cancel_reason": cancel_reason,
                "timezone": label,
                "starts_local": (starts.astimezone(there) if there else starts).isoformat(),
                "local_times": [
                    {"person": n, "timezone": tz, "starts": elsewhere(starts, tz, here)}
                    for n, tz in zones.get(ident, ())
                ],
                "covers": covers.get(ident, []),
            }
        )
    return out, contacts


def coverage(session: Session, engagement: EngagementRef) -> list[KTCoverageRow]:
    """Per system in scope: kinds signed off, held and planned, and core kinds missing."""
    engagement = engagement_of(session, engagement)
    systems = session.execute(
        select(System.id, System.name, System.tier)
        .where(System.engagement_id == engagement.id, System.removed_at.is_(None))
        .order_by(System.tier, System.slug)
    ).all()
    state: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for sid, kind, status in session.execute(
        select(KTSession.system_id, KTSession.kind, KTSession.status).where(
            KTSession.engagement_id == engagement.id
        )
    ):
        state[sid][status].add(kind)
    order = KT_KINDS.index
    out = []
    for sid, name, tier in systems:
        s = state.get(sid, {})
        signed = sorted(s.get("signed_off", set()), key=order)
        out.append(
            KTCoverageRow(
                system=name,
                tier=tier,
                signed_off=signed,
                held=sorted(s.get("held", set()) - set(signed), key=order),
                planned=sorted(s.get("planned", set()) - set(signed), key=order),
                missing=missing_kinds(signed),
            )
        )
    return out
