"""Access grants: who has which role on which system, why, and until when.

A grant is never edited in place. Revocation fills the revoked columns once (with an audit
event); an expiry given relative to a milestone (``cutover+30d``, ``parallel-run.end``) is
kept as ``expires_rule`` and re-resolved, with an audit event, when the milestone moves.
Every change keeps the exit checklist in step (``handover.reconcile``) in the same
transaction.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from transition.dates import MAX_YEAR, check_range, today, utcnow
from transition.db import unique_violation
from transition.errors import BadInput, Refused, TransitionError, ValidationFailed
from transition.files import Unreadable, read_input
from transition.guard import no_secrets
from transition.models import (
    AccessGrant,
    Engagement,
    KTParticipant,
    KTSession,
    Person,
    Phase,
    System,
)
from transition.services import audit, handover
from transition.services.common import check_version, get_by_id, get_person, get_system
from transition.settings import get_settings
from transition.text import clean_line, clean_name, clean_text, field_limit, slugify

#: Role words that make a grant admin-like. Matched on whole words of the role (see
#: ``is_admin_like``), so ``sa`` matches ``SA`` and ``sa account`` but not ``sales``.
DEFAULT_ADMIN_ROLES = (
    "admin",
    "administrator",
    "sysadmin",
    "superadmin",
    "superuser",
    "root",
    "owner",
    "db-owner",
    "dba",
    "sa",
    "sudo",
    "domain-admin",
    "global-admin",
    "enterprise-admin",
    "tenant-admin",
)
#: A single admin word at least this long also matches as the start or end of a longer
#: word (``administrators``, ``SysAdmin``, ``dbowner``); shorter ones (``sa``, ``dba``)
#: only as a whole word, or they would match ``sales`` and ``visa``.
_ADMIN_AFFIX_MIN = 4
CSV_COLUMNS = ("person", "system", "role", "expires", "justification")
MAX_CSV_BYTES = 50 * 1024 * 1024
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --------------------------------------------------------------------------- helpers


def _phases(session: Session, engagement: Engagement) -> list[Phase]:
    return list(
        session.execute(
            select(Phase).where(Phase.engagement_id == engagement.id).order_by(Phase.position)
        ).scalars()
    )


def resolve_expiry(phases: list[Phase], value: str | None) -> tuple[date | None, str | None]:
    """``2026-12-31`` → (that date, None); ``cutover+30d`` → (resolved date, the rule)."""
    if value is None or not str(value).strip():
        return None, None
    text = clean_line(str(value), "expiry", field_limit(AccessGrant, "expires_rule"))
    if _ISO_DATE.match(text):
        try:
            parsed = date.fromisoformat(text)
        except ValueError:
            raise BadInput(f"invalid expiry date {text!r}: no such day") from None
        check_range(parsed, "expiry date")
        return parsed, None
    from transition.services.engagements import milestone

    try:
        return milestone(phases, text.lower()), text.lower()
    except BadInput as exc:
        raise BadInput(
            f"invalid expiry {text!r}: expected an ISO date (2026-12-31) or a milestone such "
            f"as cutover+30d or parallel-run.end ({exc.message})"
        ) from None


def _role(value: str) -> str:
    return clean_name(value, "role", field_limit(AccessGrant, "role"))


def role_key(role: str) -> str:
    """The role as compared for duplicates (``accessgrant.role_key``): Unicode-normalised,
    case-folded, accents dropped, runs of spaces and punctuation one hyphen. ``Domain Admin``,
    ``domain_admin`` and ``DOMAIN-ADMIN`` are one role; ``Администратор`` keeps its letters."""
    folded = unicodedata.normalize("NFKC", role).casefold()
    folded = "".join(
        c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c)
    )
    key = re.sub(r"[\W_]+", "-", folded).strip("-") or "-"
    if len(key) > 200:  # the column's width; the tail stays distinct through its hash
        key = key[:135] + "-" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key


def released(release_date: date | None, now: date) -> bool:
    """A person is released once their release date has passed (the date itself is their
    last day), the same test ``access review`` and the gates use."""
    return release_date is not None and release_date < now


def warn(session: Session, message: str) -> None:
    """A warning for the caller to show (the CLI prints ``warning:`` lines on stderr)."""
    session.info.setdefault("warnings", []).append(message)


def _recorded_anyway(
    person: str, release: date | None, expires_on: date | None, now: date
) -> list[str]:
    """Why a grant being recorded needs a second look (a warning, not a refusal)."""
    out = []
    if released(release, now):
        out.append(
            f"{person} was released on {release}; a released person should hold no access: "
            "revoke it once it is removed"
        )
    if expires_on is not None and expires_on < now:
        out.append(f"the grant expired on {expires_on} already: revoke it once it is removed")
    return out


def _already_holds(person: str, role: str, system: str, grant_id: int | None) -> str:
    which = f"grant {grant_id}" if grant_id is not None else "recorded by another change just now"
    return (
        f"{person} already holds {role} on {system} ({which}); an identical grant already "
        "exists: revoke it first to change its expiry or justification"
    )


def status_of(revoked_at: Any, expires_on: date | None, now: date) -> str:
    if revoked_at is not None:
        return "revoked"
    if expires_on is not None and expires_on < now:
        return "expired"
    return "active"


def admin_role_words(custom: str | list[str] | tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Roles that count as admin-like: ``custom`` (a list or a comma list), else the
    ``TRANSITION_ADMIN_ROLES`` setting, else admin, owner, root, superuser."""
    if custom is None:
        custom = get_settings().admin_roles
    if custom is None:
        return DEFAULT_ADMIN_ROLES
    parts = custom.split(",") if isinstance(custom, str) else list(custom)
    words = tuple(dict.fromkeys(role_key(p) for p in parts if p.strip() and role_key(p) != "-"))
    if not words:
        raise BadInput("the admin roles list is empty: give comma-separated role words")
    return words


