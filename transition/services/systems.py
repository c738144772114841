"""Systems in scope, and the coverage matrix that says whether each is ready for cutover."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlmodel import Session

from transition.dates import today, utc, utcnow
from transition.errors import BadInput, Refused, about
from transition.guard import no_secrets
from transition.models import (
    AccessGrant,
    Engagement,
    KTSession,
    Person,
    Runbook,
    System,
    SystemTopic,
)
from transition.playbook_criteria import KT_KINDS
from transition.playbook_stored import StoredParts, parts_of
from transition.services import audit
from transition.services.common import (
    EngagementRef,
    apply_changes,
    check_version,
    engagement_of,
    find_named,
    get_system,
)
from transition.services.views.systems import SystemChange, SystemRow, SystemView
from transition.text import clean_name, clean_text, field_limit, slugify

if TYPE_CHECKING:
    from collections.abc import Sequence

    from transition.playbooks import Playbook
    from transition.services.views.phases import KeyPersonRisk


def _tier(value: int | str) -> int:
    try:
        tier = int(value)
    except (TypeError, ValueError):
        tier = 0
    if tier not in (1, 2, 3):
        raise BadInput(f"invalid tier {value!r}: choose 1 (most critical), 2 or 3", field="tier")
    return tier


def _row(system: System) -> SystemRow:
    row = SystemRow.model_validate(system)
    return (
        row
        if row.removed_at is None
        else row.model_copy(update={"removed_at": utc(row.removed_at)})
    )


def add(
    session: Session,
    engagement: EngagementRef,
    name: str,
    *,
    tier: int | str = 2,
    description: str = "",
) -> SystemRow:
    """Add a system in scope (``tier`` as typed: 1, 2 or 3); re-adding a removed system
    brings it back."""
    engagement = engagement_of(session, engagement)
    with about("name"):
        name = clean_name(name, "system name", field_limit(System, "name"))
    with about("description"):
        limit = field_limit(System, "description")
        description = clean_text(description, "the description", limit)
        no_secrets(description, "the description")
    tier = _tier(tier)
    existing = find_named(session, System, name, System.engagement_id == engagement.id)
    if existing is not None and existing.removed_at is None:
        raise Refused(_taken("system", name, existing, engagement), field="name")
    if existing is not None:  # re-adding a removed system brings it back
        if slugify(existing.name) != slugify(name):
            raise Refused(_taken("removed system", name, existing, engagement), field="name")
        # Each field it comes back with is one event, from what it had (undo puts it back).
        values: dict[str, object] = {"removed_at": None, "name": name, "tier": tier}
        if description:
            values["description"] = description
        apply_changes(session, existing, engagement.id, "system", values, action="create")
        system = existing
    else:
        system = System(
            engagement_id=engagement.id,
            slug=slugify(name),
            name=name,
            tier=tier,
            description=description,
        )
        session.add(system)
        session.flush()
        audit.record(session, engagement.id, "system", system.id, "create", "tier", None, tier)
    from transition.services import handover

    handover.reconcile(session, engagement, systems=[system.id])
    return _row(system)


def details(session: Session, engagement: EngagementRef, name: str) -> SystemRow:
    """One system in scope as stored (its description included), for a form."""
    engagement = engagement_of(session, engagement)
    with about("name"):
        return _row(get_system(session, engagement, name))


def update(
    session: Session,
    engagement: EngagementRef,
    name: str,
    *,
    new_name: str | None = None,
    tier: int | str | None = None,
    description: str | None = None,
    expected_version: int | None = None,
) -> SystemChange:
    """Change a system's name, tier or description (None leaves a field as it is). A new
    name gives a new slug, refused if another system (removed ones too) has it; the
    derived handover items naming the system follow the new name."""
    from transition.services.engagement_edit import field_changes

    engagement = engagement_of(session, engagement)
    with about("name"):
        system = get_system(session, engagement, name)
    values: dict[str, object] = {}
    if new_name is not None:
        with about("new_name"):
            new_name = clean_name(new_name, "system name", field_limit(System, "name"))
        other = find_named(
            session,
            System,
            new_name,
            System.engagement_id == engagement.id,
            System.id != system.id,
        )
        if other is not None:
            removed = " removed" if other.removed_at is not None else ""
            raise Refused(
                f"system name {new_name!r} has the slug {other.slug!r} of the{removed} system "
                f"{other.name!r} in {engagement.slug}: choose another name",
                field="new_name",
            )
        values.update(name=new_name, slug=slugify(new_name))
    if tier is not None:
        values["tier"] = _tier(tier)
    if description is not None:
        with about("description"):
            limit = field_limit(System, "description")
            description = clean_text(description, "the description", limit)
            no_secrets(description, "the description")
        values["description"] = description
    check_version(session, system, expected_version, "system", system.slug)
    changed = apply_changes(session, system, engagement.id, "system", values)
    if "name" in changed:
        from transition.services import handover

        handover.reconcile(session, engagement, systems=[system.id])
    return SystemChange(system=_row(system), changes=field_changes(changed))


def _taken(what: str, name: str, existing: System, engagement: Engagement) -> str:
    if existing.name.casefold() == name.casefold():
        return f"{what} {existing.slug!r} already exists in {engagement.slug}"
    return (
        f"{what} name {name!r} has the same slug {existing.slug!r} as the existing {what} "
        f"{existing.name!r} in {engagement.slug}: choose a more distinct name"
    )


def remove(
    session: Session,
    engagement: EngagementRef,
    name: str,
    *,
    revoke_access: str | None = None,
) -> SystemRow:
    """Take a system out of scope; its derived handover items retire. A system with a
    planned KT session is refused (cancel or hold it first). A system someone
    still has access to is refused, unless ``revoke_access`` gives the reason to revoke
    every such grant in the same transaction (each audited, its revoke item resolved):
    live access never drops off the exit checklist."""
    from transition.services import access

    engagement = engagement_of(session, engagement)
    if revoke_access is not None:
        with about("revoke_access"):
            revoke_access = clean_text(revoke_access, "the revoke reason")
            if not revoke_access:
                raise BadInput("--revoke-access needs a written reason")
            no_secrets(revoke_access, "the revoke reason")
    with about("name"):
        system = get_system(session, engagement, name)
    planned = session.execute(
        select(KTSession.id, KTSession.topic)
        .where(KTSession.system_id == system.id, KTSession.status == "planned")
        .order_by(KTSession.id)
    ).all()
    if planned:  # out of scope, it would stay on agendas and in calendars
        shown = ", ".join(f"KT session {sid} ({topic})" for sid, topic in planned[:10])
        more = f" and {len(planned) - 10} more" if len(planned) > 10 else ""
        raise Refused(
            f"system {system.slug} still has {len(planned)} planned KT session(s): "
            f"{shown}{more}; cancel or hold them first"
        )
    live = session.execute(
        select(AccessGrant.id, AccessGrant.role, Person.name)
        .join(Person, Person.id == AccessGrant.person_id)
        .where(AccessGrant.system_id == system.id, AccessGrant.revoked_at.is_(None))
        .order_by(AccessGrant.id)
    ).all()
    if live and revoke_access is None:
        shown = ", ".join(f"grant {gid} ({person}, {role})" for gid, role, person in live[:10])
        more = f" and {len(live) - 10} more" if len(live) > 10 else ""
        raise Refused(
            f"system {system.slug} still has {len(live)} active grant(s): {shown}{more}; "
            "revoke them first, or remove it with --revoke-access REASON",
        )
    for gid, _, _ in live:
        access.revoke(session, engagement, gid, reason=revoke_access)
    system.removed_at = utcnow()
    session.add(system)
    session.flush()
    audit.record(
        session, engagement.id, "system", system.id, "remove", "removed_at", None, system.removed_at
    )
    from transition.services import handover

    handover.reconcile(session, engagement, systems=[system.id])
    return _row(system)


def runbook_progress(
    playbook: Playbook | StoredParts, tier: int, have: dict[str, str]
) -> tuple[list[str], list[str]]:
    """The runbooks the playbook requires of a system of ``tier``, and those of them
    accepted (``have``: the system's runbooks, template → status)."""
    required = playbook.required_runbooks(tier)
    return required, [r for r in required if have.get(r) == "accepted"]


def coverage(
    session: Session, engagement: EngagementRef, *, risks: Sequence[KeyPersonRisk] | None = None
) -> list[SystemView]:
    """Per active system: runbooks (accepted / required), active grants, KT kinds signed off,
    readiness, key-person risk, owners and how many topics its knowledge has, in a fixed
    number of queries. ``risks``: the engagement's key-person risks, when the caller has
    read them (``gates.status`` does)."""
    engagement = engagement_of(session, engagement)
    eid = engagement.id
    rules = parts_of(engagement.playbook_json)
    systems = session.execute(
        select(System.id, System.name, System.slug, System.tier, System.version)
        .where(System.engagement_id == eid, System.removed_at.is_(None))
        .order_by(System.tier, System.slug)
    ).all()
    required = {tier: rules.required_runbooks(tier) for tier in {s.tier for s in systems}}
    runbooks: dict[int, dict[str, str]] = defaultdict(dict)
    for sid, template, status in session.execute(
        select(Runbook.system_id, Runbook.template, Runbook.status).where(
            Runbook.engagement_id == eid
        )
    ):
        runbooks[sid][template] = status
    grants = dict(
        session.execute(
            select(AccessGrant.system_id, func.count())
            .where(
                AccessGrant.engagement_id == eid,
                AccessGrant.revoked_at.is_(None),
                or_(AccessGrant.expires_on.is_(None), AccessGrant.expires_on >= today()),
            )
            .group_by(AccessGrant.system_id)
        ).all()
    )
    kt_signed: dict[int, set[str]] = defaultdict(set)
    kt_planned: dict[int, int] = defaultdict(int)
    for sid, kind, status, n in session.execute(
        select(KTSession.system_id, KTSession.kind, KTSession.status, func.count())
        .where(KTSession.engagement_id == eid)
        .group_by(KTSession.system_id, KTSession.kind, KTSession.status)
    ):
        if status == "signed_off":
            kt_signed[sid].add(kind)
        elif status != "cancelled":
            kt_planned[sid] += n
    from transition.services import kt

    if risks is None:
        risks = kt.key_person_risks(session, engagement)
    risky = {r.system: r.reason for r in risks}
    from transition.services import system_people

    owners: dict[int, list[str]] = defaultdict(list)
    for h in system_people.holders(session, engagement):
        owners[h.system_id].append(f"{h.person} ({h.role})")
    topics = _topic_counts(session, eid, systems, required)
    out = []
    for s in systems:
        have = runbooks.get(s.id, {})
        needed = required[s.tier]
        accepted = [r for r in needed if have.get(r) == "accepted"]
        signed = sorted(kt_signed.get(s.id, set()), key=KT_KINDS.index)
        missing_kt = kt.missing_kinds(signed)
        active_grants = int(grants.get(s.id, 0))
        ready = len(accepted) == len(needed) and not missing_kt and active_grants > 0
        out.append(
            SystemView(
                name=s.name,
                slug=s.slug,
                tier=s.tier,
                runbooks_total=len(have),
                runbooks_required=len(needed),
                runbooks_accepted=len(accepted),
                runbooks_missing=[r for r in needed if have.get(r) != "accepted"],
                access_active=active_grants,
                kt_signed_off=signed,
                kt_open=kt_planned.get(s.id, 0),
                kt_missing=missing_kt,
                ready=ready,
                key_person_risk=s.name in risky,
                key_person_risk_reason=risky.get(s.name),
                version=s.version,
                owners=owners.get(s.id, []),
                topics=topics[s.id],
            )
        )
    return out


def _topic_counts(
    session: Session, eid: int, systems: list[Any], required: dict[int, list[str]]
) -> dict[int, int]:
    """How many topics each system's knowledge has, as ``system_people.topics_for`` lists
    them: a default topic (a runbook the playbook requires of the tier) unless it was
    removed, and the team's topics not removed; one query, reading only the stored ones."""
    stored: dict[int, dict[str, bool]] = defaultdict(dict)  # system → key → removed
    for sid, key, removed in session.execute(
        select(SystemTopic.system_id, SystemTopic.key, SystemTopic.removed_at.is_not(None)).where(
            SystemTopic.engagement_id == eid
        )
    ):
        stored[sid][key] = bool(removed)
    defaults = {tier: [slugify(t) for t in names] for tier, names in required.items()}
    counts = {}
    for s in systems:
        mine = stored.get(s.id, {})
        keys = defaults[s.tier]
        counts[s.id] = sum(not mine.get(key, False) for key in keys) + sum(
            not removed for key, removed in mine.items() if key not in keys
        )
    return counts
