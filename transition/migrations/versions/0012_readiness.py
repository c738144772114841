"""readiness score: one snapshot per engagement and day

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "readiness_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("engagement_id", "day", name="uq_readiness_day"),
    )
    op.create_index("ix_readiness_snapshot_engagement_id", "readiness_snapshot", ["engagement_id"])


def downgrade() -> None:
    op.drop_index("ix_readiness_snapshot_engagement_id", table_name="readiness_snapshot")
    op.drop_table("readiness_snapshot")
