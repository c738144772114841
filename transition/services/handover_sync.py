"""Derived handover items kept in step with their sources.

Derived items, one per source, have stable keys: ``grant:{id}:revoke`` for every access
grant, ``system:{id}:reverse-kt`` for every system, ``runbook:{id}:hand-back`` for every
runbook. They are never ticked by hand: ``reconcile`` moves them.

``reconcile(session, engagement, grants=…, systems=…, runbooks=…)`` computes the status
each derived item should have from its source and applies the differences with a few
set-based statements, inside the caller's transaction:

- an active grant (also one past its expiry but not revoked) → its revoke item ``open``;
- a revoked grant → its item ``resolved``;
- a removed (or deleted) system → its reverse-KT item and the items of its grants and
  runbooks ``retired``; a deleted grant or runbook → its item ``retired``;
- a source coming back → its item ``open`` again (``reopened``).

Running it again changes nothing. Every change is an audit event. A source created in
the transaction (a runbook just generated) gets its item from ``derive_new`` instead: one
insert that skips a key already taken, leaving that case to ``reconcile``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, TypedDict

from sqlalchemy import (
    bindparam,
    or_,
    select,
    update,
)
from sqlmodel import Session

from transition.dates import utcnow
from transition.models import AccessGrant, HandoverItem, Person, Runbook, System
from transition.services import audit
from transition.services.common import EngagementRef, dialect_insert, engagement_of
from transition.services.rows import bulk_insert, insert_keyed

ENTITY = "handover_item"
_CHUNK = 1000
_SCOPED_MAX = 500

# Derived sections, shown after the checklist's own sections in this order.
DERIVED = {
    "grant": {
        "section": "access-grants",
        "section_title": "Access grants to revoke",
        "owner": "security-officer",
        "position": 1_000_000_000,
    },
    "runbook": {
        "section": "runbooks",
        "section_title": "Runbooks to hand back",
        "owner": "provider-lead",
        "position": 1_100_000_000,
    },
    "system": {
        "section": "reverse-kt",
        "section_title": "Reverse KT to the successor",
        "owner": "transition-manager",
        "position": 1_200_000_000,
    },
}
_SUFFIX = {"grant": "revoke", "runbook": "hand-back", "system": "reverse-kt"}
_TARGET_COUNT = {"open": "reopened", "resolved": "resolved", "retired": "retired"}


def derived_key(kind: str, source_id: int) -> str:
    return f"{kind}:{source_id}:{_SUFFIX[kind]}"


def runbook_item_title(title: str, system: str) -> str:
    return f"Hand back runbook {title} ({system})"


def _derived_row(eid: int, kind: str, source_id: int, status: str, title: str) -> dict[str, Any]:
    spec = DERIVED[kind]
    return {
        "engagement_id": eid,
        "key": derived_key(kind, source_id),
        "section": spec["section"],
        "section_title": spec["section_title"],
        "title": title[:300],
        "description": "",
        "owner": spec["owner"],
        "position": spec["position"],
        "source": "derived",
        "source_kind": kind,
        "source_id": source_id,
        "checklist": None,
        "status": status,
        "version": 1,
    }


class SyncCounts(TypedDict):
    """How many derived items ``reconcile`` added, resolved, retired and reopened."""

    added: int
    resolved: int
    retired: int
    reopened: int


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


def _within(column: Any, name: str) -> Any:
    return column.in_(bindparam(name, expanding=True))


def _matches(column: Any, name: str, one: bool) -> Any:
    """``column = :name`` for a single id (the common case: one change), else an
    expanding ``IN``, which costs a rewrite of the SQL on every execution."""
    return column == bindparam(name) if one else _within(column, name)


# The statements ``reconcile`` runs, built once: it runs after every change, often many
# times in one process (generating runbooks, a script), so building and cache-keying them
# each time would cost more than running them. Plain Core columns: rows, no ORM loading.
_G, _S, _P, _R, _H = (m.__table__ for m in (AccessGrant, System, Person, Runbook, HandoverItem))
_BASE = {
    "grant": select(
        _G.c.id,
        _G.c.role,
        _G.c.revoked_at,
        _S.c.name.label("system"),
        _S.c.removed_at,
        _P.c.name.label("person"),
    ).select_from(_G.join(_S, _S.c.id == _G.c.system_id).join(_P, _P.c.id == _G.c.person_id)),
    "runbook": select(_R.c.id, _R.c.title, _S.c.name.label("system"), _S.c.removed_at).select_from(
        _R.join(_S, _S.c.id == _R.c.system_id)
    ),
    "system": select(_S.c.id, _S.c.name, _S.c.removed_at),
    "item": select(
        _H.c.id, _H.c.key, _H.c.source_kind, _H.c.source_id, _H.c.status, _H.c.title
    ).where(_H.c.source == "derived"),
}
# The engagement, checked on the row itself or, for grants and runbooks, on their system.
_OF_ENGAGEMENT = {
    "grant": _S.c.engagement_id == bindparam("eid"),
    "runbook": _S.c.engagement_id == bindparam("eid"),
    "system": _S.c.engagement_id == bindparam("eid"),
    "item": _H.c.engagement_id == bindparam("eid"),
}
_ALL = {
    "grant": _BASE["grant"].where(_G.c.engagement_id == bindparam("eid")),
    "runbook": _BASE["runbook"].where(_R.c.engagement_id == bindparam("eid")),
    "system": _BASE["system"].where(_OF_ENGAGEMENT["system"]),
    "item": _BASE["item"].where(_OF_ENGAGEMENT["item"]),
}
# What each id list selects, per statement: gids (grants), rids (runbooks), sids (systems).
_BY = {
    "grant": {"gids": _G.c.id, "sids": _G.c.system_id},
    "runbook": {"rids": _R.c.id, "sids": _R.c.system_id},
    "system": {"sids": _S.c.id},
    "item": {"gids": _H.c.source_id, "rids": _H.c.source_id, "sids": _H.c.source_id},
}
_ITEM_KIND = {"gids": "grant", "rids": "runbook", "sids": "system"}


@cache
def _scoped(what: str, lists: tuple[tuple[str, bool], ...]) -> Any:
    """``_ALL[what]`` narrowed to the rows the given (non-empty) id lists select, each
    ``(name, holds one id)``, written so that the database looks every list up by index
    instead of scanning the whole engagement: no always-false ``IN ()`` branch for an
    empty list, the engagement checked on the system (grants, runbooks) or inside each
    branch (items, whose index starts with the engagement and the kind)."""
    if what != "item":
        branches = [_matches(_BY[what][name], name, one) for name, one in lists]
        return _BASE[what].where(or_(*branches), _OF_ENGAGEMENT[what])
    branches = [
        _OF_ENGAGEMENT[what]
        & (_H.c.source_kind == _ITEM_KIND[name])
        & _matches(_BY[what][name], name, one)
        for name, one in lists
    ]
    return _BASE[what].where(or_(*branches))


def _select(conn: Any, what: str, scope: dict[str, Any], everything: bool) -> Any:
    """The rows of ``what`` in scope, fetched at once (not a fetch per row)."""
    if everything:
        return conn.execute(_ALL[what], {"eid": scope["eid"]}).all()
    lists = tuple((name, len(scope[name]) == 1) for name in _BY[what] if scope[name])
    params = {name: scope[name][0] if one else scope[name] for name, one in lists}
    params["eid"] = scope["eid"]
    return conn.execute(_scoped(what, lists), params).all()


_RETITLE = (
    update(_H)
    .where(_H.c.id == bindparam("item_id"))
    .values(title=bindparam("new_title"), version=_H.c.version + 1)
)
_MOVE = (
    update(_H)
    .where(_within(_H.c.id, "ids"))
    .values(
        status=bindparam("to_status"),
        version=_H.c.version + 1,
        resolved_at=bindparam("at"),
        resolved_by=bindparam("by"),
    )
)


def _narrowed(conn: Any, eid: int) -> Any:
    from transition.services.handover_step import out_of_step

    return out_of_step(conn, eid)


def reconcile(
    session: Session,
    engagement: EngagementRef,
    *,
    grants: Iterable[int] | None = None,
    systems: Iterable[int] | None = None,
    runbooks: Iterable[int] | None = None,
    events: Iterable[audit.Change] = (),
) -> SyncCounts:
    """Bring derived items in step with their sources (all of them when no ids are given;
    a system's id also covers its grants and runbooks). Returns counts of changes.

    ``events``: the audit events of the caller's own change, written ahead of the items'
    events in the same insert (a change and its handover consequences in one write)."""
    # A follow-on of a change already let through (or of an import restoring an archived
    # engagement as it was): the archive rule is the entry verb's to apply.
    eid = engagement_of(session, engagement, writable=False).id
    changes = list(events)
    everything = grants is None and systems is None and runbooks is None
    grant_ids = [] if everything else sorted(set(grants or ()))
    system_ids = [] if everything else sorted(set(systems or ()))
    runbook_ids = [] if everything else sorted(set(runbooks or ()))
    if len(grant_ids) + len(system_ids) + len(runbook_ids) > _SCOPED_MAX:
        # Bulk changes (an import): one pass over the whole engagement is cheaper than
        # long IN lists, and reconciling more than asked is always correct.
        everything, grant_ids, system_ids, runbook_ids = True, [], [], []
    session.flush()
    conn = session.connection()
    scope = {"eid": eid, "gids": grant_ids, "sids": system_ids, "rids": runbook_ids}

    # Desired state: key → (kind, source id, status, title).
    desired: dict[str, tuple[str, int, str, str]] = {}
    scope_grants: set[int] = set(grant_ids)
    scope_runbooks: set[int] = set(runbook_ids)
    narrowed = _narrowed(conn, eid) if everything else None
    rows_of: dict[str, list[tuple]] = {"grant": [], "runbook": [], "system": []}
    if narrowed is not None:
        for kind, row in narrowed[0].values():
            rows_of[kind].append(row)
    elif everything or grant_ids or system_ids:
        rows_of["grant"] = _select(conn, "grant", scope, everything)
    if everything or grant_ids or system_ids:
        for gid, role, revoked_at, system, removed_at, person in rows_of["grant"]:
            scope_grants.add(gid)
            # Live access stays on the checklist whatever happens to its system.
            status = "open" if not revoked_at else ("retired" if removed_at else "resolved")
            title = f"Revoke {role} access to {system} for {person}"
            desired[derived_key("grant", gid)] = ("grant", gid, status, title)
    if narrowed is None and (everything or runbook_ids or system_ids):
        rows_of["runbook"] = _select(conn, "runbook", scope, everything)
    if narrowed is None and (everything or system_ids):
        rows_of["system"] = _select(conn, "system", scope, everything)
    if everything or runbook_ids or system_ids:
        for rid, title, system, removed_at in rows_of["runbook"]:
            scope_runbooks.add(rid)
            desired[derived_key("runbook", rid)] = (
                "runbook",
                rid,
                "retired" if removed_at else "open",
                runbook_item_title(title, system),
            )
    if everything or system_ids:
        for sid, name, removed_at in rows_of["system"]:
            desired[derived_key("system", sid)] = (
                "system",
                sid,
                "retired" if removed_at else "open",
                f"Reverse KT of {name} to the successor",
            )

    # Actual state of the derived items in scope.
    scope.update(gids=sorted(scope_grants), rids=sorted(scope_runbooks))
    counts = SyncCounts(added=0, resolved=0, retired=0, reopened=0)
    if not (everything or scope_grants or scope_runbooks or system_ids):
        audit.record_many(session, eid, changes)
        return counts
    if narrowed is not None:  # the items of those sources, and those whose source is gone
        actual = narrowed[1]
    else:
        actual = {row[1]: row for row in _select(conn, "item", scope, everything)}  # by key

    retitled = False
    new_rows: list[dict[str, Any]] = []
    moves: dict[tuple[str, str], list[int]] = {}  # (from, to) → item ids
    for key, (kind, source_id, status, title) in desired.items():
        row = actual.get(key)
        if row is None:
            new_rows.append(_derived_row(eid, kind, source_id, status, title))
            continue
        if row.status != status:
            moves.setdefault((row.status, status), []).append(row.id)
        if row.title != title[:300]:  # its source was renamed: the item follows
            conn.execute(_RETITLE, {"item_id": row.id, "new_title": title[:300]})
            changes.append(audit.Change(ENTITY, row.id, "update", "title", row.title, title[:300]))
            retitled = True
    # A derived item whose source row is gone altogether retires.
    for key, row in actual.items():
        if key not in desired and row.status != "retired":
            moves.setdefault((row.status, "retired"), []).append(row.id)

    if new_rows:
        ids = bulk_insert(session, HandoverItem, new_rows)
        changes.extend(
            audit.Change(ENTITY, item_id, "derive", "status", None, row["status"])
            for item_id, row in zip(ids, new_rows, strict=True)
        )
        counts["added"] = len(new_rows)
    if moves:
        now, who = utcnow(), audit.actor(session)
        for (before, after), ids_ in moves.items():
            reopened = after == "open"
            for chunk in _chunks(sorted(ids_)):
                conn.execute(
                    _MOVE,
                    {
                        "ids": list(chunk),
                        "to_status": after,
                        "at": None if reopened else now,
                        "by": None if reopened else who,
                    },
                )
            action = {"open": "reopen", "resolved": "resolve", "retired": "retire"}[after]
            changes.extend(
                audit.Change(ENTITY, item_id, action, "status", before, after)
                for item_id in sorted(ids_)
            )
            counts[_TARGET_COUNT[after]] += len(ids_)  # type: ignore[literal-required]
    audit.record_many(session, eid, changes)
    if new_rows or moves or retitled:
        # ORM copies of items changed above are stale now.
        for obj in list(session.identity_map.values()):
            if isinstance(obj, HandoverItem):
                session.expire(obj)
    return counts


def _derive_statement(session: Session) -> Any:
    """Insert an item unless its key is taken (PostgreSQL hands the id back)."""
    stmt = dialect_insert(session)(_H).on_conflict_do_nothing(
        index_elements=["engagement_id", "key"]
    )
    return stmt.returning(_H.c.id) if session.get_bind().dialect.name == "postgresql" else stmt


_SCOPE_OF = {"grant": "grants", "runbook": "runbooks", "system": "systems"}


def derive_new(
    session: Session,
    engagement: EngagementRef,
    kind: str,
    source_id: int,
    title: str,
    *,
    events: Iterable[audit.Change] = (),
) -> None:
    """The derived item of a source created in this transaction, on an active system (a
    runbook just generated): open, with the caller's ``events`` and its own ``derive``
    event, in two inserts, without reading what ``reconcile`` would read to learn it.
    Should an item with its key exist already, ``reconcile`` decides instead."""
    engagement = engagement_of(session, engagement)
    dialect = session.get_bind().dialect.name
    stmt = _derive_statement(session)
    session.flush()
    result = session.connection().execute(
        stmt, _derived_row(engagement.id, kind, source_id, "open", title)
    )
    if dialect == "postgresql":
        item_id = result.scalar()  # no row when the key was taken
    else:
        item_id = result.inserted_primary_key[0] if result.rowcount == 1 else None
    if item_id is None:
        reconcile(session, engagement, **{_SCOPE_OF[kind]: [source_id]}, events=events)
        return
    audit.record_many(
        session,
        engagement.id,
        [*events, audit.Change(ENTITY, item_id, "derive", "status", None, "open")],
    )


def derive_many(
    session: Session,
    engagement: EngagementRef,
    kind: str,
    sources: Sequence[tuple[int, str, Sequence[audit.Change]]],
) -> None:
    """``derive_new`` for many sources created in this transaction (``(source id, item
    title, the caller's events for it)``, ids ascending): one read of the keys already
    taken (a source id reused after a delete, on SQLite), one insert of the new items and
    one read of their ids, and every event (each source's, then its item's ``derive``) in
    one insert, so the statements do not grow with the sources. A source whose key is taken is left to
    ``reconcile``, as ``derive_new`` does."""
    if not sources:
        return
    engagement = engagement_of(session, engagement)
    eid = engagement.id
    session.flush()
    taken = set(
        session.connection()
        .execute(
            select(_H.c.source_id).where(
                _H.c.engagement_id == eid,
                _H.c.source_kind == kind,
                _H.c.source_id >= min(s[0] for s in sources),
            )
        )
        .scalars()
    )
    fresh = [s for s in sources if s[0] not in taken]
    item_ids = insert_keyed(
        session,
        HandoverItem,
        [_derived_row(eid, kind, source_id, "open", title) for source_id, title, _ in fresh],
        key=("key",),
        where=_H.c.source_kind == kind,
    )
    changes: list[audit.Change] = []
    for (_, _, events), item_id in zip(fresh, item_ids, strict=True):
        changes.extend(events)
        changes.append(audit.Change(ENTITY, item_id, "derive", "status", None, "open"))
    audit.record_many(session, eid, changes)
    left = [s for s in sources if s[0] in taken]
    if left:
        reconcile(
            session,
            engagement,
            **{_SCOPE_OF[kind]: [s[0] for s in left]},
            events=[e for s in left for e in s[2]],
        )
