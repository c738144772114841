"""``handover sync`` over the whole engagement, compared in the database.

Each kind's sources are joined to the item of their key, keeping only those whose item is
missing or differs in status or title; and the derived items (not retired) whose key names
no source are found by an anti-join. An engagement already in step reads no row. The
desired status and title are still worked out by ``reconcile`` in Python from the rows
read, as for a scoped run: the database only narrows them down.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import String, and_, bindparam, case, cast, exists, func, literal, or_, select

from transition.services.handover_sync import (
    _BASE,
    _G,
    _H,
    _OF_ENGAGEMENT,
    _P,
    _R,
    _S,
    _SUFFIX,
    derived_key,
)


def _key_of(kind: str, source_id: Any) -> Any:
    return literal(f"{kind}:") + cast(source_id, String) + literal(f":{_SUFFIX[kind]}")


def _item_of(kind: str, source_id: Any) -> Any:
    return (
        (_H.c.engagement_id == bindparam("eid"))
        & (_H.c.key == _key_of(kind, source_id))
        & (_H.c.source == "derived")
    )


def _differs(status: Any, title: Any) -> Any:
    return or_(
        _H.c.id.is_(None),
        _H.c.status.is_distinct_from(status),
        _H.c.title.is_distinct_from(func.substr(title, 1, 300)),
    )


class _Seen(NamedTuple):
    """A derived item as ``reconcile`` compares it."""

    id: int
    key: str
    source_kind: str
    source_id: int
    status: str
    title: str


_SEEN = (_H.c.id, _H.c.key, _H.c.source_kind, _H.c.source_id, _H.c.status, _H.c.title)
_WHEN_REMOVED = case((_S.c.removed_at.is_(None), "open"), else_="retired")
_OUT_OF_STEP = {
    "grant": _BASE["grant"]
    .add_columns(*_SEEN)
    .outerjoin(_H, _item_of("grant", _G.c.id))
    .where(
        _G.c.engagement_id == bindparam("eid"),
        _differs(
            case(
                (_G.c.revoked_at.is_(None), "open"),
                (_S.c.removed_at.is_not(None), "retired"),
                else_="resolved",
            ),
            "Revoke " + _G.c.role + " access to " + _S.c.name + " for " + _P.c.name,
        ),
    )
    .order_by(_G.c.id),
    "runbook": _BASE["runbook"]
    .add_columns(*_SEEN)
    .outerjoin(_H, _item_of("runbook", _R.c.id))
    .where(
        _R.c.engagement_id == bindparam("eid"),
        _differs(_WHEN_REMOVED, "Hand back runbook " + _R.c.title + " (" + _S.c.name + ")"),
    )
    .order_by(_R.c.id),
    "system": _BASE["system"]
    .add_columns(*_SEEN)
    .outerjoin(_H, _item_of("system", _S.c.id))
    .where(
        _OF_ENGAGEMENT["system"],
        _differs(_WHEN_REMOVED, "Reverse KT of " + _S.c.name + " to the successor"),
    )
    .order_by(_S.c.id),
}


def _has_source(kind: str, table: Any) -> Any:
    """The item's key is its own source's, and that source is still there (foreign keys
    hold a grant's or runbook's system and person: its id alone tells)."""
    found = select(literal(1)).where(
        table.c.id == _H.c.source_id, table.c.engagement_id == bindparam("eid")
    )
    return and_(_H.c.source_kind == kind, _H.c.key == _key_of(kind, _H.c.source_id), exists(found))


_GONE = (
    select(*_SEEN)
    .where(
        _OF_ENGAGEMENT["item"],
        _H.c.source == "derived",
        _H.c.status != "retired",
        case(
            (
                or_(
                    _has_source("grant", _G),
                    _has_source("runbook", _R),
                    _has_source("system", _S),
                ),
                1,
            ),
            else_=0,
        )
        == 0,
    )
    .order_by(_H.c.id)
)


def out_of_step(conn: Any, eid: int) -> tuple[dict[str, tuple], dict[str, _Seen]] | None:
    """The sources whose item is missing or differs, as ``(kind, source row)`` by key, and
    the items to look at (those and the ones whose source is gone), by key; None when an
    item's key is not its source's (then only the full comparison can tell)."""
    params = {"eid": eid}
    sources: dict[str, tuple] = {}
    items: dict[str, _Seen] = {}
    for kind in ("grant", "runbook", "system"):
        for row in conn.execute(_OUT_OF_STEP[kind], params):
            head, item = tuple(row[: -len(_SEEN)]), row[-len(_SEEN) :]
            key = derived_key(kind, head[0])
            sources[key] = (kind, head)
            if item[0] is not None:
                items[key] = _Seen(*item)
    for item in conn.execute(_GONE, params):
        kind, source_id = item[2], item[3]
        if kind not in _SUFFIX or source_id is None or item[1] != derived_key(kind, source_id):
            return None
        items[item[1]] = _Seen(*item)
    return sources, items
