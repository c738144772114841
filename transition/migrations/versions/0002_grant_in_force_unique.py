"""uniqueness promises as database constraints: grants in force, runbooks

Revision ID: 0002
Revises: 0001

Adds ``accessgrant.role_key`` (the role folded for comparison) and the partial unique
index ``uq_grant_in_force`` on (person_id, system_id, role_key) WHERE revoked_at IS NULL,
and the unique constraint ``uq_runbook_system_template`` (one runbook per system and
template).

A database written by 0001 may already hold identical grants in force (two writers raced
past the check that lived only in Python). They are resolved deterministically before the
index is built: in each group the oldest grant (lowest id) is kept and every later one is
revoked by ``schema upgrade 0002`` with the reason "duplicate of grant N", its exit-checklist
revoke item resolved, and both changes appended to the audit log like any other revocation.
Nothing is deleted.

Two runbook rows for one system and template (the same generated file, recorded twice by
racing writers) are merged the same way: the oldest row is kept; each later one is removed
with an audit event that records its template, path and status, and its hand-back item is
retired. The file on disk is shared by both rows and stays. The functions below are frozen copies of the ones the program used when
this revision was written; migrations never import the program's services.
"""

import hashlib
import json
import re
import unicodedata
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ACTOR = "schema upgrade 0002"


def _role_key(role: str) -> str:
    folded = unicodedata.normalize("NFKC", role).casefold()
    folded = "".join(
        c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c)
    )
    key = re.sub(r"[\W_]+", "-", folded).strip("-") or "-"
    if len(key) > 200:
        key = key[:135] + "-" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key


def _text(value):
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


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


def upgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table("accessgrant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role_key", sa.String(length=200), nullable=True))

    grants = sa.table(
        "accessgrant",
        sa.column("id", sa.Integer),
        sa.column("engagement_id", sa.Integer),
        sa.column("person_id", sa.Integer),
        sa.column("system_id", sa.Integer),
        sa.column("role", sa.String),
        sa.column("role_key", sa.String),
        sa.column("revoked_at", sa.DateTime(timezone=True)),
        sa.column("revoked_by", sa.String),
        sa.column("revoke_reason", sa.Text),
        sa.column("version", sa.Integer),
    )
    rows = conn.execute(
        sa.select(
            grants.c.id,
            grants.c.engagement_id,
            grants.c.person_id,
            grants.c.system_id,
            grants.c.role,
            grants.c.revoked_at,
        ).order_by(grants.c.id)
    ).all()
    if rows:
        conn.execute(
            grants.update()
            .where(grants.c.id == sa.bindparam("gid"))
            .values(role_key=sa.bindparam("key")),
            [{"gid": r.id, "key": _role_key(r.role)} for r in rows],
        )
    kept: dict[tuple[int, int, str], int] = {}
    duplicates: list[tuple[int, int, int]] = []  # (grant id, engagement id, kept id)
    for r in rows:
        if r.revoked_at is not None:
            continue
        group = (r.person_id, r.system_id, _role_key(r.role))
        if group in kept:
            duplicates.append((r.id, r.engagement_id, kept[group]))
        else:
            kept[group] = r.id
    if duplicates:
        _revoke_duplicates(conn, grants, duplicates)

    with op.batch_alter_table("accessgrant", schema=None) as batch_op:
        batch_op.alter_column("role_key", existing_type=sa.String(length=200), nullable=False)
    _merge_duplicate_runbooks(conn)
    with op.batch_alter_table("runbook", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_runbook_system_template", ["system_id", "template"])
    op.create_index(
        "uq_grant_in_force",
        "accessgrant",
        ["person_id", "system_id", "role_key"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )


_ITEMS = sa.table(
    "handover_item",
    sa.column("id", sa.Integer),
    sa.column("engagement_id", sa.Integer),
    sa.column("key", sa.String),
    sa.column("status", sa.String),
    sa.column("resolved_at", sa.DateTime(timezone=True)),
    sa.column("resolved_by", sa.String),
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


class _Log:
    """Audit events appended to the chain, written in one insert by ``flush``."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.now = datetime.now(UTC)
        self.prev = conn.execute(
            sa.select(_EVENTS.c.hash).order_by(_EVENTS.c.id.desc()).limit(1)
        ).scalar_one_or_none()
        self.rows: list[dict] = []

    def __call__(self, eid, entity, entity_id, action, field, before, after) -> None:
        row = {
            "engagement_id": eid,
            "at": self.now,
            "actor": ACTOR,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "field": field,
            "before": _text(before),
            "after": _text(after),
        }
        row["prev_hash"] = self.prev
        row["hash"] = self.prev = _digest(self.prev, row)
        self.rows.append(row)

    def item_to(self, eid: int, key: str, status: str) -> None:
        """Move an exit-checklist item from open to ``status`` (resolved or retired)."""
        item = self.conn.execute(
            sa.select(_ITEMS.c.id, _ITEMS.c.status).where(
                _ITEMS.c.engagement_id == eid, _ITEMS.c.key == key
            )
        ).first()
        if item is None or item.status == status or item.status not in ("open", "resolved"):
            return
        self.conn.execute(
            _ITEMS.update()
            .where(_ITEMS.c.id == item.id)
            .values(
                status=status,
                resolved_at=self.now,
                resolved_by=ACTOR,
                version=_ITEMS.c.version + 1,
            )
        )
        action = {"resolved": "resolve", "retired": "retire"}[status]
        self(eid, "handover_item", item.id, action, "status", item.status, status)

    def flush(self) -> None:
        if self.rows:
            self.conn.execute(_EVENTS.insert(), self.rows)
            self.rows = []


def _merge_duplicate_runbooks(conn) -> None:
    runbooks = sa.table(
        "runbook",
        sa.column("id", sa.Integer),
        sa.column("engagement_id", sa.Integer),
        sa.column("system_id", sa.Integer),
        sa.column("template", sa.String),
        sa.column("path", sa.Text),
        sa.column("status", sa.String),
    )
    kept: dict[tuple[int, str], int] = {}
    later = []
    for row in conn.execute(sa.select(runbooks).order_by(runbooks.c.id)):
        group = (row.system_id, row.template)
        if group in kept:
            later.append((row, kept[group]))
        else:
            kept[group] = row.id
    if not later:
        return
    log = _Log(conn)
    for row, kept_id in later:
        conn.execute(runbooks.delete().where(runbooks.c.id == row.id))
        for field, value in (
            ("template", row.template),
            ("path", row.path),
            ("status", row.status),
        ):
            log(row.engagement_id, "runbook", row.id, "delete", field, value, None)
        log(row.engagement_id, "runbook", row.id, "delete", "duplicate_of", None, kept_id)
        log.item_to(row.engagement_id, f"runbook:{row.id}:hand-back", "retired")
    log.flush()


def _revoke_duplicates(conn, grants, duplicates) -> None:
    """Revoke the later copies, resolve their revoke items, and log both on the chain."""
    log = _Log(conn)
    now = log.now
    for gid, eid, kept_id in duplicates:
        reason = f"duplicate of grant {kept_id}"
        conn.execute(
            grants.update()
            .where(grants.c.id == gid)
            .values(
                revoked_at=now,
                revoked_by=ACTOR,
                revoke_reason=reason,
                version=grants.c.version + 1,
            )
        )
        log(eid, "access_grant", gid, "revoke", "revoked_at", None, now)
        log(eid, "access_grant", gid, "revoke", "revoke_reason", None, reason)
        log.item_to(eid, f"grant:{gid}:revoke", "resolved")
    log.flush()


def downgrade() -> None:
    with op.batch_alter_table("runbook", schema=None) as batch_op:
        batch_op.drop_constraint("uq_runbook_system_template", type_="unique")
    op.drop_index("uq_grant_in_force", table_name="accessgrant")
    with op.batch_alter_table("accessgrant", schema=None) as batch_op:
        batch_op.drop_column("role_key")
