"""The rules of access grants, shared by the verbs, the review and the CSV import: how a
role is compared and judged admin-like, how an expiry is read, when a grant needs a second
look."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import select
from sqlmodel import Session

from transition.dates import check_range
from transition.errors import BadInput, Refused
from transition.models import AccessGrant, Engagement, Person, Phase
from transition.services import audit
from transition.settings import get_settings
from transition.text import clean_line, clean_name, field_limit
from transition.workdays import Calendar

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
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def phases_of(session: Session, engagement: Engagement) -> list[Phase]:
    return list(
        session.execute(
            select(Phase).where(Phase.engagement_id == engagement.id).order_by(Phase.position)
        ).scalars()
    )


def resolve_expiry(
    phases: list[Phase], value: str | None, calendar: Calendar | None = None
) -> tuple[date | None, str | None]:
    """``2026-12-31`` → (that date, None); ``cutover+30d`` → (resolved date, the rule);
    working days (``cutover+5bd``) count on ``calendar``, the engagement's."""
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
        return milestone(phases, text.lower(), calendar), text.lower()
    except BadInput as exc:
        raise BadInput(
            f"invalid expiry {text!r}: expected an ISO date (2026-12-31) or a milestone such "
            f"as cutover+30d, cutover+5bd or parallel-run.end ({exc.message})"
        ) from None


def clean_role(value: str) -> str:
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


def check_present(person: Person, day: date, what: str, field: str = "by") -> None:
    """Refuse ``person`` for something done on ``day`` once they have left: released with
    ``person release``, or past their release date (the date itself is their last day,
    as ``released`` reads it)."""
    if person.released_on is not None and person.released_on <= day:
        gone = person.released_on
    elif released(person.release_date, day):
        gone = person.release_date
    else:
        return
    raise Refused(
        f"{person.name} was released on {gone.isoformat()} and cannot {what} on {day.isoformat()}",
        field=field,
    )


def check_not_released(person: Person, what: str, field: str = "person") -> None:
    """Refuse ``person`` once released with ``person release`` (their roles ended with
    them). Unlike ``check_present``, a release date that has passed is not enough: what
    they held is still recorded until the release itself."""
    if person.released_on is not None:
        raise Refused(
            f"{person.name} was released on {person.released_on.isoformat()} and cannot {what}",
            field=field,
        )


def check_not_released_by(person: Person, day: date, what: str, field: str = "person") -> None:
    """Refuse ``person`` for something planned on ``day``: released with ``person release``
    (whatever the day, as ``check_not_released``: who has left takes no new part), or
    leaving before ``day`` (their release date before it; the date itself is their last
    day, as ``released`` reads it). Both name the person, their release date and ``day``."""
    check_not_released(person, f"{what} on {day.isoformat()}", field)
    if released(person.release_date, day):
        raise Refused(
            f"{person.name}'s release date is {person.release_date.isoformat()}: they cannot "
            f"{what} on {day.isoformat()}",
            field=field,
        )


def left_before(person: Person, day: date) -> date | None:
    """The day ``person`` left, when it is before ``day`` (released with ``person
    release`` before it, or their release date before it: that day is still theirs);
    None when they were still there on ``day``. What was done on a past day is judged by
    this, not by whether they have left since."""
    for gone in (person.released_on, person.release_date):
        if gone is not None and gone < day:
            return gone
    return None


def warn(session: Session, message: str) -> None:
    """A warning for the caller to show (the CLI prints ``warning:`` lines on stderr)."""
    session.info.setdefault("warnings", []).append(message)


def recorded_anyway(
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


def already_holds(person: str, role: str, system: str, grant_id: int | None) -> str:
    which = f"grant {grant_id}" if grant_id is not None else "recorded by another change just now"
    return (
        f"{person} already holds {role} on {system} ({which}); an identical grant already "
        "exists: revoke it first to change its expiry or justification"
    )


def status_of(revoked_at: datetime | None, expires_on: date | None, now: date) -> str:
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


@lru_cache(maxsize=4096)  # a review asks about the same few roles for thousands of grants
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


def grant_changes(
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
