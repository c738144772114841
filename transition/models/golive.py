"""Tabletop exercises and go/no-go decisions (0008)."""

from datetime import date, datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field

from transition.models.core import Table

__all__: list[str] = [
    "Exercise",
    "ExerciseParticipant",
    "ExerciseFinding",
    "GoLiveDecision",
]


class Exercise(Table, table=True):
    """A tabletop exercise: a scenario walked through by the people who would act on it.

    ``key`` is the scenario's slug (``vendor-security-incident``); one exercise per
    scenario and day."""

    __table_args__ = (
        UniqueConstraint("engagement_id", "key", "held_on", name="uq_exercise_key_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=100)
    scenario: str = Field(max_length=300)
    held_on: date
    created_at: datetime
    created_by: str = Field(default="", max_length=200)


class ExerciseParticipant(Table, table=True):
    """Who took part in an exercise (each person once)."""

    __tablename__ = "exercise_participant"
    __table_args__ = (UniqueConstraint("exercise_id", "person_id", name="uq_exercise_participant"),)

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    exercise_id: int = Field(foreign_key="exercise.id", index=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")


class ExerciseFinding(Table, table=True):
    """A finding of an exercise: the task that follows it up (one exercise per task)."""

    __tablename__ = "exercise_finding"

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    exercise_id: int = Field(foreign_key="exercise.id", index=True, ondelete="CASCADE")
    task_id: int = Field(foreign_key="task.id", unique=True, ondelete="CASCADE")


class GoLiveDecision(Table, table=True):
    """A go/no-go decision, signed by one client and one provider person. Append-only:
    a later decision supersedes it, the history stays. The names are kept as signed."""

    __tablename__ = "golive_decision"

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    go: bool
    phase_key: str | None = Field(default=None, max_length=100)
    client_person_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="SET NULL"
    )
    client_name: str = Field(max_length=200)
    provider_person_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="SET NULL"
    )
    provider_name: str = Field(max_length=200)
    decided_at: datetime
    recorded_by: str = Field(default="", max_length=200)
    conditions_json: str = Field(default="[]", sa_type=Text)
    rollback_triggers_json: str = Field(default="[]", sa_type=Text)
    evidence_json: str = Field(default="{}", sa_type=Text)
