"""The system dependency map: which system depends on which, a directed graph without
cycles.

``depends`` adds (or removes) an edge; one that would close a cycle is refused, naming
it (``A → B → C → A``); the unique constraint ``uq_system_dependency`` refuses a
duplicate even from two concurrent writers, and ``lock_graph`` makes writers of a map
take turns (on the audit log's lock), so that two of them cannot each add half of a cycle.
``system_map`` lays the systems out in
layers (a system sits one layer above the deepest system it depends on), gives the
cutover order (every system after the systems it depends on, by name where the map
leaves a choice) and flags the KT of a system when a system it depends on has no KT
session signed off.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session

from transition.errors import BadInput, Refused, about
from transition.models import Engagement, KTSession, System, SystemDependency
from transition.services import audit
from transition.services.common import EngagementRef, add_unique, engagement_of, get_system
from transition.services.views.raid import (
    DEPENDENCY_KINDS,
    DependencyChange,
    DependencyView,
    SystemContext,
    SystemMap,
)

ENTITY = "system_dependency"


def _kind(value: str | None) -> str:
    kind = (value or "data").strip().lower()
    if kind not in DEPENDENCY_KINDS:
        raise BadInput(f"invalid kind {value!r}: choose {'|'.join(DEPENDENCY_KINDS)}", field="kind")
    return kind


def lock_graph(session: Session) -> None:
    """Hold the right to change a dependency map until the transaction ends, before
    reading it to add an edge. Two writers that each add one edge of a cycle
    (A → B and B → A) would otherwise both find no cycle in the map they read (PostgreSQL
    reads what was committed when each statement began). The lock is the audit log's own
    (every writer queues there to append, an undo before anything else): one lock, so no
    writer can hold it while waiting for another. SQLite's writers take turns already
    (``BEGIN IMMEDIATE``)."""
    audit._last_hash(session)


def _edges(session: Session, eid: int) -> list[tuple[int, int, str]]:
    return [
        (s, d, k)
        for s, d, k in session.execute(
            select(
                SystemDependency.system_id, SystemDependency.depends_on_id, SystemDependency.kind
            ).where(SystemDependency.engagement_id == eid)
        )
    ]


def _path(edges: Iterable[tuple[int, int, str]], start: int, goal: int) -> list[int] | None:
    """A path of dependencies from ``start`` to ``goal`` (both included), or None."""
    graph: dict[int, list[int]] = {}
    for s, d, _ in edges:
        graph.setdefault(s, []).append(d)
    came: dict[int, int | None] = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        if node == goal:
            path = [node]
            while came[path[-1]] is not None:
                path.append(came[path[-1]])  # type: ignore[arg-type]
            return path[::-1]
        for nxt in sorted(graph.get(node, [])):
            if nxt not in came:
                came[nxt] = node
                queue.append(nxt)
    return None


def cycle_formed(
    session: Session, edges: Iterable[tuple[int, int, str]], source: int, target: int
) -> str | None:
    """The cycle (``A → B → C → A``, by name) that ``source`` depending on ``target``
    would close among ``edges``, or None."""
    back = _path(edges, target, source)
    if back is None:
        return None
    names = dict(session.execute(select(System.id, System.name).where(System.id.in_(back))).all())
    return " → ".join(names[i] for i in [source, *back])


def depends(
    session: Session,
    engagement: EngagementRef,
    system: str,
    *,
    on: str,
    kind: str | None = None,
    remove: bool = False,
) -> DependencyChange:
    """Record that ``system`` depends on ``on`` (``remove``: no longer). A dependency
    that would close a cycle is refused, naming the cycle."""
    engagement = engagement_of(session, engagement)
    with about("system"):
        source = get_system(session, engagement, system)
    with about("on"):
        target = get_system(session, engagement, on)
    asked = kind
    kind = _kind(kind)
    if source.id == target.id:
        raise Refused(f"system {source.name} cannot depend on itself", field="on")
    lock_graph(session)
    edges = _edges(session, engagement.id)
    existing = next((e for e in edges if e[0] == source.id and e[1] == target.id), None)
    if remove:
        if existing is None:
            raise Refused(f"system {source.name} does not depend on {target.name}")
        if asked is not None and existing[2] != kind:
            raise Refused(
                f"system {source.name} depends on {target.name} by {existing[2]}, not {kind}: "
                "leave --kind out or give the kind it has",
                field="kind",
            )
        row = session.execute(
            select(SystemDependency).where(
                SystemDependency.system_id == source.id,
                SystemDependency.depends_on_id == target.id,
            )
        ).scalar_one()
        session.delete(row)
        session.flush()
        # The system and kind go with the target, so that undo can put the dependency back.
        audit.record_fields(
            session,
            engagement.id,
            ENTITY,
            row.id,
            {
                "depends_on": (target.name, None),
                "system": (source.name, None),
                "kind": (existing[2], None),
            },
            action="remove",
        )
        return DependencyChange(
            system=source.name, depends_on=target.name, kind=existing[2], removed=True
        )
    if existing is not None:
        raise Refused(
            f"system {source.name} already depends on {target.name} ({existing[2]})", field="on"
        )
    cycle = cycle_formed(session, edges, source.id, target.id)
    if cycle is not None:
        raise Refused(f"a dependency cycle would form: {cycle}", field="on")
    row = SystemDependency(
        engagement_id=engagement.id, system_id=source.id, depends_on_id=target.id, kind=kind
    )
    if not add_unique(session, row):
        raise Refused(
            f"system {source.name} already depends on {target.name} (another change saved it "
            "a moment ago); nothing was saved"
        )
    audit.record(
        session, engagement.id, ENTITY, row.id, "add", "depends_on", None, f"{target.name} ({kind})"
    )
    return DependencyChange(system=source.name, depends_on=target.name, kind=kind, removed=False)


def dependencies(session: Session, engagement: EngagementRef) -> list[DependencyView]:
    """Every dependency between the engagement's active systems, by system; one query."""
    engagement = engagement_of(session, engagement)
    return _views(session, engagement)