def is_admin_like(role: str, words: tuple[str, ...]) -> bool:
    """Whether ``role`` is admin-like by the admin ``words``, matched on words, never on
    bare substrings. The role is split into words (``role_key``, camelCase apart:
    ``SysAdmin`` → sys admin), and runs of up to three neighbouring words are joined
    (``Super User`` → superuser). An admin word (hyphens dropped: ``domain-admin``) matches
    such a run exactly, or, when it has four letters or more, its start or end
    (``Administrators``, ``Domain Admins``, ``dbowner``). So ``sa`` matches ``SA`` and
    ``sa account`` but never ``sales`` or ``visa``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", role)
    tokens = [t for t in role_key(spaced).split("-") if t]
    runs = {"".join(tokens[i : i + n]) for n in (1, 2, 3) for i in range(len(tokens) - n + 1)}
    for word in words:
        word = word.replace("-", "")
        if word in runs:
            return True
        if len(word) >= _ADMIN_AFFIX_MIN and any(
            run.startswith(word) or run.endswith(word) for run in runs
        ):
            return True
    return False


def _grant_changes(
    grant_id: int,
    person: str,
    system: str,
    role: str,
    expires_on: date | None,
    rule: str | None,
    justification: str,
) -> list[audit.Change]:
    changes = [
        audit.Change("access_grant", grant_id, "grant", "person", None, person),
        audit.Change("access_grant", grant_id, "grant", "system", None, system),
        audit.Change("access_grant", grant_id, "grant", "role", None, role),
    ]
    if expires_on is not None:
        after = f"{expires_on.isoformat()} ({rule})" if rule else expires_on
        changes.append(audit.Change("access_grant", grant_id, "grant", "expires_on", None, after))
    if justification:
        changes.append(
            audit.Change("access_grant", grant_id, "grant", "justification", None, justification)
        )
    return changes


# --------------------------------------------------------------------------- verbs


def grant(
    session: Session,
    engagement: Engagement,
    *,
    person: str,
    system: str,
    role: str,
    expires: str | None = None,
    justification: str = "",
) -> AccessGrant:
    """Record a new grant; the approver is the acting user.

    Refused (exit 1): an identical grant (same person, system and role, compared by
    ``role_key``) still in force, also when a concurrent writer recorded it first (the
    partial unique index ``uq_grant_in_force`` decides).

    Recorded with a warning (``session.info["warnings"]``), because recording access that
    exists is how it gets revoked: a person already released; an expiry already past.
    ``access review`` then lists the grant as a high finding until it is revoked."""
    role = _role(role)
    key = role_key(role)
    justification = clean_text(justification or "", "the justification").strip()
    no_secrets(justification, "the justification")
    who = get_person(session, engagement, person)
    target = get_system(session, engagement, system)
    expires_on, rule = resolve_expiry(_phases(session, engagement), expires)
    now = today()
    existing = session.execute(
        select(AccessGrant.id, AccessGrant.role).where(
            AccessGrant.person_id == who.id,
            AccessGrant.system_id == target.id,
            AccessGrant.role_key == key,
            AccessGrant.revoked_at.is_(None),
        )
    ).first()
    if existing is not None:
        raise Refused(_already_holds(who.name, existing.role, target.name, existing.id))
    row = AccessGrant(
        engagement_id=engagement.id,
        person_id=who.id,
        system_id=target.id,
        role=role,
        role_key=key,
        justification=justification,
        approver=audit.actor(session),
        granted_at=utcnow(),
        expires_on=expires_on,
        expires_rule=rule,
    )
    person_name, system_name = who.name, target.name  # a failed flush expires the rows
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        # A concurrent writer recorded the same grant after the check above (PostgreSQL:
        # this insert waited for it to commit). The transaction is void; nothing is saved.
        if unique_violation(exc) is None:
            raise
        raise Refused(_already_holds(person_name, role, system_name, None)) from None
    for problem in _recorded_anyway(who.name, who.release_date, expires_on, now):
        warn(session, f"grant #{row.id}: {problem}")
    handover.reconcile(
        session,
        engagement,
        grants=[row.id],
        events=_grant_changes(row.id, who.name, target.name, role, expires_on, rule, justification),
    )
    return row


def revoke(
    session: Session,
    engagement: Engagement,
    grant_id: int | str,
    *,
    reason: str | None = None,
    expected_version: int | None = None,
) -> AccessGrant:
    """Revoke a grant (once); its handover revoke item resolves in the same transaction."""
    reason = no_secrets(clean_text(reason or "", "the reason"), "the reason") or None
    row = get_by_id(session, AccessGrant, engagement, grant_id, "grant")
    check_version(session, row, expected_version, "access_grant", str(row.id))
    if row.revoked_at is not None:
        raise Refused(
            f"grant {row.id} was already revoked by {row.revoked_by} on {row.revoked_at:%Y-%m-%d}"
        )
    row.revoked_at = utcnow()
    row.revoked_by = audit.actor(session)
    row.revoke_reason = reason
    session.add(row)
    session.flush()
    changes = [audit.Change("access_grant", row.id, "revoke", "revoked_at", None, row.revoked_at)]
    if reason:
        changes.append(
            audit.Change("access_grant", row.id, "revoke", "revoke_reason", None, reason)
        )
    handover.reconcile(session, engagement, grants=[row.id], events=changes)
    return row


def list_grants(
    session: Session,
    engagement: Engagement,
    *,
    active: bool = False,
    expiring_days: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Grants as plain rows, newest first, in one query. ``active``: neither revoked nor
    past expiry. ``expiring_days``: not revoked, expiring between today and N days ahead."""
    now = today()
    stmt = (
        select(
            AccessGrant.id,
            Person.name.label("person"),
            Person.side.label("side"),
            System.name.label("system"),
            AccessGrant.role,
            AccessGrant.justification,
            AccessGrant.approver,
            AccessGrant.granted_at,
            AccessGrant.expires_on,
            AccessGrant.expires_rule,
            AccessGrant.revoked_at,
            AccessGrant.revoked_by,
            AccessGrant.revoke_reason,
            AccessGrant.version,
        )
        .join(Person, Person.id == AccessGrant.person_id)
        .join(System, System.id == AccessGrant.system_id)
        .where(AccessGrant.engagement_id == engagement.id)
        .order_by(AccessGrant.id.desc())
        .offset(offset)
    )
    if active or expiring_days is not None:
        stmt = stmt.where(AccessGrant.revoked_at.is_(None))
    if active:
        stmt = stmt.where((AccessGrant.expires_on.is_(None)) | (AccessGrant.expires_on >= now))
    if expiring_days is not None:
        if expiring_days < 0:
            raise BadInput("--expiring takes a number of days, 0 or more")
        # No accepted date lies past MAX_YEAR: a longer window means "every expiry ahead".
        days = min(expiring_days, (date(MAX_YEAR, 12, 31) - now).days)
        stmt = stmt.where(
            AccessGrant.expires_on >= now,
            AccessGrant.expires_on <= now + timedelta(days=days),
        )
    if limit is not None:
        stmt = stmt.limit(limit)
    out = []
    for row in session.execute(stmt):
        data = dict(row._mapping)
        data["status"] = status_of(row.revoked_at, row.expires_on, now)
        out.append(data)
    return out


