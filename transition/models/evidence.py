"""Runbook evidence: exercises of a runbook, its owner and review dates (0006).

The owner, next review date and acceptance signature are columns of ``runbook``
(``core.Runbook``); an exercise is a row of its own here.
"""

from datetime import date, datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field

from transition.models.core import Table

__all__: list[str] = ["RunbookExercise"]


class RunbookExercise(Table, table=True):
    """One exercise of a runbook: on which day, led by whom, passed or failed, and what
    deviated from the written procedure. Append-only: an exercise is never edited."""

    __tablename__ = "runbook_exercise"
    __table_args__ = (
        UniqueConstraint(
            "runbook_id", "exercised_on", "person_id", "outcome", name="uq_runbook_exercise"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    runbook_id: int = Field(foreign_key="runbook.id", index=True, ondelete="CASCADE")
    exercised_on: date
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    outcome: str = Field(max_length=10)  # pass | fail
    deviations: str | None = Field(default=None, sa_type=Text)
    created_at: datetime
    created_by: str = Field(default="", max_length=200)
