"""Knowledge-transfer sessions: scheduled per system and topic, held, signed off.

Lifecycle ``planned`` → ``held`` → ``signed_off``. Only an attendee signs a session off
(the receiver of the knowledge, with a confidence from 1 to 5), and only once it was held.
Each session has a ``uid`` fixed at creation, so calendar exports update entries instead
of duplicating them. Key-person risk: a system whose KT depends only on incumbent people
who leave within two weeks, while its KT is not yet signed off.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session

from transition.dates import check_range, today, utcnow
from transition.errors import BadInput, Refused
from transition.guard import no_secrets
from transition.models import Engagement, KTParticipant, KTSession, Person, System
from transition.playbooks import KT_KINDS
from transition.services import audit
from transition.services.common import (
    apply_changes,
    check_version,
    find_named,
    get_by_id,
    get_system,
)
from transition.text import clean_line, clean_text, field_limit, slugify

#: The kinds a system needs signed off before its KT counts as complete.
CORE_KINDS = ("walkthrough", "shadow", "reverse-shadow")
RISK_DAYS = 14
ENTITY = "kt_session"


def _kind(value: str) -> str:
    kind = slugify(value)
    if kind not in KT_KINDS:
        raise BadInput(f"invalid KT kind {value!r}: choose one of {', '.join(KT_KINDS)}")
    return kind


def _aware(value: datetime) -> datetime:
    """Stored timestamps come back naive from SQLite; they are UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _people(session: Session, engagement: Engagement, names: Iterable[str]) -> dict[str, Person]:
    """Persons by slug, one query; unknown names are one error naming all of them."""
    slugs = {slugify(n): n for n in names}
    found = {
        p.slug: p
        for p in session.execute(
            select(Person).where(
                Person.engagement_id == engagement.id, Person.slug.in_(list(slugs))
            )
        ).scalars()
    }
    for slug, name in slugs.items():  # a row stored under the first release's slug
        if slug not in found:
            old = find_named(session, Person, name, Person.engagement_id == engagement.id)
            if old is not None:
                found[slug] = old
    unknown = [name for slug, name in slugs.items() if slug not in found]
    if unknown:
        raise BadInput(
            f"unknown person(s) {', '.join(map(repr, unknown))} in {engagement.slug}: "
            "add them with `transition person add`"
        )
    return found


def schedule(
    session: Session,
    engagement: Engagement,
    *,
    system: str,
    topic: str,
    presenters: list[str],
    attendees: Iterable[str] = (),
    at: datetime,
    kind: str = "walkthrough",
    minutes: int = 60,
) -> KTSession:
    """Plan a session. Presenters and attendees are people of the engagement; nobody is
    both. Times are UTC: a naive ``at`` is UTC (as ``dates.parse_datetime``), an aware one is
    converted; years outside ``dates.MIN_YEAR``–``MAX_YEAR`` are refused."""
    kind = _kind(kind)
    at = _aware(at)
    check_range(at, "start time")
    topic = " ".join(clean_line(topic, "the topic", field_limit(KTSession, "topic")).split())
    if not topic:
        raise BadInput("a KT session needs a topic")
    no_secrets(topic, "the topic")
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        raise BadInput(f"invalid length {minutes!r}: a number of minutes") from None
    if not 5 <= minutes <= 24 * 60:
        raise BadInput(f"invalid length {minutes} minutes: between 5 and 1440")
    presenter_names = [p for p in presenters if p.strip()]
    attendee_names = [a for a in attendees if a.strip()]
    if not presenter_names:
        raise BadInput("a KT session needs at least one presenter")
    both = {slugify(p) for p in presenter_names} & {slugify(a) for a in attendee_names}
    if both:
        raise BadInput(f"{', '.join(sorted(both))} cannot both present and attend")
    target = get_system(session, engagement, system)
    people = _people(session, engagement, [*presenter_names, *attendee_names])
    row = KTSession(
        engagement_id=engagement.id,
        system_id=target.id,
        uid=uuid.uuid4().hex,
        topic=topic,
        kind=kind,
        starts_at=at,
        minutes=minutes,
        status="planned",
    )
    session.add(row)
    session.flush()
    participants = {people[slugify(p)].id: "presenter" for p in presenter_names}
    for name in attendee_names:
        participants.setdefault(people[slugify(name)].id, "attendee")
    session.execute(
        insert(KTParticipant),
        [{"session_id": row.id, "person_id": pid, "role": r} for pid, r in participants.items()],
    )
    names = {p.id: p.name for p in people.values()}
    audit.record_many(
        session,
        engagement.id,
        [
            audit.Change(ENTITY, row.id, "schedule", "system", None, target.name),
            audit.Change(ENTITY, row.id, "schedule", "kind", None, kind),
            audit.Change(ENTITY, row.id, "schedule", "topic", None, topic),
            audit.Change(ENTITY, row.id, "schedule", "starts_at", None, row.starts_at),
            *(
                audit.Change(ENTITY, row.id, "schedule", r, None, names[pid])
                for pid, r in participants.items()
            ),
        ],
    )
    return row


