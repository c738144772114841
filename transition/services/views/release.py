"""Read models: release readiness, releases and movers."""

from __future__ import annotations

from datetime import date

from transition.services.views.base import Timestamp, View
from transition.services.views.people import PersonView


class TopicGap(View):
    """Knowledge a person holds that is not yet signed off: one topic of a system (or the
    whole system while it has no topics), with the core KT kinds still missing."""

    system: str
    topic: str | None
    missing: list[str]


class RunbookGap(View):
    """A runbook of a system the person owns, not yet accepted."""

    id: int
    system: str
    title: str
    status: str


class GrantHeld(View):
    """A grant the person still holds (not revoked)."""

    id: int
    system: str
    role: str
    expires_on: date | None


class Readiness(View):
    """Whether a person can be released: ``ready`` when every topic they hold is signed off
    for every core kind, every runbook they own is accepted and they hold no grant.
    ``state``: ready, not ready, or released."""

    person: str
    name: str
    side: str
    role: str | None
    release_date: date | None
    days_left: int | None
    released_on: date | None
    release_override: str | None
    ready: bool
    state: str
    topics: list[TopicGap]
    runbooks: list[RunbookGap]
    grants: list[GrantHeld]

    def unmet(self, *, grants: bool = True) -> list[str]:
        """What stands between the person and their release, one line each."""
        lines = []
        for t in self.topics:
            where = f"{t.system}: {t.topic}" if t.topic else t.system
            lines.append(f"KT not signed off for {where} ({', '.join(t.missing)})")
        for r in self.runbooks:
            lines.append(f"runbook {r.id} {r.title} on {r.system} is {r.status}, not accepted")
        if grants:
            for g in self.grants:
                lines.append(f"still holds grant {g.id} ({g.role} on {g.system})")
        return lines

    @property
    def summary(self) -> str:
        """The gaps counted, as one cell of a table."""
        if self.state == "released":
            return f"released {self.released_on}" + (
                " (overridden)" if self.release_override else ""
            )
        if self.ready:
            return "ready"
        parts = []
        if self.topics:
            parts.append(f"{len(self.topics)} topic(s)")
        if self.runbooks:
            parts.append(f"{len(self.runbooks)} runbook(s)")
        if self.grants:
            parts.append(f"{len(self.grants)} grant(s)")
        return "not ready: " + ", ".join(parts)


class ReleaseResult(View):
    """What ``person release`` did: the readiness it was judged on, the grants revoked and
    how the exit checklist moved."""

    person: str
    released_on: date
    override: str | None
    unmet: list[str]
    revoked: list[int]
    handover: dict[str, int]
    #: The playbook roles that ended with the release.
    roles: list[str] = []


class MoveResult(View):
    """What ``person move`` did: the side left, the grants kept (re-justified) or revoked."""

    person: str
    moved_from: str
    side: str
    moved_on: date
    role: str | None
    kept: list[int]
    revoked: list[int]
    handover: dict[str, int]
    #: The incumbent roles that ended with the move.
    roles: list[str] = []


class MoverView(View):
    """A person who changed side (the report's movers table)."""

    person: str
    name: str
    moved_from: str
    side: str
    moved_on: date | None
    role: str | None


class PersonRow(PersonView):
    """A person as the People tab lists them: with their release readiness (empty for
    people with no release ahead) and, for movers, the side they came from."""

    readiness: str = ""
    moved_from: str | None = None
    #: Days to the release date (negative: past it); None without one.
    days_left: int | None = None
    released_on: date | None = None
    #: For people leaving: what they still hold (``Readiness``), counted: topics not
    #: signed off for every core KT kind, runbooks they own not accepted, grants in force.
    kt_missing: int = 0
    runbooks_missing: int = 0
    grants_held: int = 0


class PersonSystem(View):
    """A system the person is linked to: ``role`` owner, sme or backup."""

    system: str
    role: str


class PersonSession(View):
    """A KT session the person gives (``as_role`` presenter) or receives (attendee)."""

    id: int
    starts_at: Timestamp | None
    system: str
    kind: str
    topic: str
    status: str
    as_role: str


class PersonInspection(View):
    """One person as the TUI's person inspector shows them: who they are, the playbook
    roles they hold, the systems they own or back, the KT they give and receive, and
    their release (``readiness``: what they still hold, for anyone leaving or left)."""

    person: PersonRow
    roles: list[str]
    systems: list[PersonSystem]
    gives: list[PersonSession]
    receives: list[PersonSession]
    readiness: Readiness
