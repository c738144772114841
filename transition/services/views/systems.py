"""Read models: systems."""

from __future__ import annotations

from transition.services.views.base import Timestamp, View
from transition.services.views.engagements import FieldChange


class SystemView(View):
    """A system in scope with its coverage: runbooks, access, KT, readiness, risk."""

    name: str
    slug: str
    tier: int
    runbooks_total: int
    runbooks_required: int
    runbooks_accepted: int
    runbooks_missing: list[str]
    access_active: int
    kt_signed_off: list[str]
    kt_open: int
    kt_missing: list[str]
    ready: bool
    key_person_risk: bool
    key_person_risk_reason: str | None
    version: int
    # Who owns it: "Name (owner|sme|backup)", owners first; and how many topics its
    # knowledge has (``system topic``).
    owners: list[str] = []
    topics: int = 0


class SystemRow(View):
    """A system as ``system add`` and ``system remove`` leave it."""

    id: int
    name: str
    slug: str
    tier: int
    description: str
    removed_at: Timestamp | None
    version: int


class SystemChange(View):
    """What ``system set`` left: the system and the fields it changed."""

    system: SystemRow
    changes: list[FieldChange]
