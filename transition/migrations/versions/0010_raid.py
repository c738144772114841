"""the RAID log and the system dependency map

Revision ID: 0010
Revises: 0009

- ``raid_item``: risks, assumptions, issues, dependencies and decisions, numbered per
  engagement and kind (``uq_raid_number``).
- ``raid_link``: a RAID item linked to a system, person or task (one of them).
- ``system_dependency``: which system depends on which (``uq_system_dependency``; a
  system never depends on itself).
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "raid_item",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("party", sa.String(length=20), nullable=True),
        sa.Column("probability", sa.Integer(), nullable=True),
        sa.Column("impact", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("mitigation", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("phase_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["phase_id"], ["phase.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("engagement_id", "kind", "number", name="uq_raid_number"),
    )
    op.create_index("ix_raid_item_engagement_id", "raid_item", ["engagement_id"])
    op.create_index("ix_raid_engagement_status", "raid_item", ["engagement_id", "status"])
    op.create_table(
        "raid_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("raid_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(CASE WHEN system_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN person_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN task_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="ck_raid_link_one_target",
        ),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["raid_id"], ["raid_item.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["system_id"], ["system.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("raid_id", "system_id", name="uq_raid_link_system"),
        sa.UniqueConstraint("raid_id", "person_id", name="uq_raid_link_person"),
        sa.UniqueConstraint("raid_id", "task_id", name="uq_raid_link_task"),
    )
    for column in ("engagement_id", "raid_id", "system_id", "person_id", "task_id"):
        op.create_index(f"ix_raid_link_{column}", "raid_link", [column])
    op.create_table(
        "system_dependency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("depends_on_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.CheckConstraint("system_id <> depends_on_id", name="ck_system_dependency_self"),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["system_id"], ["system.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["depends_on_id"], ["system.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("system_id", "depends_on_id", name="uq_system_dependency"),
    )
    for column in ("engagement_id", "system_id", "depends_on_id"):
        op.create_index(f"ix_system_dependency_{column}", "system_dependency", [column])


def downgrade() -> None:
    op.drop_table("system_dependency")
    op.drop_table("raid_link")
    op.drop_table("raid_item")
