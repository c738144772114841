"""The RAID log and the system dependency map (0010)."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, Text, UniqueConstraint
from sqlmodel import Field

from transition.models.core import Table, Versioned

__all__: list[str] = ["RaidItem", "RaidLink", "SystemDependency"]


class RaidItem(Versioned, table=True):
    """One entry of the RAID log: a risk, assumption, issue, dependency or decision.

    Its readable id is its kind's prefix and ``number`` (``R-3``), numbered per engagement
    and kind; the unique constraint ``uq_raid_number`` makes that a database promise, so
    two concurrent adds cannot take the same number."""

    __tablename__ = "raid_item"
    __table_args__ = (
        UniqueConstraint("engagement_id", "kind", "number", name="uq_raid_number"),
        Index("ix_raid_engagement_status", "engagement_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=20)  # risk | assumption | issue | dependency | decision
    number: int
    title: str = Field(max_length=300)
    owner_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    party: str | None = Field(default=None, max_length=20)  # client | incumbent | provider
    probability: int | None = None
    impact: int | None = None
    due_date: date | None = None
    mitigation: str = Field(default="", sa_type=Text)
    status: str = Field(default="open", max_length=20)  # open | closed
    resolution: str | None = Field(default=None, sa_type=Text)
    closed_at: datetime | None = None
    closed_by: str | None = Field(default=None, max_length=200)
    # The phase a decision is about (a gate override's decision names its phase).
    phase_id: int | None = Field(default=None, foreign_key="phase.id", ondelete="SET NULL")
    created_at: datetime
    created_by: str = Field(default="", max_length=200)


class RaidLink(Table, table=True):
    """A RAID item linked to one system, person or task (exactly one of the three)."""

    __tablename__ = "raid_link"
    __table_args__ = (
        UniqueConstraint("raid_id", "system_id", name="uq_raid_link_system"),
        UniqueConstraint("raid_id", "person_id", name="uq_raid_link_person"),
        UniqueConstraint("raid_id", "task_id", name="uq_raid_link_task"),
        CheckConstraint(
            "(CASE WHEN system_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN person_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN task_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="ck_raid_link_one_target",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    raid_id: int = Field(foreign_key="raid_item.id", index=True, ondelete="CASCADE")
    system_id: int | None = Field(
        default=None, foreign_key="system.id", index=True, ondelete="CASCADE"
    )
    person_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="CASCADE"
    )
    task_id: int | None = Field(default=None, foreign_key="task.id", index=True, ondelete="CASCADE")


class SystemDependency(Table, table=True):
    """System ``system_id`` depends on ``depends_on_id`` (a directed graph without cycles:
    the service refuses a cycle; the constraints refuse duplicates and self-loops)."""

    __tablename__ = "system_dependency"
    __table_args__ = (
        UniqueConstraint("system_id", "depends_on_id", name="uq_system_dependency"),
        CheckConstraint("system_id <> depends_on_id", name="ck_system_dependency_self"),
        # SQLite: ids only grow (a removed dependency's id stays its own in the audit log).
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    system_id: int = Field(foreign_key="system.id", index=True, ondelete="CASCADE")
    depends_on_id: int = Field(foreign_key="system.id", index=True, ondelete="CASCADE")
    kind: str = Field(default="data", max_length=20)  # data | auth | network | batch
