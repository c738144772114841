"""The RAID log: risks, assumptions, issues, dependencies and decisions.

Each entry has a readable id, its kind's prefix and a number counted per engagement and
kind (``R-3``, ``DEC-1``); the unique constraint ``uq_raid_number`` keeps two concurrent
adds from taking the same number (the loser takes the next one). A risk's score is
probability × impact (1-5 each). Every gate override records a decision, linked to the
phase, in the transaction of the advance. The gate criterion ``no_high_risks`` is met
while no open risk scores ``min_score`` or more.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from transition.dates import parse_date, utcnow
from transition.errors import BadInput, Refused, about
from transition.models import Engagement, Phase, RaidItem, RaidLink
from transition.services import audit
from transition.services.common import (
    EngagementRef,
    add_unique,
    apply_changes,
    check_version,
    engagement_of,
    get_person,
    get_system,
    get_task,
)
from transition.services.raid_read import (  # noqa: F401 - the log's readers, here too
    ENTITY,
    gate_facts,
    gate_judge,
    get_item,
    items,
    kind_of,
    linked_to,
    ref_of,
    views_of,
)
from transition.services.views.raid import (
    LINK_KINDS,
    PARTIES,
    RaidChange,
    RaidItemView,
)
from transition.text import clean_line, clean_text, field_limit

#: How many times an add takes the next number after a concurrent add took its own.
_ATTEMPTS = 5


def _party(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    party = value.strip().lower()
    if party not in PARTIES:
        raise BadInput(f"invalid party {value!r}: choose {'|'.join(PARTIES)}", field="party")
    return party


def _scale(value: int | str | None, what: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadInput(f"invalid {what} {value!r}: expected 1 to 5", field=what) from None
    if not 1 <= number <= 5:
        raise BadInput(f"invalid {what} {value!r}: expected 1 to 5", field=what)
    return number


def _due(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return parse_date(value, "due date") if value.strip() else None


def _scored(kind: str, probability: int | None, impact: int | None) -> None:
    if kind != "risk" and (probability is not None or impact is not None):
        article = "an" if kind[0] in "aeiou" else "a"
        raise BadInput(
            f"only risks have a probability and an impact (this is {article} {kind})",
            field="probability" if probability is not None else "impact",
        )
    if (probability is None) != (impact is None):
        raise BadInput(
            "a risk is scored with both --probability and --impact (1 to 5 each)",
            field="probability" if probability is None else "impact",
        )


def _insert(session: Session, row: RaidItem) -> None:
    """Give ``row`` the next number of its kind and insert it; a number a concurrent add
    took first (the unique constraint) is retried with the next one in a savepoint."""
    for _ in range(_ATTEMPTS):
        row.number = 1 + (
            session.execute(
                select(func.coalesce(func.max(RaidItem.number), 0)).where(
                    RaidItem.engagement_id == row.engagement_id, RaidItem.kind == row.kind
                )
            ).scalar_one()
        )
        if add_unique(session, row):
            return
    raise Refused("another change is adding RAID entries at this moment; nothing was saved")


def add(
    session: Session,
    engagement: EngagementRef,
    *,
    kind: str,
    title: str,
    owner: str | None = None,
    party: str | None = None,
    probability: int | str | None = None,
    impact: int | str | None = None,
    due: str | date | None = None,
    mitigation: str | None = None,
) -> RaidItemView:
    """Add an entry to the RAID log; returns it with its readable id."""
    engagement = engagement_of(session, engagement)
    kind = kind_of(kind)
    with about("title"):
        title = clean_line(title, "the title", field_limit(RaidItem, "title"), required=True)
    with about("mitigation"):
        mitigation = clean_text(mitigation or "", "the mitigation")
    probability, impact = _scale(probability, "probability"), _scale(impact, "impact")
    _scored(kind, probability, impact)
    with about("due"):
        due_date = _due(due)
    owner_row = None
    if owner:
        with about("owner"):
            owner_row = get_person(session, engagement, owner)
    row = RaidItem(
        engagement_id=engagement.id,
        kind=kind,
        number=0,
        title=title,
        owner_id=owner_row.id if owner_row else None,
        party=_party(party),
        probability=probability,
        impact=impact,
        due_date=due_date,
        mitigation=mitigation,
        created_at=utcnow(),
        created_by=audit.actor(session),
    )
    _insert(session, row)
    audit.record(
        session, engagement.id, ENTITY, row.id, "add", None, None, ref_of(kind, row.number)
    )
    return views_of(session, engagement, [row])[0]


def record_override(
    session: Session, engagement: Engagement, phase: Phase, reason: str, unmet: Iterable[str]
) -> RaidItemView:
    """The decision a gate override makes, linked to its phase (called by the advance,
    in its transaction)."""
    missing = ", ".join(unmet)
    first = reason.strip().splitlines()[0] if reason.strip() else ""
    title = f"Gate of phase {phase.key} overridden: {first}"
    limit = field_limit(RaidItem, "title") or 300
    row = RaidItem(
        engagement_id=engagement.id,
        kind="decision",
        number=0,
        title=title if len(title) <= limit else title[: limit - 1] + "…",
        owner_id=None,
        mitigation=f"{reason.strip()}\nunmet: {missing}" if missing else reason.strip(),
        phase_id=phase.id,
        created_at=utcnow(),
        created_by=audit.actor(session),
    )
    _insert(session, row)
    audit.record(
        session, engagement.id, ENTITY, row.id, "add", None, None, ref_of("decision", row.number)
    )
    return views_of(session, engagement, [row])[0]


def update(
    session: Session,
    engagement: EngagementRef,
    ref: str,
    *,
    title: str | None = None,
    owner: str | None = None,
    party: str | None = None,
    probability: int | str | None = None,
    impact: int | str | None = None,
    due: str | None = None,
    mitigation: str | None = None,
    expected_version: int | None = None,
) -> RaidChange:
    """Change an entry's fields (an empty ``owner``, ``party``, ``due``, ``probability``
    or ``impact`` clears it); prints what changed."""
    engagement = engagement_of(session, engagement)
    row = get_item(session, engagement, ref)
    label = ref_of(row.kind, row.number)
    check_version(session, row, expected_version, "RAID entry", label)
    _check_open(row, label, engagement)
    values: dict[str, object] = {}
    if title is not None:
        with about("title"):
            values["title"] = clean_line(
                title, "the title", field_limit(RaidItem, "title"), required=True
            )
    if mitigation is not None:
        with about("mitigation"):
            values["mitigation"] = clean_text(mitigation, "the mitigation")
    if party is not None:
        values["party"] = _party(party)
    if owner is not None:
        with about("owner"):
            values["owner_id"] = (
                get_person(session, engagement, owner).id if owner.strip() else None
            )
    if due is not None:
        with about("due"):
            values["due_date"] = _due(due)
    if probability is not None:
        values["probability"] = _scale(probability, "probability")
    if impact is not None:
        values["impact"] = _scale(impact, "impact")
    _scored(
        row.kind,
        values.get("probability", row.probability),  # type: ignore[arg-type]
        values.get("impact", row.impact),  # type: ignore[arg-type]
    )
    before = views_of(session, engagement, [row])[0]
    changed = apply_changes(session, row, engagement.id, ENTITY, values)
    return _change(session, engagement, row, before, list(changed))


def _change(
    session: Session, engagement: Engagement, row: RaidItem, before: RaidItemView, fields: list[str]
) -> RaidChange:
    after = views_of(session, engagement, [row])[0]
    shown = {"owner_id": "owner", "due_date": "due"}
    changes: dict[str, list[str | None]] = {}
    for field in fields:
        name = shown.get(field, field)
        old, new = getattr(before, name), getattr(after, name)
        changes[name] = [None if old is None else str(old), None if new is None else str(new)]
    return RaidChange(item=after, changes=changes)


def close(
    session: Session,
    engagement: EngagementRef,
    ref: str,
    *,
    resolution: str,
    expected_version: int | None = None,
) -> RaidChange:
    """Close an open entry with a written resolution."""
    engagement = engagement_of(session, engagement)
    row = get_item(session, engagement, ref)
    label = ref_of(row.kind, row.number)
    check_version(session, row, expected_version, "RAID entry", label)
    with about("resolution"):
        resolution = clean_text(resolution or "", "the resolution")
        if not resolution.strip():
            raise BadInput("closing an entry needs a written --resolution")
    if row.status == "closed":
        raise Refused(f"{label} is already closed ({row.resolution})")
    before = views_of(session, engagement, [row])[0]
    values = {
        "status": "closed",
        "resolution": resolution.strip(),
        "closed_at": utcnow(),
        "closed_by": audit.actor(session),
    }
    changed = apply_changes(session, row, engagement.id, ENTITY, values, action="close")
    return _change(session, engagement, row, before, [f for f in changed if f != "closed_at"])


def reopen(
    session: Session,
    engagement: EngagementRef,
    ref: str,
    *,
    reason: str,
    expected_version: int | None = None,
) -> RaidChange:
    """Open a closed entry again (its resolution cleared), with a written reason; only an
    open entry can be changed."""
    engagement = engagement_of(session, engagement)
    row = get_item(session, engagement, ref)
    label = ref_of(row.kind, row.number)
    check_version(session, row, expected_version, "RAID entry", label)
    with about("reason"):
        reason = clean_text(reason or "", "the reason").strip()
        if not reason:
            raise BadInput("reopening an entry needs a written --reason")
    if row.status != "closed":
        raise Refused(f"{label} is open already")
    before = views_of(session, engagement, [row])[0]
    values = {"status": "open", "resolution": None, "closed_at": None, "closed_by": None}
    changed = apply_changes(session, row, engagement.id, ENTITY, values, action="update")
    audit.record(session, engagement.id, ENTITY, row.id, "update", "reason", None, reason)
    return _change(
        session, engagement, row, before, [f for f in changed if f in ("status", "resolution")]
    )


def _check_open(row: RaidItem, label: str, engagement: Engagement) -> None:
    """A closed entry is not changed (fields or links) until it is reopened."""
    if row.status == "closed":
        raise Refused(
            f"{label} is closed ({row.resolution}): reopen it first with "
            f"`transition raid reopen {engagement.slug} {label} --reason TEXT`"
        )


def link(
    session: Session,
    engagement: EngagementRef,
    ref: str,
    *,
    system: str | None = None,
    person: str | None = None,
    task: str | None = None,
    remove: bool = False,
) -> RaidChange:
    """Link an entry to a system, a person or a task (``remove``: unlink); a closed entry
    is reopened first."""
    engagement = engagement_of(session, engagement)
    row = get_item(session, engagement, ref)
    label = ref_of(row.kind, row.number)
    _check_open(row, label, engagement)
    given = [(k, v) for k, v in zip(LINK_KINDS, (system, person, task), strict=True) if v]
    if len(given) != 1:
        raise BadInput("link to exactly one of --system, --person or --task")
    target_kind, name = given[0]
    with about(target_kind):
        if target_kind == "system":
            target_id, shown = (t := get_system(session, engagement, name)).id, t.name
        elif target_kind == "person":
            target_id, shown = (p := get_person(session, engagement, name)).id, p.name
        else:
            target_id, shown = (k := get_task(session, engagement, name)).id, k.key
    existing = session.execute(
        select(RaidLink).where(
            RaidLink.raid_id == row.id, getattr(RaidLink, f"{target_kind}_id") == target_id
        )
    ).scalar_one_or_none()
    if remove:
        if existing is None:
            raise Refused(f"{label} is not linked to {target_kind} {shown}")
        session.delete(existing)
        session.flush()
        audit.record(session, engagement.id, ENTITY, row.id, "unlink", target_kind, shown, None)
    else:
        if existing is not None:
            raise Refused(f"{label} is already linked to {target_kind} {shown}")
        link = RaidLink(
            engagement_id=engagement.id, raid_id=row.id, **{f"{target_kind}_id": target_id}
        )
        if not add_unique(session, link):  # another writer linked it since the check
            raise Refused(f"{label} is already linked to {target_kind} {shown}")
        audit.record(session, engagement.id, ENTITY, row.id, "link", target_kind, None, shown)
    after = views_of(session, engagement, [row])[0]
    return RaidChange(item=after, changes={target_kind: [shown, None] if remove else [None, shown]})


# --------------------------------------------------------------------------- gate


def open_risk_scores(session: Session, engagement_ids: Iterable[int]) -> dict[int, list[int]]:
    """Engagement id → the scores of its open, scored risks (one query)."""
    ids = sorted(set(engagement_ids))
    out: dict[int, list[int]] = {eid: [] for eid in ids}
    if not ids:
        return out
    found = session.execute(
        select(RaidItem.engagement_id, RaidItem.probability * RaidItem.impact).where(
            RaidItem.engagement_id.in_(ids),
            RaidItem.kind == "risk",
            RaidItem.status == "open",
            RaidItem.probability.is_not(None),
            RaidItem.impact.is_not(None),
        )
    )
    for eid, score in found:
        out[eid].append(int(score))
    return out
