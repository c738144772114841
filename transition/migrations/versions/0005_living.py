"""living templates and knowledge out: template provenance, owners, topics, roles

Revision ID: 0005
Revises: 0004

- ``runbook``: ``template_version``, ``template_hash``, ``answers_json`` (what it was
  rendered with) and ``conflicts`` (unresolved regions an update left).
- ``engagement``: ``handover_version``, ``handover_hash``, ``handover_json`` (the exit
  checklist as applied), ``notice_date`` and ``exit_date`` (the exit's notice and date).
- ``person``: ``released_on``, ``release_override``, ``moved_from``, ``moved_on``.
- New tables ``system_person`` (owners, SMEs, backups), ``system_topic`` (a system's
  knowledge), ``kt_topic`` (the topics a KT session covers), ``role_assignment`` (playbook
  roles resolved to people), each with the unique constraint that keeps it free of
  duplicates.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runbook", schema=None) as batch_op:
        batch_op.add_column(sa.Column("template_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("template_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("answers_json", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("conflicts", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handover_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("handover_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("handover_json", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("notice_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("exit_date", sa.Date(), nullable=True))
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("released_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("release_override", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("moved_from", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("moved_on", sa.Date(), nullable=True))

    op.create_table(
        "system_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["system_id"], ["system.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("system_id", "person_id", "role", name="uq_system_person"),
    )
    op.create_table(
        "system_topic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["system_id"], ["system.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("system_id", "key", name="uq_system_topic"),
    )
    op.create_table(
        "kt_topic",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["kt_session.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["system_topic.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "topic_id"),
    )
    op.create_table(
        "role_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("engagement_id", "role", "person_id", name="uq_role_assignment"),
    )
    for table, columns in (
        ("system_person", ("engagement_id", "system_id", "person_id")),
        ("system_topic", ("engagement_id", "system_id")),
        ("kt_topic", ("topic_id",)),
        ("role_assignment", ("engagement_id", "person_id")),
    ):
        for column in columns:
            op.create_index(f"ix_{table}_{column}", table, [column], unique=False)


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch table copy: see 0004.
    for table in ("role_assignment", "kt_topic", "system_topic", "system_person"):
        op.drop_table(table)
    dropped = {
        "person": ("moved_on", "moved_from", "release_override", "released_on"),
        "engagement": (
            "exit_date",
            "notice_date",
            "handover_json",
            "handover_hash",
            "handover_version",
        ),
        "runbook": ("conflicts", "answers_json", "template_hash", "template_version"),
    }
    for table, columns in dropped.items():
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
