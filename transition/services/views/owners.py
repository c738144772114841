"""Read models: who owns a system, its knowledge topics, and KT coverage by topic."""

from __future__ import annotations

from datetime import date

from transition.services.views.base import View
from transition.services.views.kt import KTTopicRow

#: The roles a person can have on a system, in the order a skeleton picks owners from.
SYSTEM_ROLES = ("owner", "sme", "backup")


class Holding(View):
    """One person's role on one system (``system owner``)."""

    system_id: int
    system: str
    person_id: int
    person: str
    side: str
    role: str
    release_date: date | None = None


class Topic(View):
    """One topic of a system's knowledge. A default topic (one per runbook the playbook
    requires for the system's tier) has no ``id`` until something refers to it."""

    id: int | None
    system_id: int
    system: str
    key: str
    title: str
    source: str


class OwnerChange(View):
    """What ``system owner`` left: the person's role on the system, and whether it was
    added or removed."""

    system: str
    person: str
    side: str
    role: str
    removed: bool
    owners: list[Holding]


class TopicChange(View):
    """What ``system topic`` left: the topic, whether it was added or removed, and the
    system's topics now."""

    system: str
    title: str
    removed: bool
    topics: list[Topic]


class SystemInspection(View):
    """One system as the TUI's system inspector shows it: its people (owners, SMEs and
    backups on either side, with release dates) and its knowledge, topic by topic, with
    each core kind of KT, who holds it and who received it."""

    system: str
    slug: str
    tier: int
    people: list[Holding]
    topics: list[KTTopicRow]