def review(
    session: Session,
    engagement: Engagement,
    *,
    admin_roles: str | list[str] | tuple[str, ...] | None = None,
) -> list[dict[str, Any]]:
    """Least-privilege findings, most severe first, in three queries:

    - high: admin-like role without a justification; grant still in force for a person
      past their release date; grant past its expiry and not revoked;
    - medium: grant with no expiry; provider person presenting or attending KT on a
      system they have no active grant on.
    """
    words = admin_role_words(admin_roles)
    return _findings(session, [engagement.id], words).get(engagement.id, [])


def high_finding_counts(session: Session, engagement_ids: list[int]) -> dict[int, int]:
    """Open high findings per engagement, for many engagements in a fixed number of queries.

    The same findings as ``review`` counts as high, counted in the database: grants past
    their expiry, grants of released people still in force, and admin-like grants without a
    justification (only the grants whose role is admin-like are read)."""
    if not engagement_ids:
        return {}
    now = today()
    words = admin_role_words(None)
    live = (AccessGrant.engagement_id.in_(engagement_ids), AccessGrant.revoked_at.is_(None))
    counts: dict[int, int] = defaultdict(int)
    expired = select(AccessGrant.engagement_id, func.count()).where(
        *live, AccessGrant.expires_on < now
    )
    released = (
        select(AccessGrant.engagement_id, func.count())
        .join(Person, Person.id == AccessGrant.person_id)
        .where(
            *live,
            Person.release_date < now,
            or_(AccessGrant.expires_on.is_(None), AccessGrant.expires_on >= now),
        )
    )
    for query in (expired, released):
        for eid, n in session.execute(query.group_by(AccessGrant.engagement_id)):
            counts[eid] += n
    roles = session.execute(select(AccessGrant.role).where(*live).distinct()).scalars()
    admin = [role for role in roles if is_admin_like(role, words)]
    if admin:
        for eid, justification in session.execute(
            select(AccessGrant.engagement_id, AccessGrant.justification).where(
                *live, AccessGrant.role.in_(admin)
            )
        ):
            if not justification.strip():
                counts[eid] += 1
    return dict(counts)


