"""The readiness score of an engagement, one figure kept per day (0012)."""

from datetime import date

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from transition.models.core import Table

__all__: list[str] = ["ReadinessSnapshot"]


class ReadinessSnapshot(Table, table=True):
    """The engagement's readiness score (0–100) as last computed on ``day``: one row per
    engagement and day (``uq_readiness_day``), replaced when it is computed again."""

    __tablename__ = "readiness_snapshot"
    __table_args__ = (UniqueConstraint("engagement_id", "day", name="uq_readiness_day"),)

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    day: date
    score: int
