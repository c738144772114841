"""SQLModel tables. Tables only: the rules live in ``transition.services``.

Every mutable row carries a ``version`` column used for optimistic locking: an update
issued from a stale read matches no row and is refused (see ``services.common``).
Timestamps are aware UTC (``dates.utcnow()``; ``timezone=True`` columns): PostgreSQL
hands them back aware, SQLite naive, and ``dates.format_utc`` reads both as UTC. Dates
are calendar dates.

The table modules leave annotations as written (no ``from __future__ import annotations``):
pydantic and SQLAlchemy each read every column's annotation when the class is built, and
strings would be evaluated twice per column on every command's start.
"""

from datetime import date, datetime

from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel
from sqlmodel.main import SQLModelConfig


class Table(SQLModel):
    """The base of every table. Rows are read and written through SQLAlchemy, which needs
    no pydantic validator, so pydantic builds a table's schema only on first use
    (``defer_build``) and importing the models stays cheap for every command."""

    model_config = SQLModelConfig(from_attributes=True, defer_build=True)


class Versioned(Table):
    """Mixin: optimistic version column, bumped by the ORM on every UPDATE."""

    version: int = Field(default=1, nullable=False)

    @declared_attr  # type: ignore[misc]
    def __mapper_args__(cls) -> dict:  # noqa: N805
        return {"version_id_col": cls.__table__.c.version}


class Engagement(Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True, max_length=200)
    name: str = Field(max_length=200)
    client: str = Field(default="", max_length=200)
    incumbent: str = Field(default="", max_length=200)
    provider: str = Field(default="", max_length=200)
    model: str = Field(default="managed-service", max_length=40)
    location: str = Field(default="onshore", max_length=40)
    start_date: date
    status: str = Field(default="active", max_length=20, index=True)
    playbook_name: str = Field(max_length=200)
    playbook_version: int = 1
    playbook_hash: str = Field(max_length=64)
    # The validated playbook as JSON, so gates and required runbooks stay as started.
    playbook_json: str
    handover_name: str | None = Field(default=None, max_length=200)
    created_at: datetime
    created_by: str = Field(default="", max_length=200)
    # Working days: a country (and subdivision) code of the ``holidays`` package (``GB-ENG``,
    # ``DE-BY``), the worked weekdays (Monday = 0) and extra non-working dates as JSON.
    calendar: str | None = Field(default=None, max_length=40)
    workweek: str = Field(default="0,1,2,3,4", max_length=20)
    extra_holidays_json: str = "[]"
    # An IANA time zone (``Europe/Berlin``); None reads and shows times in UTC.
    timezone: str | None = Field(default=None, max_length=64)
    # Archived engagements leave lists and the dashboard but keep everything.
    archived_at: datetime | None = Field(default=None, index=True)
    # The client's notice of exit and the date the service is handed back (exit planning):
    # no grant should outlive the exit.
    notice_date: date | None = None
    exit_date: date | None = None
    # The exit checklist as applied (the base of a three-way ``handover upgrade``).
    handover_version: int | None = None
    handover_hash: str | None = Field(default=None, max_length=64)
    handover_json: str | None = Field(default=None, sa_type=Text)
    # The running engagement this one is the exit of (``engagement new --exit-of``): one
    # exit per engagement (unique). No foreign key: the exit keeps its record when the old
    # engagement is deleted.
    exit_of_id: int | None = Field(default=None, index=True, unique=True)


