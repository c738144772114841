"""Read models: release readiness, releases and movers."""

from __future__ import annotations

from dataclasses import dataclass
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
            lines.append(topic_line(t.system, t.topic, t.missing))
        for r in self.runbooks:
            lines.append(runbook_line(r.id, r.title, r.system, r.status))
        if grants:
            for g in self.grants:
                lines.append(f"still holds grant {g.id} ({g.role} on {g.system})")
        return lines

    def first_unmet(self) -> tuple[str | None, int]:
        """The first of ``unmet(grants=False)`` (None when met) and how many there are."""
        lines = self.unmet(grants=False)
        return (lines[0] if lines else None), len(lines)

    @property
    def first_system(self) -> str:
        """The system of the first topic not signed off, ``-`` when all are."""
        return self.topics[0].system if self.topics else "-"

    @property
    def summary(self) -> str:
        """The gaps counted, as one cell of a table."""
        return summary_of(self)


class Counted:
    """How many rows a list holds, without the rows: what the report prints of what a
    leaving person still holds (``len`` of it, as for a list)."""

    __slots__ = ("total",)

    def __init__(self, total: int) -> None:
        self.total = total

    def __len__(self) -> int:
        return self.total

    def __repr__(self) -> str:
        return f"Counted({self.total})"


@dataclass(frozen=True, slots=True)
class ReleaseRow:
    """One row of the report's release readiness table: a ``Readiness`` whose topics,
    runbooks and grants are counted (``len``) rather than listed, with the first unmet
    line (``first_unmet``, as of ``Readiness.unmet(grants=False)``) for the access
    finding of a release coming while the person is not ready."""

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
    topics: Counted
    runbooks: Counted
    grants: Counted
    #: The first topic (or runbook) not done, as a line of ``Readiness.unmet``; None if none.
    first_line: str | None
    #: The system of the first topic not signed off, ``-`` when all are.
    first_system: str

    def first_unmet(self) -> tuple[str | None, int]:
        return self.first_line, len(self.topics) + len(self.runbooks)

    @property
    def summary(self) -> str:
        return summary_of(self)


def topic_line(system: str, topic: str | None, missing: list[str]) -> str:
    """A topic (or system) not signed off, as a line of ``Readiness.unmet``."""
    where = f"{system}: {topic}" if topic else system
    return f"KT not signed off for {where} ({', '.join(missing)})"


def runbook_line(id: int, title: str, system: str, status: str) -> str:
    """A runbook not accepted, as a line of ``Readiness.unmet``."""
    return f"runbook {id} {title} on {system} is {status}, not accepted"


def summary_of(r: Readiness | ReleaseRow) -> str:
    """What a person still holds, counted, as one cell of a table."""
    if r.state == "released":
        return f"released {r.released_on}" + (" (overridden)" if r.release_override else "")
    if r.ready:
        return "ready"
    parts = []
    if r.topics:
        parts.append(f"{len(r.topics)} topic(s)")
    if r.runbooks:
        parts.append(f"{len(r.runbooks)} runbook(s)")
    if r.grants:
        parts.append(f"{len(r.grants)} grant(s)")
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
    #: What needs a second look (planned KT sessions after the release day).
    warnings: list[str] = []


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
