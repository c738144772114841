"""initial schema

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=100), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_engagement_id", ["engagement_id", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_engagement_id"), ["engagement_id"], unique=False
        )

    op.create_table(
        "engagement",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("client", sa.String(length=200), nullable=False),
        sa.Column("incumbent", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column("location", sa.String(length=40), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("playbook_name", sa.String(length=200), nullable=False),
        sa.Column("playbook_version", sa.Integer(), nullable=False),
        sa.Column("playbook_hash", sa.String(length=64), nullable=False),
        sa.Column("playbook_json", sa.Text(), nullable=False),
        sa.Column("handover_name", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_engagement_slug"), ["slug"], unique=True)
        batch_op.create_index(batch_op.f("ix_engagement_status"), ["status"], unique=False)

    op.create_table(
        "handover_item",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("section", sa.String(length=100), nullable=False),
        sa.Column("section_title", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_kind", sa.String(length=20), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("checklist", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("engagement_id", "key"),
    )
    with op.batch_alter_table("handover_item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_handover_engagement_status", ["engagement_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_handover_item_engagement_id"), ["engagement_id"], unique=False
        )
        batch_op.create_index(
            "ix_handover_source", ["engagement_id", "source_kind", "source_id"], unique=False
        )

    op.create_table(
        "person",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("side", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("role", sa.String(length=200), nullable=True),
        sa.Column("release_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("engagement_id", "slug"),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_engagement_id"), ["engagement_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_person_side"), ["side"], unique=False)

    op.create_table(
        "phase",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=False),
        sa.Column("planned_end", sa.Date(), nullable=False),
        sa.Column("actual_start", sa.Date(), nullable=True),
        sa.Column("actual_end", sa.Date(), nullable=True),
        sa.Column("gate_json", sa.Text(), nullable=False),
        sa.Column("gate_decision", sa.String(length=20), nullable=True),
        sa.Column("gate_decided_by", sa.String(length=200), nullable=True),
        sa.Column("gate_decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gate_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("engagement_id", "key"),
    )
    with op.batch_alter_table("phase", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phase_engagement_id"), ["engagement_id"], unique=False)

    op.create_table(
        "system",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("engagement_id", "slug"),
    )
    with op.batch_alter_table("system", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_system_engagement_id"), ["engagement_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_system_removed_at"), ["removed_at"], unique=False)

    op.create_table(
        "accessgrant",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("approver", sa.String(length=200), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("expires_rule", sa.String(length=100), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["system_id"], ["system.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("accessgrant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accessgrant_engagement_id"), ["engagement_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_accessgrant_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_accessgrant_system_id"), ["system_id"], unique=False)
        batch_op.create_index(
            "ix_grant_engagement_expires", ["engagement_id", "expires_on"], unique=False
        )
        batch_op.create_index(
            "ix_grant_engagement_revoked", ["engagement_id", "revoked_at"], unique=False
        )

    op.create_table(
        "kt_session",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=100), nullable=False),
        sa.Column("topic", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_off_by_id", sa.Integer(), nullable=True),
        sa.Column("signed_off_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confidence", sa.Integer(), nullable=True),
        sa.Column("follow_ups", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["signed_off_by_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["system_id"], ["system.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
    )
    with op.batch_alter_table("kt_session", schema=None) as batch_op:
        batch_op.create_index("ix_kt_engagement_status", ["engagement_id", "status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_kt_session_engagement_id"), ["engagement_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_kt_session_starts_at"), ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_kt_session_system_id"), ["system_id"], unique=False)

    op.create_table(
        "runbook",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("skeleton_placeholders", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["system_id"], ["system.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("runbook", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_runbook_engagement_id"), ["engagement_id"], unique=False
        )
        batch_op.create_index(
            "ix_runbook_engagement_status", ["engagement_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_runbook_system_id"), ["system_id"], unique=False)

    op.create_table(
        "task",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("phase_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_role", sa.String(length=100), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("completed_by", sa.String(length=200), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["assignee_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["engagement_id"], ["engagement.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["phase_id"], ["phase.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("engagement_id", "key"),
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index("ix_task_engagement_due", ["engagement_id", "due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_engagement_id"), ["engagement_id"], unique=False)
        batch_op.create_index(
            "ix_task_engagement_status", ["engagement_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_task_phase_id"), ["phase_id"], unique=False)

    op.create_table(
        "kt_participant",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["kt_session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "person_id"),
    )
    with op.batch_alter_table("kt_participant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kt_participant_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "taskdependency",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("depends_on_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["depends_on_id"], ["task.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id", "depends_on_id"),
    )
    with op.batch_alter_table("taskdependency", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_taskdependency_depends_on_id"), ["depends_on_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("taskdependency", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_taskdependency_depends_on_id"))

    op.drop_table("taskdependency")
    with op.batch_alter_table("kt_participant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kt_participant_person_id"))

    op.drop_table("kt_participant")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_phase_id"))
        batch_op.drop_index("ix_task_engagement_status")
        batch_op.drop_index(batch_op.f("ix_task_engagement_id"))
        batch_op.drop_index("ix_task_engagement_due")
        batch_op.drop_index(batch_op.f("ix_task_assignee_id"))

    op.drop_table("task")
    with op.batch_alter_table("runbook", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runbook_system_id"))
        batch_op.drop_index("ix_runbook_engagement_status")
        batch_op.drop_index(batch_op.f("ix_runbook_engagement_id"))

    op.drop_table("runbook")
    with op.batch_alter_table("kt_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kt_session_system_id"))
        batch_op.drop_index(batch_op.f("ix_kt_session_starts_at"))
        batch_op.drop_index(batch_op.f("ix_kt_session_engagement_id"))
        batch_op.drop_index("ix_kt_engagement_status")

    op.drop_table("kt_session")
    with op.batch_alter_table("accessgrant", schema=None) as batch_op:
        batch_op.drop_index("ix_grant_engagement_revoked")
        batch_op.drop_index("ix_grant_engagement_expires")
        batch_op.drop_index(batch_op.f("ix_accessgrant_system_id"))
        batch_op.drop_index(batch_op.f("ix_accessgrant_person_id"))
        batch_op.drop_index(batch_op.f("ix_accessgrant_engagement_id"))

    op.drop_table("accessgrant")
    with op.batch_alter_table("system", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_system_removed_at"))
        batch_op.drop_index(batch_op.f("ix_system_engagement_id"))

    op.drop_table("system")
    with op.batch_alter_table("phase", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phase_engagement_id"))

    op.drop_table("phase")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_side"))
        batch_op.drop_index(batch_op.f("ix_person_engagement_id"))

    op.drop_table("person")
    with op.batch_alter_table("handover_item", schema=None) as batch_op:
        batch_op.drop_index("ix_handover_source")
        batch_op.drop_index(batch_op.f("ix_handover_item_engagement_id"))
        batch_op.drop_index("ix_handover_engagement_status")

    op.drop_table("handover_item")
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagement_status"))
        batch_op.drop_index(batch_op.f("ix_engagement_slug"))

    op.drop_table("engagement")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_engagement_id"))
        batch_op.drop_index("ix_audit_engagement_id")

    op.drop_table("audit_event")
