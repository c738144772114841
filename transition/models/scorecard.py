"""The parallel-run scorecard: KPI scores per party and ISO week, interventions (0007)."""

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field

from transition.models.core import Table


class ScoreEntry(Table, table=True):
    """One KPI's value for one party (incumbent or provider) in one ISO week
    (``2026-W49``). One value per KPI, party and week: recording it again replaces it."""

    __tablename__ = "score_entry"
    __table_args__ = (
        UniqueConstraint("engagement_id", "kpi", "party", "period", name="uq_score_entry"),
    )

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    kpi: str = Field(max_length=100)
    party: str = Field(max_length=20)  # incumbent | provider
    period: str = Field(max_length=8)  # ISO week, YYYY-Www
    value: float
    note: str | None = Field(default=None, sa_type=Text)
    recorded_at: datetime
    recorded_by: str = Field(max_length=200)


class Intervention(Table, table=True):
    """A time the incumbent had to step in during the parallel run, in one ISO week."""

    __tablename__ = "intervention"
    __table_args__ = (Index("ix_intervention_engagement_period", "engagement_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", ondelete="CASCADE")
    period: str = Field(max_length=8)
    note: str = Field(sa_type=Text)
    recorded_at: datetime
    recorded_by: str = Field(max_length=200)


__all__: list[str] = ["Intervention", "ScoreEntry"]
