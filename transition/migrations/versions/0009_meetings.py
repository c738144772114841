"""governance cadence: meetings, attendance, actions

Revision ID: 0009
Revises: 0008

- ``meeting``: one occurrence of a playbook cadence (unique per engagement, cadence and
  the date its rule gives), with a stable calendar ``uid``, its time, status, minutes,
  and its ``number`` within the engagement (unique per engagement).
- ``meeting_attendee``: who attended a held meeting.
- ``meeting_action``: the tasks a meeting raised (a task belongs to one meeting).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=100), nullable=False),
        sa.Column("cadence", sa.String(length=100), nullable=False),
        sa.Column("occurs_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("roles", sa.String(length=1000), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("engagement_id", "cadence", "occurs_on", name="uq_meeting_occurrence"),
        sa.UniqueConstraint("engagement_id", "number", name="uq_meeting_number"),
        sa.UniqueConstraint("uid"),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meeting_engagement_starts", ["engagement_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_meeting_engagement_id"), ["engagement_id"], unique=False
        )
    op.create_table(
        "meeting_attendee",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("meeting_id", "person_id"),
    )
    with op.batch_alter_table("meeting_attendee", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_attendee_person_id"), ["person_id"], unique=False
        )
    op.create_table(
        "meeting_action",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("meeting_id", "task_id"),
        sa.UniqueConstraint("task_id"),
    )


def downgrade() -> None:
    op.drop_table("meeting_action")
    op.drop_table("meeting_attendee")
    op.drop_table("meeting")
