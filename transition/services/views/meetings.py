"""Read models: meetings of the governance cadence."""

from __future__ import annotations

from datetime import date

from transition.services.views.access import FindingView
from transition.services.views.base import Timestamp, View


class MeetingView(View):
    """One meeting (``meeting list``): ``number`` names it in its engagement (the ID the
    meeting commands take); ``starts_at`` an aware UTC instant, ``starts_local``
    its wall time in the engagement's zone ``timezone``; ``occurs_on`` the date its rule
    gives (``starts_at`` falls later when that day is not worked); ``roles`` the playbook
    roles invited; ``missed`` when it is more than a day past without minutes."""

    number: int
    uid: str
    cadence: str
    title: str
    occurs_on: date
    starts_at: Timestamp
    starts_local: str
    timezone: str
    minutes: int
    status: str
    roles: list[str]
    agenda: list[str]
    attendees: list[str]
    notes: str
    cancel_reason: str | None
    held_at: Timestamp | None
    actions: list[str]
    missed: bool
    version: int


class MeetingSync(View):
    """What laying the cadence out changed: meetings added, moved, dropped (no longer in
    the plan) and brought back."""

    added: int
    moved: int
    dropped: int
    restored: int


class MeetingReport(View):
    """The report's governance section: meetings past without minutes (findings) and
    those of the next 14 days."""

    missed: list[FindingView]
    upcoming: list[MeetingView]
