"""Governance cadence: meetings materialised from the playbook's cadence (0009)."""

from datetime import date, datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field

from transition.models.core import Table, Versioned

__all__: list[str] = ["Meeting", "MeetingAction", "MeetingAttendee"]


class Meeting(Versioned, table=True):
    """One occurrence of a cadence. ``occurs_on`` is the date its rule gives (before a
    holiday moves it): with the cadence key it names the occurrence whatever the plan does.
    Status ``planned`` → ``held``, or ``cancelled`` (by someone, with a reason) or
    ``dropped`` (the plan moved and the occurrence no longer falls in it). ``number``
    names it within its engagement (1, 2, …)."""

    __tablename__ = "meeting"
    __table_args__ = (
        UniqueConstraint("engagement_id", "cadence", "occurs_on", name="uq_meeting_occurrence"),
        UniqueConstraint("engagement_id", "number", name="uq_meeting_number"),
        Index("ix_meeting_engagement_starts", "engagement_id", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True, ondelete="CASCADE")
    uid: str = Field(max_length=100, unique=True)
    cadence: str = Field(max_length=100)
    occurs_on: date
    title: str = Field(max_length=300)
    starts_at: datetime
    minutes: int = 60
    roles: str = Field(default="", max_length=1000)
    agenda: str = Field(default="", sa_type=Text)
    status: str = Field(default="planned", max_length=20)  # planned|held|cancelled|dropped
    held_at: datetime | None = None
    notes: str = Field(default="", sa_type=Text)
    cancel_reason: str | None = Field(default=None, sa_type=Text)
    #: The meeting's number in its engagement (what the user types): numbers are given in
    #: order of start time as occurrences are laid out and never change afterwards.
    number: int


class MeetingAttendee(Table, table=True):
    """Who attended a held meeting."""

    __tablename__ = "meeting_attendee"

    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True, ondelete="CASCADE")
    person_id: int = Field(
        foreign_key="person.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class MeetingAction(Table, table=True):
    """A task that a meeting raised (``meeting action``)."""

    __tablename__ = "meeting_action"

    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True, ondelete="CASCADE")
    task_id: int = Field(foreign_key="task.id", primary_key=True, unique=True, ondelete="CASCADE")