def get_session(session: Session, engagement: Engagement, session_id: Any) -> KTSession:
    return get_by_id(session, KTSession, engagement, session_id, "KT session")


def hold(
    session: Session,
    engagement: Engagement,
    session_id: Any,
    *,
    attendees: Iterable[str] = (),
    expected_version: int | None = None,
) -> KTSession:
    """Record that a planned session took place, with any extra attendees who joined."""
    row = get_session(session, engagement, session_id)
    check_version(session, row, expected_version, ENTITY, str(row.id))
    if row.status != "planned":
        raise Refused(f"KT session {row.id} is already {row.status.replace('_', ' ')}")
    extra = [a for a in attendees if a.strip()]
    if extra:
        people = _people(session, engagement, extra)
        current = dict(
            session.execute(
                select(KTParticipant.person_id, KTParticipant.role).where(
                    KTParticipant.session_id == row.id
                )
            ).all()
        )
        clash = [p.name for p in people.values() if current.get(p.id) == "presenter"]
        if clash:
            raise BadInput(f"{', '.join(clash)} presented this session and cannot attend it")
        added = [p for p in people.values() if p.id not in current]
        if added:
            session.execute(
                insert(KTParticipant),
                [{"session_id": row.id, "person_id": p.id, "role": "attendee"} for p in added],
            )
            audit.record_many(
                session,
                engagement.id,
                [audit.Change(ENTITY, row.id, "attend", "attendee", None, p.name) for p in added],
            )
    apply_changes(
        session, row, engagement.id, ENTITY, {"status": "held", "held_at": utcnow()}, "hold"
    )
    return row


def signoff(
    session: Session,
    engagement: Engagement,
    session_id: Any,
    *,
    by: str,
    confidence: int | None = None,
    follow_ups: str = "",
    expected_version: int | None = None,
) -> KTSession:
    """An attendee confirms the knowledge arrived (confidence 1–5). Held sessions only."""
    if confidence is not None and (isinstance(confidence, bool) or confidence not in range(1, 6)):
        raise BadInput(f"invalid confidence {confidence!r}: choose 1 (low) to 5 (high)")
    follow_ups = no_secrets(clean_text(follow_ups or "", "the follow-ups"), "the follow-ups") or ""
    row = get_session(session, engagement, session_id)
    check_version(session, row, expected_version, ENTITY, str(row.id))
    if row.status == "planned":
        raise Refused(f"KT session {row.id} has not been held yet: hold it before signing off")
    if row.status == "signed_off":
        raise Refused(f"KT session {row.id} is already signed off")
    person = _people(session, engagement, [by])[slugify(by)]
    role = session.execute(
        select(KTParticipant.role).where(
            KTParticipant.session_id == row.id, KTParticipant.person_id == person.id
        )
    ).scalar_one_or_none()
    if role != "attendee":
        what = "presented it" if role == "presenter" else "did not attend it"
        raise Refused(
            f"{person.name} {what}: only an attendee signs off KT session {row.id} "
            "(add late attendees with `kt hold --attendee`)"
        )
    values: dict[str, Any] = {
        "status": "signed_off",
        "signed_off_by_id": person.id,
        "signed_off_at": utcnow(),
        "confidence": confidence,
    }
    if follow_ups:
        values["follow_ups"] = follow_ups
    apply_changes(session, row, engagement.id, ENTITY, values, "signoff")
    return row


