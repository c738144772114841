"""Read models: knowledge-transfer sessions and KT coverage."""

from __future__ import annotations

from transition.services.views.base import Timestamp, View


class PersonTime(View):
    """A participant's own wall time for a session, when their zone is not the
    engagement's: ``15:30 Asia/Kolkata`` (``(+1d)`` when the day differs)."""

    person: str
    timezone: str
    starts: str


class KTSessionView(View):
    """A KT session with its people (``kt list``); start and end are aware UTC instants,
    ``starts_local`` the start in the engagement's zone ``timezone`` (``UTC`` when it has
    none), ``local_times`` the participants' own wall times where their zone differs."""

    id: int
    uid: str
    system: str
    topic: str
    kind: str
    starts_at: Timestamp
    minutes: int
    status: str
    held_at: Timestamp | None
    signed_off_at: Timestamp | None
    confidence: int | None
    follow_ups: str
    version: int
    ends_at: Timestamp | None
    presenters: list[str]
    attendees: list[str]
    signed_off_by: str | None
    cancel_reason: str | None
    timezone: str
    starts_local: str
    local_times: list[PersonTime]
    #: The system's topics the session was said to cover (``--covers``), in their order.
    covers: list[str] = []


class KTCoverageRow(View):
    """``kt coverage``: a system in scope and the KT kinds signed off, held, planned and
    still missing among the core kinds."""

    system: str
    tier: int
    signed_off: list[str]
    held: list[str]
    planned: list[str]
    missing: list[str]


class KTTopicCell(View):
    """One kind of KT on one topic: its best status (``signed_off``, ``held``, ``planned``
    or ``missing``) and the provider people who received it (attendees of a signed-off
    session)."""

    kind: str
    status: str
    received: list[str]


class KTTopicRow(View):
    """``kt coverage``: one topic of a system, per kind of KT, with who holds the knowledge
    (incumbent presenters, owners and SMEs) and who received it. ``topic`` is
    ``(other sessions)`` for sessions of the system that cover none of its topics.
    ``at_risk`` names the only holder when that one person is an incumbent with a release
    date while the core kinds are not all signed off."""

    system: str
    tier: int
    topic: str
    source: str
    kinds: list[KTTopicCell]
    holders: list[str]
    received: list[str]
    missing: list[str]
    at_risk: str | None
