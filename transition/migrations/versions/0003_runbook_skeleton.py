"""runbook skeleton: the text each runbook was generated with

Revision ID: 0003
Revises: 0002

``runbook new --force`` compares the file on disk with the skeleton it was generated
from, to refuse overwriting a file people have edited. Rows from before this column have
no recorded skeleton (NULL): for them the file counts as edited unless it equals a fresh
rendering of the template.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runbook", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skeleton", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runbook", schema=None) as batch_op:
        batch_op.drop_column("skeleton")