def list_sessions(
    session: Session, engagement: Engagement, *, system: str | None = None
) -> list[dict[str, Any]]:
    """Sessions in time order with their people, in two queries."""
    stmt = (
        select(
            KTSession.id,
            KTSession.uid,
            System.name.label("system"),
            KTSession.topic,
            KTSession.kind,
            KTSession.starts_at,
            KTSession.minutes,
            KTSession.status,
            KTSession.held_at,
            KTSession.signed_off_by_id,
            KTSession.signed_off_at,
            KTSession.confidence,
            KTSession.follow_ups,
            KTSession.version,
        )
        .join(System, System.id == KTSession.system_id)
        .where(KTSession.engagement_id == engagement.id)
        .order_by(KTSession.starts_at, KTSession.id)
    )
    if system is not None:
        stmt = stmt.where(System.id == get_system(session, engagement, system).id)
    rows = [dict(r._mapping) for r in session.execute(stmt)]
    people: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: {"presenter": [], "attendee": []}
    )
    names: dict[int, str] = {}
    for sid, pid, role, name, email, side in session.execute(
        select(
            KTParticipant.session_id,
            Person.id,
            KTParticipant.role,
            Person.name,
            Person.email,
            Person.side,
        )
        .join(Person, Person.id == KTParticipant.person_id)
        .join(KTSession, KTSession.id == KTParticipant.session_id)
        .where(KTSession.engagement_id == engagement.id)
        .order_by(Person.slug)
    ):
        names[pid] = name
        people[sid][role].append({"name": name, "email": email, "side": side})
    for row in rows:
        row["starts_at"] = _aware(row["starts_at"])
        try:
            row["ends_at"] = row["starts_at"] + timedelta(minutes=row["minutes"])
        except OverflowError:  # a row stored before times were range-checked (year 9999)
            row["ends_at"] = None
        if row["held_at"] is not None:
            row["held_at"] = _aware(row["held_at"])
        if row["signed_off_at"] is not None:
            row["signed_off_at"] = _aware(row["signed_off_at"])
        entry = people[row["id"]]
        row["presenters"] = [p["name"] for p in entry["presenter"]]
        row["attendees"] = [p["name"] for p in entry["attendee"]]
        row["people"] = entry
        signer = row.pop("signed_off_by_id")
        row["signed_off_by"] = names.get(signer) if signer else None
    return rows


def coverage(session: Session, engagement: Engagement) -> list[dict[str, Any]]:
    """Per system in scope: kinds signed off, held and planned, and core kinds missing."""
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
            {
                "system": name,
                "tier": tier,
                "signed_off": signed,
                "held": sorted(s.get("held", set()) - set(signed), key=order),
                "planned": sorted(s.get("planned", set()) - set(signed), key=order),
                "missing": [k for k in CORE_KINDS if k not in signed],
            }
        )
    return out


def key_person_risks(session: Session, engagement: Engagement) -> list[dict[str, Any]]:
    """Systems whose every KT presenter is an incumbent released within 14 days of today
    (or already gone) while the system's KT is not signed off for every core kind."""
    return key_person_risks_for(session, [engagement.id]).get(engagement.id, [])


