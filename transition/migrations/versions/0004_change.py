"""change: edits, removals, replanning, calendars, time zones, undo

Revision ID: 0004
Revises: 0003

- ``engagement``: ``calendar`` (a ``holidays`` country/subdivision code), ``workweek`` (the
  worked weekdays), ``extra_holidays_json``, ``timezone`` (IANA) and ``archived_at``.
- ``phase``: ``baseline_start``/``baseline_end``, the plan as first laid; existing phases
  take their current planned dates as their baseline.
- ``person``: ``timezone`` and ``removed_at`` (``person remove`` keeps the row for history).
- ``task``: ``origin`` (``playbook`` or ``adhoc``), ``due_rule`` (the offset from the
  phase's start it is due at), ``removed_at`` and ``removed_reason``; the new table
  ``task_note`` holds each task's notes thread.
- ``kt_session``: ``cancel_reason`` (a cancelled session is exported as CANCELLED).
- ``audit_event``: ``change_id`` (the change an event belongs to) and ``undoes`` (the
  change an undo reverts). Existing events have neither; their hashes are unchanged.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("workweek", sa.String(length=20), nullable=False, server_default="0,1,2,3,4")
        )
        batch_op.add_column(
            sa.Column("extra_holidays_json", sa.Text(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_engagement_archived_at"), ["archived_at"], unique=False
        )

    with op.batch_alter_table("phase", schema=None) as batch_op:
        batch_op.add_column(sa.Column("baseline_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("baseline_end", sa.Date(), nullable=True))
    op.execute(
        "UPDATE phase SET baseline_start = planned_start, baseline_end = planned_end "
        "WHERE baseline_start IS NULL"
    )

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_person_removed_at"), ["removed_at"], unique=False)

    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("origin", sa.String(length=20), nullable=False, server_default="playbook")
        )
        batch_op.add_column(sa.Column("due_rule", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("removed_reason", sa.Text(), nullable=True))

    op.create_table(
        "task_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("task_note", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_note_engagement_id"), ["engagement_id"], unique=False
        )
        batch_op.create_index("ix_task_note_task", ["task_id", "id"], unique=False)

    with op.batch_alter_table("kt_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("undoes", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_event_change_id"), ["change_id"], unique=False)


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch table copy: copying ``engagement``,
    # ``person`` or ``task`` on SQLite would drop the original, and with foreign keys on
    # that cascades into every row that refers to it.
    op.drop_index("ix_audit_event_change_id", table_name="audit_event")
    op.drop_index("ix_person_removed_at", table_name="person")
    op.drop_index("ix_engagement_archived_at", table_name="engagement")
    op.drop_table("task_note")
    dropped = {
        "audit_event": ("undoes", "change_id"),
        "kt_session": ("cancel_reason",),
        "task": ("removed_reason", "removed_at", "due_rule", "origin"),
        "person": ("removed_at", "timezone"),
        "phase": ("baseline_end", "baseline_start"),
        "engagement": ("archived_at", "timezone", "extra_holidays_json", "workweek", "calendar"),
    }
    for table, columns in dropped.items():
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