def _findings(
    session: Session, engagement_ids: list[int], words: tuple[str, ...]
) -> dict[int, list[dict[str, Any]]]:
    now = today()
    by_engagement: dict[int, list[dict[str, Any]]] = defaultdict(list)
    active_pairs: set[tuple[int, int]] = set()
    for row in session.execute(
        select(
            AccessGrant.engagement_id,
            AccessGrant.id,
            AccessGrant.person_id,
            AccessGrant.system_id,
            AccessGrant.role,
            AccessGrant.justification,
            AccessGrant.expires_on,
            Person.name.label("person"),
            Person.release_date,
            System.name.label("system"),
        )
        .join(Person, Person.id == AccessGrant.person_id)
        .join(System, System.id == AccessGrant.system_id)
        .where(AccessGrant.engagement_id.in_(engagement_ids), AccessGrant.revoked_at.is_(None))
        .order_by(AccessGrant.id)
    ):

        def add(kind: str, severity: str, message: str, row: Any = row) -> None:
            by_engagement[row.engagement_id].append(
                {
                    "kind": kind,
                    "severity": severity,
                    "grant_id": row.id,
                    "person": row.person,
                    "system": row.system,
                    "role": row.role,
                    "message": message,
                }
            )

        expired = row.expires_on is not None and row.expires_on < now
        if not expired:
            active_pairs.add((row.person_id, row.system_id))
        if expired:
            add(
                "expired_not_revoked",
                "high",
                f"expired on {row.expires_on} but not revoked: revoke it",
            )
        if row.expires_on is None:
            add("no_expiry", "medium", f"{row.role} has no expiry date")
        if not row.justification.strip() and is_admin_like(row.role, words):
            add(
                "admin_without_justification",
                "high",
                f"admin-like role {row.role!r} without a justification",
            )
        if not expired and row.release_date is not None and row.release_date < now:
            add(
                "released_person",
                "high",
                f"{row.person} was released on {row.release_date}; the grant is still active",
            )
    seen: set[tuple[int, int]] = set()
    for eid, person_id, pname, system_id, sname in session.execute(
        select(
            KTSession.engagement_id,
            KTParticipant.person_id,
            Person.name,
            KTSession.system_id,
            System.name,
        )
        .join(KTSession, KTSession.id == KTParticipant.session_id)
        .join(Person, Person.id == KTParticipant.person_id)
        .join(System, System.id == KTSession.system_id)
        .where(
            KTSession.engagement_id.in_(engagement_ids),
            Person.side == "provider",
            System.removed_at.is_(None),
        )
        .order_by(Person.slug, System.slug)
    ):
        pair = (person_id, system_id)
        if pair in active_pairs or pair in seen:
            continue
        seen.add(pair)
        by_engagement[eid].append(
            {
                "kind": "missing_access",
                "severity": "medium",
                "grant_id": None,
                "person": pname,
                "system": sname,
                "role": None,
                "message": f"{pname} takes part in KT on {sname} but has no active grant on it",
            }
        )
    for findings in by_engagement.values():
        findings.sort(key=lambda f: (SEVERITY_ORDER[f["severity"]], f["kind"], f["grant_id"] or 0))
    return dict(by_engagement)