def key_person_risks_for(
    session: Session, engagement_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """``key_person_risks`` of several engagements at once, in one query."""
    horizon = today() + timedelta(days=RISK_DAYS)
    now = today()
    presenters: dict[int, dict[int, tuple[str, str, Any]]] = defaultdict(dict)
    signed: dict[int, set[str]] = defaultdict(set)
    systems: dict[int, tuple[int, str]] = {}
    for eid, sid, sname, status, kind, pid, pname, side, release in session.execute(
        select(
            KTSession.engagement_id,
            KTSession.system_id,
            System.name,
            KTSession.status,
            KTSession.kind,
            KTParticipant.person_id,
            Person.name,
            Person.side,
            Person.release_date,
        )
        .join(System, System.id == KTSession.system_id)
        .outerjoin(
            KTParticipant,
            (KTParticipant.session_id == KTSession.id) & (KTParticipant.role == "presenter"),
        )
        .outerjoin(Person, Person.id == KTParticipant.person_id)
        .where(KTSession.engagement_id.in_(engagement_ids), System.removed_at.is_(None))
    ):
        systems[sid] = (eid, sname)
        if status == "signed_off":
            signed[sid].add(kind)
        if pid is not None:
            presenters[sid][pid] = (pname, side, release)
    risks: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for sid, (eid, sname) in sorted(systems.items(), key=lambda item: item[1][1].lower()):
        people = presenters.get(sid)
        missing = [k for k in CORE_KINDS if k not in signed.get(sid, set())]
        if not people or not missing:
            continue
        leaving = all(
            side == "incumbent" and release is not None and release <= horizon
            for _, side, release in people.values()
        )
        if not leaving:
            continue
        first = min(release for _, _, release in people.values())
        who = ", ".join(sorted(name for name, _, _ in people.values()))
        when = (
            f"released {first} ({(first - now).days} days left)"
            if first >= now
            else f"released {first} (already gone)"
        )
        risks[eid].append(
            {
                "system": sname,
                "presenters": sorted(name for name, _, _ in people.values()),
                "release_date": first,
                "days_left": (first - now).days,
                "missing": missing,
                "reason": f"only presenter(s) {who}, incumbent, {when}; "
                f"not signed off: {', '.join(missing)}",
            }
        )
    return dict(risks)


def ics(session: Session, engagement: Engagement) -> bytes:
    """An iCalendar file with one VEVENT per session. UIDs are fixed per session and
    SEQUENCE follows the row version, so importing again updates calendar entries."""
    from icalendar import Calendar, Event, vCalAddress, vText

    cal = Calendar()
    cal.add("prodid", "-//transition//KT sessions//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"KT sessions: {engagement.name}")
    stamp = utcnow().replace(microsecond=0)
    for row in list_sessions(session, engagement):
        event = Event()
        event.add("uid", f"{row['uid']}@transition")
        event.add("dtstamp", stamp)
        event.add("dtstart", row["starts_at"])
        if row["ends_at"] is not None:
            event.add("dtend", row["ends_at"])
        else:
            event.add("duration", timedelta(minutes=row["minutes"]))
        event.add("sequence", row["version"])
        event.add("summary", f"KT {row['kind']}: {row['system']}: {row['topic']}")
        lines = [
            f"Engagement: {engagement.name}",
            f"System: {row['system']}",
            f"Kind: {row['kind']}",
            f"Status: {row['status'].replace('_', ' ')}",
            f"Presenters: {', '.join(row['presenters']) or '-'}",
            f"Attendees: {', '.join(row['attendees']) or '-'}",
        ]
        if row["follow_ups"]:
            lines.append(f"Follow-ups: {row['follow_ups']}")
        event.add("description", "\n".join(lines))
        event.add("categories", [f"KT {row['kind']}"])
        event.add("status", "CONFIRMED")
        organizer = next((p for p in row["people"]["presenter"] if p["email"]), None)
        if organizer:
            addr = vCalAddress(f"mailto:{organizer['email']}")
            addr.params["cn"] = vText(organizer["name"])
            event["organizer"] = addr
        for role, people in row["people"].items():
            for person in people:
                if not person["email"]:
                    continue
                addr = vCalAddress(f"mailto:{person['email']}")
                addr.params["cn"] = vText(person["name"])
                addr.params["role"] = vText("CHAIR" if role == "presenter" else "REQ-PARTICIPANT")
                event.add("attendee", addr, encode=0)
        cal.add_component(event)
    return cal.to_ical()
