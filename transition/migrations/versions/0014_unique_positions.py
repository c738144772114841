"""one place per task in its phase and per item of the exit checklist

Revision ID: 0014
Revises: 0013

Adds the unique indexes ``uq_task_phase_position`` on task (phase_id, position) and
``uq_handover_item_position`` on handover_item (engagement_id, position) for the items of
the checklist's own sections (``source <> 'derived'``: derived items share their
section's place and are ordered by their source).

A database written before may hold two tasks at one place of a phase, or two checklist
items at one place (two writers added at once, each after the last place it read; an
upgraded checklist put an added item after its section's last one). They are numbered
again before the indexes are built, keeping the order they are shown in: tasks by
(position, id) in their phase, items by section (in the order the sections first
appear), then position, then id. A place moves only where needed (from the first
repeated place on, each row takes the next place after the one before it when its own
is taken), and each move is appended to the audit log by ``schema upgrade 0014``
(field ``position``), as a command would log it. Nothing else changes.

The functions below are frozen copies of the ones the program used when this revision
was written; migrations never import the program's services.
"""

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ACTOR = "schema upgrade 0014"
PLACED = "source <> 'derived'"

_TASKS = sa.table(
    "task",
    sa.column("id", sa.Integer),
    sa.column("engagement_id", sa.Integer),
    sa.column("phase_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("version", sa.Integer),
)
_ITEMS = sa.table(
    "handover_item",
    sa.column("id", sa.Integer),
    sa.column("engagement_id", sa.Integer),
    sa.column("section", sa.String),
    sa.column("position", sa.Integer),
    sa.column("source", sa.String),
    sa.column("version", sa.Integer),
)
_EVENTS = sa.table(
    "audit_event",
    sa.column("id", sa.Integer),
    sa.column("engagement_id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.Integer),
    sa.column("field", sa.String),
    sa.column("before", sa.Text),
    sa.column("after", sa.Text),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)


def _digest(prev, row) -> str:
    payload = json.dumps(
        [
            prev or "",
            row["engagement_id"],
            row["at"].isoformat(),
            row["actor"],
            row["action"],
            row["entity"],
            row["entity_id"],
            row["field"],
            row["before"],
            row["after"],
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _places(rows: list) -> list[tuple]:
    """``rows`` (id, engagement_id, position) in the order they are shown: the moves
    (id, engagement_id, before, after) that give each its own place, order kept."""
    moves = []
    last = None
    for ident, eid, position in rows:
        place = position if last is None or position > last else last + 1
        if place != position:
            moves.append((ident, eid, position, place))
        last = place
    return moves


def _task_moves(conn) -> list[tuple]:
    repeated = (
        sa.select(_TASKS.c.phase_id)
        .group_by(_TASKS.c.phase_id, _TASKS.c.position)
        .having(sa.func.count() > 1)
    )
    phases = sorted(set(conn.execute(repeated).scalars()))
    moves = []
    for phase_id in phases:
        rows = conn.execute(
            sa.select(_TASKS.c.id, _TASKS.c.engagement_id, _TASKS.c.position)
            .where(_TASKS.c.phase_id == phase_id)
            .order_by(_TASKS.c.position, _TASKS.c.id)
        ).all()
        moves += _places([tuple(r) for r in rows])
    return moves


def _item_moves(conn) -> list[tuple]:
    placed = _ITEMS.c.source != "derived"
    repeated = (
        sa.select(_ITEMS.c.engagement_id)
        .where(placed)
        .group_by(_ITEMS.c.engagement_id, _ITEMS.c.position)
        .having(sa.func.count() > 1)
    )
    engagements = sorted(set(conn.execute(repeated).scalars()))
    moves = []
    for eid in engagements:
        rows = conn.execute(
            sa.select(_ITEMS.c.id, _ITEMS.c.section, _ITEMS.c.position).where(
                _ITEMS.c.engagement_id == eid, placed
            )
        ).all()
        first: dict[str, int] = {}
        for row in rows:
            first[row.section] = min(first.get(row.section, row.position), row.position)
        rows = sorted(rows, key=lambda r: (first[r.section], r.section, r.position, r.id))
        moves += _places([(r.id, eid, r.position) for r in rows])
    return moves


def _move(conn, table, entity: str, moves: list[tuple], log: list[dict]) -> None:
    """Each row to its place (no index holds places yet), one audit event per row moved."""
    if not moves:
        return
    conn.execute(
        table.update()
        .where(table.c.id == sa.bindparam("rid"))
        .values(position=sa.bindparam("place"), version=table.c.version + 1),
        [{"rid": ident, "place": after} for ident, _, _, after in moves],
    )
    for ident, eid, before, after in moves:
        log.append(
            {
                "engagement_id": eid,
                "actor": ACTOR,
                "action": "update",
                "entity": entity,
                "entity_id": ident,
                "field": "position",
                "before": str(before),
                "after": str(after),
            }
        )


def _append(conn, log: list[dict]) -> None:
    if not log:
        return
    now = datetime.now(UTC)
    prev = conn.execute(
        sa.select(_EVENTS.c.hash).order_by(_EVENTS.c.id.desc()).limit(1)
    ).scalar_one_or_none()
    for row in log:
        row["at"] = now
        row["prev_hash"] = prev
        row["hash"] = prev = _digest(prev, row)
    conn.execute(_EVENTS.insert(), log)


def upgrade() -> None:
    conn = op.get_bind()
    log: list[dict] = []
    _move(conn, _TASKS, "task", _task_moves(conn), log)
    _move(conn, _ITEMS, "handover_item", _item_moves(conn), log)
    _append(conn, log)
    op.create_index("uq_task_phase_position", "task", ["phase_id", "position"], unique=True)
    op.create_index(
        "uq_handover_item_position",
        "handover_item",
        ["engagement_id", "position"],
        unique=True,
        sqlite_where=sa.text(PLACED),
        postgresql_where=sa.text(PLACED),
    )


def downgrade() -> None:
    op.drop_index("uq_handover_item_position", table_name="handover_item")
    op.drop_index("uq_task_phase_position", table_name="task")