def high_findings(session: Session, engagement: Engagement) -> list[dict[str, Any]]:
    return [f for f in review(session, engagement) if f["severity"] == "high"]


def on_milestones_changed(session: Session, engagement: Engagement) -> int:
    """Re-resolve milestone-relative expiries of grants still in force; one audit event per
    grant whose date moved. Returns how many moved."""
    rows = session.execute(
        select(AccessGrant.id, AccessGrant.expires_rule, AccessGrant.expires_on).where(
            AccessGrant.engagement_id == engagement.id,
            AccessGrant.revoked_at.is_(None),
            AccessGrant.expires_rule.is_not(None),
        )
    ).all()
    if not rows:
        return 0
    phases = _phases(session, engagement)
    moved = []
    for gid, rule, current in rows:
        try:
            resolved = resolve_expiry(phases, rule)[0]
        except BadInput:
            continue  # the rule names a phase this engagement no longer has: keep the date
        if resolved != current:
            moved.append((gid, rule, current, resolved))
    if not moved:
        return 0
    table = AccessGrant.__table__
    session.execute(
        update(table)
        .where(table.c.id == bindparam("gid"))
        .values(expires_on=bindparam("new"), version=table.c.version + 1),
        [{"gid": gid, "new": new} for gid, _, _, new in moved],
    )
    audit.record_many(
        session,
        engagement.id,
        [
            audit.Change("access_grant", gid, "reschedule", "expires_on", old, f"{new} ({rule})")
            for gid, rule, old, new in moved
        ],
    )
    for obj in list(session.identity_map.values()):
        if isinstance(obj, AccessGrant):
            session.expire(obj)
    return len(moved)


# --------------------------------------------------------------------------- CSV import


