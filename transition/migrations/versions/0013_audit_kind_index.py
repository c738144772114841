"""index for counting an engagement's changes by kind

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The report counts an engagement's changes since a day by kind (entity, action): read
    # in that order from the index alone, without sorting the engagement's whole log.
    op.create_index(
        "ix_audit_engagement_kind", "audit_event", ["engagement_id", "entity", "action", "at"]
    )


def downgrade() -> None:
    op.drop_index("ix_audit_engagement_kind", table_name="audit_event")
