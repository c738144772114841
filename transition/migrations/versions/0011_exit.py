"""exit timeline: checklist items due relative to notice and exit

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("engagement", sa.Column("exit_of_id", sa.Integer(), nullable=True))
    op.create_index("ix_engagement_exit_of_id", "engagement", ["exit_of_id"], unique=True)
    op.add_column("handover_item", sa.Column("due_rule", sa.String(length=40), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch table copy: see 0004.
    op.drop_column("handover_item", "due_rule")
    op.drop_index("ix_engagement_exit_of_id", table_name="engagement")
    op.drop_column("engagement", "exit_of_id")