def _read_csv(path: Path) -> str:
    try:
        raw = read_input(path, MAX_CSV_BYTES, kind="CSV")
    except Unreadable as exc:
        raise BadInput(str(exc)) from None
    if b"\x00" in raw:
        raise BadInput(f"{path}: contains NUL bytes; not a CSV text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValidationFailed([f"{path}:{line}: not valid UTF-8 (byte {exc.start})"]) from None


def import_csv(
    session: Session,
    engagement: Engagement,
    path: Path | str,
    *,
    create_missing: bool = False,
    side: str = "provider",
) -> dict[str, Any]:
    """Import grants from a CSV with the header ``person,system,role,expires,justification``
    (any order). Every bad row is reported as ``file:LINE: problem`` and then nothing is
    imported. Unknown people and systems are errors unless ``create_missing``: then people
    are created on ``side`` (default provider) and systems at tier 2."""
    path = Path(path)
    text = _read_csv(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    errors: list[str] = []
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ValidationFailed([f"{path}:1: {exc}"]) from None
    if header is None:
        raise ValidationFailed(
            [f"{path}:1: empty file: expected the header {','.join(CSV_COLUMNS)}"]
        )
    names = [h.strip().lower() for h in header]
    counts = Counter(names)
    dupes = sorted(n for n, k in counts.items() if k > 1)
    extra = [n or "(empty)" for n in names if n not in CSV_COLUMNS]
    missing = [c for c in CSV_COLUMNS if c not in counts]

    def listed(values: list[str]) -> str:  # a header of thousands of columns stays one line
        shown = ", ".join(v[:40] for v in values[:10])
        return shown + (f" … and {len(values) - 10:,} more" if len(values) > 10 else "")

    if dupes:
        errors.append(f"{path}:1: duplicate column(s): {listed(dupes)}")
    if extra:
        errors.append(f"{path}:1: unknown column(s): {listed(extra)}")
    if missing:
        errors.append(f"{path}:1: missing column(s): {', '.join(missing)}")
    if errors:
        errors.append(f"{path}:1: the header must be exactly {','.join(CSV_COLUMNS)} (any order)")
        raise ValidationFailed(errors)
    index = {name: i for i, name in enumerate(names)}

    eid = engagement.id
    people: dict[str, tuple[int, str, Any]] = {}
    for pid, slug, name, release in session.execute(
        select(Person.id, Person.slug, Person.name, Person.release_date).where(
            Person.engagement_id == eid
        )
    ):  # rows stored under the first release's slug are found by their name's slug too
        people[slug] = (pid, name, release)
        people.setdefault(slugify(name), (pid, name, release))
    systems_all: dict[str, tuple[int, str, Any]] = {}
    for sid, slug, name, removed in session.execute(
        select(System.id, System.slug, System.name, System.removed_at).where(
            System.engagement_id == eid
        )
    ):
        systems_all[slug] = (sid, name, removed)
        systems_all.setdefault(slugify(name), (sid, name, removed))
    in_force: dict[tuple[int, int, str], int] = {}
    for gid, pid, sid, key in session.execute(
        select(
            AccessGrant.id, AccessGrant.person_id, AccessGrant.system_id, AccessGrant.role_key
        ).where(AccessGrant.engagement_id == eid, AccessGrant.revoked_at.is_(None))
    ):
        in_force[(pid, sid, key)] = gid
    now = today()
    refusals: list[str] = []  # rows a rule refuses (exit 1), unlike bad rows (exit 2)
    warnings: list[str] = []
    phases = _phases(session, engagement)

    parsed: list[dict[str, Any]] = []
    new_people: dict[str, str] = {}
    new_systems: dict[str, str] = {}
    seen: dict[tuple[str, str, str], int] = {}
    line = 1
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(f"{path}:{reader.line_num}: {exc}")
            break
        line = reader.line_num
        if not cells or all(not c.strip() for c in cells):
            continue
        where = f"{path}:{start}"
        if len(cells) != len(names):
            errors.append(f"{where}: expected {len(names)} fields, found {len(cells)}")
            continue
        value = {col: cells[index[col]].strip() for col in CSV_COLUMNS}
        problems: list[str] = []
        try:
            pname = clean_name(value["person"], "person", field_limit(Person, "name"))
        except TransitionError as exc:
            problems.append(exc.message)
            pname = None
        try:
            sname = clean_name(value["system"], "system", field_limit(System, "name"))
        except TransitionError as exc:
            problems.append(exc.message)
            sname = None
        try:
            role = _role(value["role"])
        except TransitionError as exc:
            problems.append(exc.message)
            role = None
        try:
            expires_on, rule = resolve_expiry(phases, value["expires"])
        except TransitionError as exc:
            problems.append(exc.message)
            expires_on, rule = None, None
        try:
            no_secrets(clean_text(value["justification"], "justification"), "justification")
        except TransitionError as exc:
            problems.append(exc.message)
        pslug = slugify(pname) if pname else None
        sslug = slugify(sname) if sname else None
        if pslug and pslug not in people:
            if create_missing:
                new_people.setdefault(pslug, pname)
            else:
                problems.append(
                    f"unknown person {pname!r} (add them first, or import with --create-missing)"
                )
        if sslug:
            known = systems_all.get(sslug)
            if known is not None and known[2] is not None:
                problems.append(f"system {sname!r} was removed from scope")
            elif known is None:
                if create_missing:
                    new_systems.setdefault(sslug, sname)
                else:
                    problems.append(
                        f"unknown system {sname!r} (add it first, or import with --create-missing)"
                    )
        if pslug and sslug and role:
            dup_key = (pslug, sslug, role_key(role))
            if dup_key in seen:
                # A file that repeats itself is bad input, not a refusal.
                problems.append(f"same person, system and role as line {seen[dup_key]}")
            else:
                seen[dup_key] = start
            if pslug in people and sslug in systems_all:
                existing = in_force.get((people[pslug][0], systems_all[sslug][0], dup_key[2]))
                if existing is not None:
                    refusals.append(
                        f"{where}: {pname} already holds {role} on {sname} (grant {existing})"
                    )
        if problems:
            errors.extend(f"{where}: {p}" for p in problems)
            continue
        release = people[pslug][2] if pslug in people else None
        warnings.extend(
            f"{where}: {problem}" for problem in _recorded_anyway(pname, release, expires_on, now)
        )
        parsed.append(
            {
                "person": pslug,
                "system": sslug,
                "role": role,
                "role_key": role_key(role),
                "expires_on": expires_on,
                "rule": rule,
                "justification": value["justification"],
            }
        )
    if errors:  # bad input first: the file must be fixed whatever else it holds
        errors = sorted(errors + refusals, key=_line_order)
        raise ValidationFailed(
            errors, summary=f"{path}: {len(errors)} problem(s); nothing was imported"
        )
    if refusals:
        raise Refused(
            f"{path}: {len(refusals)} row(s) duplicate a grant in force; nothing was imported",
            details=refusals,
        )
    if not parsed:
        raise BadInput(f"{path}: no grant rows below the header; nothing was imported")

    changes: list[audit.Change] = []
    if new_people:
        from transition.services.people import SIDES

        if side not in SIDES:
            raise BadInput(f"invalid side {side!r}: choose one of {', '.join(SIDES)}")
        rows = [
            {
                "engagement_id": eid,
                "slug": slug,
                "name": name,
                "side": side,
                "version": 1,
            }
            for slug, name in sorted(new_people.items())  # one lock order for every writer
        ]
        try:
            ids = handover.bulk_insert(session, Person, rows)
        except IntegrityError as exc:
            if unique_violation(exc) is None:
                raise
            raise _raced(path) from None
        for pid, row in zip(ids, rows, strict=True):
            people[row["slug"]] = (pid, row["name"], None)
            changes.append(audit.Change("person", pid, "create", "side", None, side))
    created_systems: list[int] = []
    if new_systems:
        rows = [
            {
                "engagement_id": eid,
                "slug": slug,
                "name": name,
                "tier": 2,
                "description": "",
                "version": 1,
            }
            for slug, name in sorted(new_systems.items())
        ]
        try:
            ids = handover.bulk_insert(session, System, rows)
        except IntegrityError as exc:
            if unique_violation(exc) is None:
                raise
            raise _raced(path) from None
        for sid, row in zip(ids, rows, strict=True):
            systems_all[row["slug"]] = (sid, row["name"], None)
            created_systems.append(sid)
            changes.append(audit.Change("system", sid, "create", "tier", None, 2))

    # Rows inserted in key order: concurrent imports then wait on one another's keys in the
    # same order, so they never deadlock (PostgreSQL); the loser meets the unique index.
    parsed.sort(key=lambda p: (people[p["person"]][0], systems_all[p["system"]][0], p["role_key"]))
    now, who = utcnow(), audit.actor(session)
    grant_rows = [
        {
            "engagement_id": eid,
            "person_id": people[p["person"]][0],
            "system_id": systems_all[p["system"]][0],
            "role": p["role"],
            "role_key": p["role_key"],
            "justification": p["justification"],
            "approver": who,
            "granted_at": now,
            "expires_on": p["expires_on"],
            "expires_rule": p["rule"],
            "version": 1,
        }
        for p in parsed
    ]
    try:
        grant_ids = handover.bulk_insert(session, AccessGrant, grant_rows)
    except IntegrityError as exc:
        if unique_violation(exc) is None:
            raise
        raise _raced(path) from None
    for gid, p in zip(grant_ids, parsed, strict=True):
        changes.extend(
            _grant_changes(
                gid,
                people[p["person"]][1],
                systems_all[p["system"]][1],
                p["role"],
                p["expires_on"],
                p["rule"],
                p["justification"],
            )
        )
    sync = handover.reconcile(
        session, engagement, grants=grant_ids, systems=created_systems, events=changes
    )
    for message in warnings:
        warn(session, message)
    return {
        "imported": len(grant_ids),
        "warnings": warnings,
        "people_created": sorted(new_people.values()),
        "systems_created": sorted(new_systems.values()),
        "handover": sync,
    }


def _line_order(message: str) -> tuple[int, str]:
    match = re.search(r":(\d+): ", message)
    return (int(match.group(1)) if match else 0, message)


def _raced(path: Path) -> Refused:
    return Refused(
        f"{path}: another change recorded some of these grants (or created these people or "
        "systems) a moment ago; an identical grant already exists; nothing was imported"
    )