class Phase(Versioned, table=True):
    __table_args__ = (UniqueConstraint("engagement_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    position: int
    key: str = Field(max_length=100)
    title: str = Field(max_length=200)
    status: str = Field(default="pending", max_length=20)  # pending | active | done
    planned_start: date
    planned_end: date
    # The plan as first laid (kept when phases are re-laid after a slip or by hand).
    baseline_start: date | None = None
    baseline_end: date | None = None
    actual_start: date | None = None
    actual_end: date | None = None
    gate_json: str = "[]"
    gate_decision: str | None = Field(default=None, max_length=20)  # passed | overridden
    gate_decided_by: str | None = Field(default=None, max_length=200)
    gate_decided_at: datetime | None = None
    gate_reason: str | None = None


class Person(Versioned, table=True):
    __table_args__ = (UniqueConstraint("engagement_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    slug: str = Field(max_length=200)
    name: str = Field(max_length=200)
    side: str = Field(max_length=20, index=True)  # client | incumbent | provider
    email: str | None = Field(default=None, max_length=320)
    role: str | None = Field(default=None, max_length=200)
    release_date: date | None = None
    timezone: str | None = Field(default=None, max_length=64)
    removed_at: datetime | None = Field(default=None, index=True)
    # ``person release`` records when they left (their grants are revoked then), and
    # ``person move`` the side they came from (re-badged staff keep their history).
    released_on: date | None = None
    release_override: str | None = None
    moved_from: str | None = Field(default=None, max_length=20)
    moved_on: date | None = None


class Task(Versioned, table=True):
    __table_args__ = (
        UniqueConstraint("engagement_id", "key"),
        Index("ix_task_engagement_status", "engagement_id", "status"),
        Index("ix_task_engagement_due", "engagement_id", "due_date"),
        # Its place in its phase: one task per place (removed tasks keep theirs).
        Index("uq_task_phase_position", "phase_id", "position", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    phase_id: int = Field(foreign_key="phase.id", index=True, ondelete="CASCADE")
    position: int = 0
    key: str = Field(max_length=100)
    title: str = Field(max_length=300)
    description: str = ""
    owner_role: str = Field(default="", max_length=100)
    assignee_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="SET NULL"
    )
    due_date: date | None = None
    status: str = Field(default="todo", max_length=20)  # todo|in_progress|blocked|done|skipped
    note: str | None = None
    completed_by: str | None = Field(default=None, max_length=200)
    completed_at: datetime | None = None
    # ``playbook`` (laid from the playbook) or ``adhoc`` (added by hand with ``task add``).
    origin: str = Field(default="playbook", max_length=20)
    # The offset it is due at from its phase's start as the playbook or ``task add`` gave it
    # (``+5d``, ``+3bd``): due dates follow their phase when it is re-laid.
    due_rule: str | None = Field(default=None, max_length=40)
    removed_at: datetime | None = None
    removed_reason: str | None = None


class TaskNote(Table, table=True):
    """One entry of a task's notes thread (``task note``): appended, never edited."""

    __tablename__ = "task_note"
    __table_args__ = (Index("ix_task_note_task", "task_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    task_id: int = Field(foreign_key="task.id", ondelete="CASCADE")
    at: datetime
    author: str = Field(max_length=200)
    text: str


class TaskDependency(Table, table=True):
    task_id: int = Field(foreign_key="task.id", primary_key=True, ondelete="CASCADE")
    depends_on_id: int = Field(
        foreign_key="task.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class System(Versioned, table=True):
    __table_args__ = (UniqueConstraint("engagement_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    slug: str = Field(max_length=200)
    name: str = Field(max_length=200)
    tier: int = 2
    description: str = ""
    removed_at: datetime | None = Field(default=None, index=True)


class AccessGrant(Versioned, table=True):
    """Who has which role on which system. Never edited in place: revocation and expiry
    changes are recorded as audit events; a changed role is a new grant.

    One grant in force (not revoked) per person × system × role: the partial unique index
    ``uq_grant_in_force`` on ``role_key`` (the role folded by ``services.access.role_key``)
    makes that a database promise, so two concurrent writers cannot both record it.
    Its PostgreSQL condition is added by ``postgresql_options`` (see there)."""

    __table_args__ = (
        Index("ix_grant_engagement_revoked", "engagement_id", "revoked_at"),
        Index("ix_grant_engagement_expires", "engagement_id", "expires_on"),
        Index(
            "uq_grant_in_force",
            "person_id",
            "system_id",
            "role_key",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    system_id: int = Field(foreign_key="system.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=100)
    # ``role`` folded for comparison (case, accents, spaces and punctuation ignored).
    role_key: str = Field(max_length=200)
    justification: str = ""
    approver: str = Field(default="", max_length=200)
    granted_at: datetime
    expires_on: date | None = None
    # An expiry relative to a milestone (``cutover+30d``, ``parallel-run.end``), re-resolved
    # when the milestone moves; ``expires_on`` always holds the resolved date.
    expires_rule: str | None = Field(default=None, max_length=100)
    revoked_at: datetime | None = None
    revoked_by: str | None = Field(default=None, max_length=200)
    revoke_reason: str | None = None


class KTSession(Versioned, table=True):
    __tablename__ = "kt_session"
    __table_args__ = (Index("ix_kt_engagement_status", "engagement_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    system_id: int = Field(foreign_key="system.id", index=True, ondelete="CASCADE")
    uid: str = Field(max_length=100, unique=True)
    topic: str = Field(max_length=300)
    kind: str = Field(max_length=20)  # walkthrough | shadow | reverse-shadow | qa
    starts_at: datetime = Field(index=True)
    minutes: int = 60
    status: str = Field(default="planned", max_length=20)  # planned|held|signed_off|cancelled
    cancel_reason: str | None = None
    held_at: datetime | None = None
    signed_off_by_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    signed_off_at: datetime | None = None
    confidence: int | None = None
    follow_ups: str = ""


class KTParticipant(Table, table=True):
    __tablename__ = "kt_participant"

    session_id: int = Field(foreign_key="kt_session.id", primary_key=True, ondelete="CASCADE")
    person_id: int = Field(
        foreign_key="person.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    role: str = Field(default="attendee", max_length=20)  # presenter | attendee


class Runbook(Versioned, table=True):
    """One runbook per system and template (regenerating it keeps the row)."""

    __table_args__ = (
        Index("ix_runbook_engagement_status", "engagement_id", "status"),
        UniqueConstraint("system_id", "template", name="uq_runbook_system_template"),
    )

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    system_id: int = Field(foreign_key="system.id", index=True, ondelete="CASCADE")
    template: str = Field(max_length=200)
    title: str = Field(max_length=300)
    path: str
    status: str = Field(default="drafted", max_length=20)  # drafted|reviewed|validated|accepted
    skeleton_placeholders: int = 0
    created_at: datetime
    created_by: str = Field(default="", max_length=200)
    # The text it was generated with (NULL for rows from before 0003): see runbooks.generate.
    skeleton: str | None = Field(default=None, sa_type=Text)
    # The template it follows: its version and content hash, and the answers it was
    # rendered with (``--set`` values and the context that does not change by itself),
    # so ``runbook update`` can re-render the old and the new template three-way.
    template_version: int | None = None
    template_hash: str | None = Field(default=None, max_length=64)
    answers_json: str | None = Field(default=None, sa_type=Text)
    # Unresolved conflict regions left by an update (0: none).
    conflicts: int = 0
    # Evidence (0006): who owns it, when it is next reviewed, who signed its acceptance.
    owner_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    review_due: date | None = None
    accepted_by_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")


#: The handover items that have a place of their own (``uq_handover_item_position``).
HANDOVER_PLACED = "source <> 'derived'"


class HandoverItem(Versioned, table=True):
    """One line of the exit checklist: from a checklist template, or derived from a grant,
    runbook or system (``source_kind``/``source_id``) and reconciled with it."""

    __tablename__ = "handover_item"
    __table_args__ = (
        UniqueConstraint("engagement_id", "key"),
        Index("ix_handover_engagement_status", "engagement_id", "status"),
        Index("ix_handover_source", "engagement_id", "source_kind", "source_id"),
        # The place of an item of the checklist's own sections: one item per place.
        # Derived items share their section's place and are ordered by their source.
        # Its PostgreSQL condition is added by ``postgresql_options``.
        Index(
            "uq_handover_item_position",
            "engagement_id",
            "position",
            unique=True,
            sqlite_where=text(HANDOVER_PLACED),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=200)
    section: str = Field(max_length=100)
    section_title: str = Field(default="", max_length=200)
    title: str = Field(max_length=300)
    description: str = ""
    owner: str = Field(default="", max_length=100)
    position: int = 0
    source: str = Field(default="template", max_length=20)  # template | derived | manual
    source_kind: str | None = Field(default=None, max_length=20)  # grant | runbook | system
    source_id: int | None = None
    checklist: str | None = Field(default=None, max_length=200)
    status: str = Field(default="open", max_length=20)  # open | done | resolved | retired
    resolved_at: datetime | None = None
    resolved_by: str | None = Field(default=None, max_length=200)
    note: str | None = None
    # When it is due, relative to the engagement's notice or exit date (``exit-30d``,
    # ``notice+2w``, ``exit-10bd``): the date is worked out when read, so it follows
    # every change of those dates and of the calendar. None: the default of its kind.
    due_rule: str | None = Field(default=None, max_length=40)


class AuditEvent(Table, table=True):
    """Append-only: who changed what, when. Chained by hash so edits are detectable."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_engagement_id", "engagement_id", "id"),
        Index("ix_audit_engagement_kind", "engagement_id", "entity", "action", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int | None = Field(default=None, index=True)
    at: datetime
    actor: str = Field(max_length=200)
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    field: str | None = Field(default=None, max_length=100)
    before: str | None = None
    after: str | None = None
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)
    # The change (one command's transaction) the event belongs to, and for the events an
    # ``undo`` writes, the change they undo. Hashed with the event when set.
    change_id: str | None = Field(default=None, max_length=32, index=True)
    undoes: str | None = Field(default=None, max_length=32)


class SystemPerson(Table, table=True):
    """Who owns a system, is its subject-matter expert or its backup (per side)."""

    __tablename__ = "system_person"
    __table_args__ = (UniqueConstraint("system_id", "person_id", "role", name="uq_system_person"),)

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    system_id: int = Field(foreign_key="system.id", index=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=20)  # owner | sme | backup


class SystemTopic(Table, table=True):
    """One topic of a system's knowledge: from a required runbook or added by the team."""

    __tablename__ = "system_topic"
    __table_args__ = (UniqueConstraint("system_id", "key", name="uq_system_topic"),)

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    system_id: int = Field(foreign_key="system.id", index=True, ondelete="CASCADE")
    # The title folded for comparison (``text.slugify``): one topic per title per system.
    key: str = Field(max_length=200)
    title: str = Field(max_length=300)
    source: str = Field(default="team", max_length=20)  # runbook | team
    removed_at: datetime | None = None


class KTTopic(Table, table=True):
    """The topics a KT session covers."""

    __tablename__ = "kt_topic"

    session_id: int = Field(foreign_key="kt_session.id", primary_key=True, ondelete="CASCADE")
    topic_id: int = Field(
        foreign_key="system_topic.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class RoleAssignment(Table, table=True):
    """A playbook owner role (``transition-manager``) resolved to a person."""

    __tablename__ = "role_assignment"
    __table_args__ = (
        UniqueConstraint("engagement_id", "role", "person_id", name="uq_role_assignment"),
    )

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=100)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")


def postgresql_options() -> None:
    """Give the partial indexes their PostgreSQL condition. Named on the model, it would load
    SQLAlchemy's PostgreSQL dialect in every command on SQLite; the schema itself is made
    by the migrations, so only the migration environment needs it (to compare models and
    database)."""
    index = next(i for i in AccessGrant.__table__.indexes if i.name == "uq_grant_in_force")
    index.dialect_options["postgresql"]["where"] = text("revoked_at IS NULL")
    index = next(i for i in HandoverItem.__table__.indexes if i.name == "uq_handover_item_position")
    index.dialect_options["postgresql"]["where"] = text(HANDOVER_PLACED)
