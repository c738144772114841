"""``access list``: the grants of an engagement, newest first, filtered and sorted.

``list_grants`` reads read models (the TUI, the handover pack); ``grant_records`` and
``grant_table`` read the plain rows ``access list`` prints (``--json`` and the table): one
query each, every value ready to print as it comes from the database, no model per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, timedelta
from typing import Any

from sqlalchemy import Date, DateTime, Select, String, case, cast, func, select, type_coerce
from sqlalchemy.types import UserDefinedType
from sqlmodel import Session

from transition.dates import MAX_YEAR, today
from transition.errors import BadInput
from transition.models import AccessGrant, Person, System
from transition.services import textmatch
from transition.services.access_rules import status_of
from transition.services.common import EngagementRef, engagement_of
from transition.services.views.access import GrantView

#: The columns of a grant as ``access list`` shows it, in one query with its names.
COLUMNS = (
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

#: What the grant list can be sorted by (the Access tab's columns).
GRANT_SORTS = ("id", "person", "system", "role", "expires", "status", "why")

#: The fields of a row of ``grant_records``: ``GrantView``'s, in its order.
GRANT_FIELDS = (*(c.key for c in COLUMNS), "status")

#: The fields of a row of ``grant_table``: the columns of ``access list``'s table.
GRANT_TABLE_FIELDS = ("id", "person", "system", "role", "status", "expires", "granted", "approver")


def view(row: Any, now: date, **names: str) -> GrantView:
    """A grant (a row of ``COLUMNS``, or the ORM row with ``person``, ``side`` and
    ``system`` given) as its read model."""
    data = (
        dict(row._mapping)
        if hasattr(row, "_mapping")
        else {c.key: getattr(row, c.key) for c in COLUMNS if c.key not in names}
    )
    data.update(names)
    data["status"] = status_of(data["revoked_at"], data["expires_on"], now)
    return GrantView.model_validate(data)


def list_grants(
    session: Session,
    engagement: EngagementRef,
    *,
    active: bool = False,
    expiring_days: int | None = None,
    text: str | None = None,
    sort: str | None = None,
    descending: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[GrantView]:
    """Grants, newest first, in one query. ``active``: neither revoked nor past expiry.
    ``expiring_days``: not revoked, expiring between today and N days ahead. ``text``:
    every word of it in the grant's number, person, system, role, expiry (``never``),
    status or justification (any case, any script). ``sort``: one of ``GRANT_SORTS``
    (empty values last), else newest first."""
    now = today()
    stmt = select(*COLUMNS)
    stmt = _filtered(
        session, stmt, engagement, active, expiring_days, now, text, sort, descending
    ).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [view(row, now) for row in session.execute(stmt)]


class _Stored(UserDefinedType):
    """A stored date or UTC timestamp read straight into what is printed of it, one call
    per value (None stays None): ``iso`` a timestamp's ISO text (``Timestamp``'s JSON),
    ``date`` a date's, ``utc`` the aware UTC timestamp (the models' ``UTCDateTime``)."""

    cache_ok = True

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def get_col_spec(self, **kw: Any) -> str:  # never created: only read
        return "DATE" if self.kind == "date" else "TIMESTAMP"

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any]:
        base = Date() if self.kind == "date" else DateTime(timezone=True)
        parse = base.dialect_impl(dialect).result_processor(dialect, coltype) or _same
        convert = _date(parse) if self.kind == "date" else self._stamp(parse)
        seen: dict[Any, Any] = {}

        def once(value: Any) -> Any:
            """``convert`` of a stored value, worked out once per distinct value (rows
            recorded together share theirs: an import's grants)."""
            if value is None:
                return None
            found = seen.get(value)
            if found is None:
                if len(seen) > _SEEN:
                    seen.clear()
                found = seen[value] = convert(value)
            return found

        return once

    def _stamp(self, parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
        iso = self.kind == "iso"

        def process(value: Any) -> Any:
            value = parse(value)
            if value.tzinfo is None:  # SQLite's: stored in UTC
                # (what the aware value's isoformat() writes, without building it)
                return value.isoformat() + "+00:00" if iso else value.replace(tzinfo=UTC)
            value = value.astimezone(UTC)
            return value.isoformat() if iso else value

        return process


def _date(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: parse(value).isoformat()


#: Distinct stored values a column remembers the conversion of (then starts afresh).
_SEEN = 4096


def _same(value: Any) -> Any:
    return value


_ISO_TIMESTAMP = _Stored("iso")
_ISO_DATE = _Stored("date")
_TIMESTAMP = _Stored("utc")


def grant_records(
    session: Session,
    engagement: EngagementRef,
    *,
    active: bool = False,
    expiring_days: int | None = None,
) -> Iterator[tuple[Any, ...]]:
    """``list_grants`` as plain rows of the values of ``GRANT_FIELDS`` (``access list
    --json``; dates and timestamps as their ISO text, as ``GrantView`` dumps them): one
    query, no model per row. The statement runs now (an unknown engagement or a bad
    filter is refused before anything is printed)."""
    now = today()
    g = AccessGrant
    stmt = select(
        g.id,
        Person.name,
        Person.side,
        System.name,
        g.role,
        g.justification,
        g.approver,
        type_coerce(g.granted_at, _ISO_TIMESTAMP),
        type_coerce(g.expires_on, _ISO_DATE),
        g.expires_rule,
        type_coerce(g.revoked_at, _ISO_TIMESTAMP),
        g.revoked_by,
        g.revoke_reason,
        g.version,
        _status(now),
    )
    stmt = _filtered(session, stmt, engagement, active, expiring_days, now)
    return _rows(session.connection().execute(stmt))


def grant_table(
    session: Session,
    engagement: EngagementRef,
    *,
    active: bool = False,
    expiring_days: int | None = None,
) -> list[tuple[Any, ...]]:
    """``list_grants`` as the rows of ``access list``'s table: the values of
    ``GRANT_TABLE_FIELDS`` (``expires`` as ``GrantView.expires`` shows it, ``granted``
    the aware UTC timestamp). One query."""
    now = today()
    g = AccessGrant
    stmt = select(
        g.id,
        Person.name,
        System.name,
        g.role,
        _status(now),
        type_coerce(g.expires_on, _ISO_DATE),
        g.expires_rule,
        type_coerce(g.granted_at, _TIMESTAMP),
        g.approver,
    )
    stmt = _filtered(session, stmt, engagement, active, expiring_days, now)
    rows = []
    for gid, person, system, role, status, expires, rule, granted, approver in _rows(
        session.connection().execute(stmt)
    ):
        if rule and expires is not None:
            expires = f"{expires} ({rule})"
        rows.append((gid, person, system, role, status, expires, granted, approver))
    return rows


def _rows(result: Any) -> Iterator[Any]:
    """The rows of ``result``, fetched a thousand at a time (not one by one)."""
    for chunk in result.partitions(1000):
        yield from chunk


def _status(now: date) -> Any:
    """A grant's status (``access_rules.status_of``) in SQL."""
    return case(
        (AccessGrant.revoked_at.is_not(None), "revoked"),
        (AccessGrant.expires_on < now, "expired"),
        else_="active",
    )


def _filtered(
    session: Session,
    stmt: Select,
    engagement: EngagementRef,
    active: bool,
    expiring_days: int | None,
    now: date,
    text: str | None = None,
    sort: str | None = None,
    descending: bool = False,
) -> Select:
    """``stmt`` (columns of grants) from the engagement's grants with their person and
    system, filtered and ordered as ``list_grants`` describes."""
    engagement = engagement_of(session, engagement)
    status = _status(now)
    columns = {
        "id": AccessGrant.id,
        "person": textmatch.folded(Person.name),
        "system": textmatch.folded(System.name),
        "role": textmatch.folded(AccessGrant.role),
        "expires": AccessGrant.expires_on,
        "status": status,
        "why": textmatch.folded(AccessGrant.justification),
    }
    order = [*textmatch.ordering(sort, descending, columns, "grants"), AccessGrant.id.desc()]
    stmt = (
        stmt.select_from(AccessGrant)
        .join(Person, Person.id == AccessGrant.person_id)
        .join(System, System.id == AccessGrant.system_id)
        .where(AccessGrant.engagement_id == engagement.id)
        .order_by(*order)
    )
    if text:
        stmt = stmt.where(
            textmatch.matches(
                text,
                AccessGrant.id,
                Person.name,
                System.name,
                AccessGrant.role,
                func.coalesce(cast(AccessGrant.expires_on, String), "never"),
                status,
                AccessGrant.justification,
            )
        )
    if active or expiring_days is not None:
        stmt = stmt.where(AccessGrant.revoked_at.is_(None))
    if active:
        stmt = stmt.where((AccessGrant.expires_on.is_(None)) | (AccessGrant.expires_on >= now))
    if expiring_days is not None:
        if expiring_days < 0:
            raise BadInput("--expiring takes a number of days, 0 or more", field="expiring_days")
        # No accepted date lies past MAX_YEAR: a longer window means "every expiry ahead".
        days = min(expiring_days, (date(MAX_YEAR, 12, 31) - now).days)
        stmt = stmt.where(
            AccessGrant.expires_on >= now,
            AccessGrant.expires_on <= now + timedelta(days=days),
        )
    return stmt
