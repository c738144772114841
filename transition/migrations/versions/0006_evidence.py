"""runbook evidence: exercises, owner and review dates

Revision ID: 0006
Revises: 0005

- ``runbook``: ``owner_id`` (the person who owns it), ``review_due`` (its next review)
  and ``accepted_by_id`` (the person of the receiving side who signed its acceptance).
- New table ``runbook_exercise`` (who exercised a runbook, when, with what outcome and
  deviations), one row per exercise (``uq_runbook_exercise``).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runbook", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("review_due", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("accepted_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_runbook_owner_id_person", "person", ["owner_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            "fk_runbook_accepted_by_id_person",
            "person",
            ["accepted_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "runbook_exercise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("runbook_id", sa.Integer(), nullable=False),
        sa.Column("exercised_on", sa.Date(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("deviations", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["runbook_id"], ["runbook.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "runbook_id", "exercised_on", "person_id", "outcome", name="uq_runbook_exercise"
        ),
    )
    for column in ("engagement_id", "runbook_id", "person_id"):
        op.create_index(f"ix_runbook_exercise_{column}", "runbook_exercise", [column])


def downgrade() -> None:
    op.drop_table("runbook_exercise")
    # Plain DROP COLUMN (SQLite 3.35+) is refused for a column a foreign key names, so the
    # runbook table is copied without them on SQLite; PostgreSQL drops them in place.
    with op.batch_alter_table("runbook", schema=None) as batch_op:
        batch_op.drop_constraint("fk_runbook_accepted_by_id_person", type_="foreignkey")
        batch_op.drop_constraint("fk_runbook_owner_id_person", type_="foreignkey")
        batch_op.drop_column("accepted_by_id")
        batch_op.drop_column("review_due")
        batch_op.drop_column("owner_id")