def _views(session: Session, engagement: Engagement) -> list[DependencyView]:
    target = System.__table__.alias("target")
    rows = session.execute(
        select(System.name, System.slug, target.c.name, target.c.slug, SystemDependency.kind)
        .join(System, System.id == SystemDependency.system_id)
        .join(target, target.c.id == SystemDependency.depends_on_id)
        .where(
            SystemDependency.engagement_id == engagement.id,
            System.removed_at.is_(None),
            target.c.removed_at.is_(None),
        )
    ).all()
    views = [
        DependencyView(system=a, system_slug=b, depends_on=c, depends_on_slug=d, kind=k)
        for a, b, c, d, k in rows
    ]
    return sorted(views, key=lambda v: (v.system.lower(), v.depends_on.lower()))


def kt_flags(
    session: Session, engagement: Engagement, edges: list[DependencyView] | None = None
) -> dict[str, list[str]]:
    """System name → the systems it depends on that have no KT session signed off (only
    systems with such a dependency); two queries."""
    edges = _views(session, engagement) if edges is None else edges
    if not edges:
        return {}
    signed = set(
        session.execute(
            select(System.name)
            .distinct()
            .join(KTSession, KTSession.system_id == System.id)
            .where(KTSession.engagement_id == engagement.id, KTSession.status == "signed_off")
        ).scalars()
    )
    flags: dict[str, list[str]] = {}
    for edge in edges:
        if edge.depends_on not in signed:
            flags.setdefault(edge.system, []).append(edge.depends_on)
    return flags


def _depths(names: list[str], needs: dict[str, list[str]]) -> dict[str, int]:
    """Each system's layer, without recursion (Kahn's order over the acyclic graph)."""
    waiting = {n: len(needs[n]) for n in names}
    users: dict[str, list[str]] = {n: [] for n in names}
    for name in names:
        for dep in needs[name]:
            users[dep].append(name)
    depth = {n: 0 for n in names}
    ready = [n for n in names if waiting[n] == 0]
    while ready:
        name = ready.pop()
        for user in users[name]:
            depth[user] = max(depth[user], depth[name] + 1)
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    return depth


def cutover_order(names: list[str], needs: dict[str, list[str]]) -> list[str]:
    """``names`` in the order to cut them over: each after every system it depends on
    (``needs``), and among those free to go, the first by name (case-insensitive, then as
    written), so the order is stable whatever order the edges were added in."""
    waiting = {n: len(set(needs[n])) for n in names}
    users: dict[str, list[str]] = {n: [] for n in names}
    for name in names:
        for dep in set(needs[name]):
            users[dep].append(name)
    ready = [(n.lower(), n) for n in names if waiting[n] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(name)
        for user in users[name]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, (user.lower(), user))
    return order


def system_map(session: Session, engagement: EngagementRef) -> SystemMap:
    """The map: the active systems in layers (layer 0 depends on nothing; each system one
    layer above the deepest one it depends on), the cutover order, the edges and the KT
    flags; three queries."""
    engagement = engagement_of(session, engagement)
    names = sorted(
        session.execute(
            select(System.name).where(
                System.engagement_id == engagement.id, System.removed_at.is_(None)
            )
        ).scalars(),
        key=str.lower,
    )
    edges = _views(session, engagement)
    needs: dict[str, list[str]] = {n: [] for n in names}
    for e in edges:
        needs[e.system].append(e.depends_on)
    depth = _depths(names, needs)
    layers: list[list[str]] = [[] for _ in range(1 + max(depth.values(), default=-1))]
    for name in names:
        layers[depth[name]].append(name)
    return SystemMap(
        systems=names,
        layers=layers,
        cutover_order=cutover_order(names, needs),
        edges=edges,
        kt_flagged=kt_flags(session, engagement, edges),
    )


def kt_flagged(session: Session, engagement: EngagementRef) -> dict[str, list[str]]:
    """System name → the systems it depends on with no KT signed off (``kt coverage`` and
    ``system list`` flag them); three queries."""
    return kt_flags(session, engagement_of(session, engagement))


def system_context(session: Session, engagement: EngagementRef) -> list[SystemContext]:
    """Per active system (by name): its dependencies both ways, its open RAID entries
    (``R-7 (15) title``) and KT flag; a fixed number of queries whatever their number."""
    from transition.services import raid

    engagement = engagement_of(session, engagement)
    graph = system_map(session, engagement)
    linked: dict[str, list[str]] = {}
    for item in raid.items(session, engagement, open_only=True):
        shown = f"{item.ref}{f' ({item.score})' if item.score else ''} {item.title}"
        for link in item.links:
            if link.kind == "system":
                linked.setdefault(link.name, []).append(shown)
    out = []
    for name in graph.systems:
        out.append(
            SystemContext(
                system=name,
                depends_on=[f"{e.depends_on} ({e.kind})" for e in graph.edges if e.system == name],
                used_by=[e.system for e in graph.edges if e.depends_on == name],
                raid=linked.get(name, []),
                kt_flagged=graph.kt_flagged.get(name, []),
            )
        )
    return out
