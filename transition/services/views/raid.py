"""Read models of the RAID log and the dependency map."""

from __future__ import annotations

from datetime import date

from transition.services.views.base import Timestamp, View

#: The kinds of RAID entry, in the log's order, and the prefix of their readable ids.
RAID_KINDS = {
    "risk": "R",
    "assumption": "A",
    "issue": "I",
    "dependency": "D",
    "decision": "DEC",
}
PARTIES = ("client", "incumbent", "provider")
LINK_KINDS = ("system", "person", "task")
DEPENDENCY_KINDS = ("data", "auth", "network", "batch")


class RaidLinkView(View):
    kind: str  # system | person | task
    target_id: int
    name: str


class RaidItemView(View):
    """One RAID entry; ``ref`` is its readable id (``R-3``); ``score`` is probability ×
    impact (risks given both)."""

    ref: str
    kind: str
    number: int
    title: str
    owner: str | None
    party: str | None
    probability: int | None
    impact: int | None
    score: int | None
    due: date | None
    mitigation: str
    status: str
    resolution: str | None
    phase: str | None
    created_at: Timestamp
    created_by: str
    closed_at: Timestamp | None
    closed_by: str | None
    links: list[RaidLinkView]


class RaidChange(View):
    """What ``raid set``/``close``/``link`` did: the entry afterwards and the fields
    changed (field → [before, after] as text)."""

    item: RaidItemView
    changes: dict[str, list[str | None]]


class DependencyView(View):
    system: str
    system_slug: str
    depends_on: str
    depends_on_slug: str
    kind: str


class DependencyChange(View):
    system: str
    depends_on: str
    kind: str
    removed: bool


class SystemMap(View):
    """The dependency map: systems by layer (layer 0 depends on nothing), the cutover
    order (every system after the systems it depends on; by name where free), the edges,
    and the systems whose KT is flagged (a system they depend on has no KT signed off)."""

    systems: list[str]
    layers: list[list[str]]
    cutover_order: list[str]
    edges: list[DependencyView]
    kt_flagged: dict[str, list[str]]


class SystemContext(View):
    """What the system inspector shows beside coverage: what a system depends on, what
    depends on it, the RAID entries linked to it, and its KT flag."""

    system: str
    depends_on: list[str]
    used_by: list[str]
    raid: list[str]
    kt_flagged: list[str]
