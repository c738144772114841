"""What the screens ask of the database, as plain data.

Every method opens its own unit of work through ``db.session_scope`` and calls the
services (the rules live there); nothing here imports Textual, and nothing returns a
live ORM object. Screens call these methods from thread workers only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlmodel import Session

from transition import db
from transition.services.common import get_engagement
from transition.services.views import PersonView, TaskView

T = TypeVar("T")

#: Rows fetched per page in long lists.
PAGE = 200
#: Rows of a long list fetched when it is first shown: more than a tall terminal shows, so
#: it paints quickly; the following pages come as the cursor nears the end.
FIRST_PAGE = 100


@dataclass(frozen=True)
class TaskFilter:
    status: str | None = None
    assignee: str | None = None
    overdue: bool = False


@dataclass
class TaskCursor:
    """Where the next page of tasks starts: which phase (in display order), which row."""

    phase_index: int = 0
    offset: int = 0
    done: bool = False


@dataclass(frozen=True)
class PhaseHeader:
    """The row opening a phase's tasks in the task list."""

    phase: str

    @property
    def key(self) -> str:
        return f"phase:{self.phase}"


@dataclass
class TaskPage:
    rows: list[PhaseHeader | TaskView]
    cursor: TaskCursor
    loaded: int = 0
    headers: dict[str, dict[str, Any]] = field(default_factory=dict)


class Backend:
    """The database the TUI works on, and who is working."""

    def __init__(self, url: str | None, actor: str) -> None:
        self.url = url or db.default_url()
        self.actor = actor
        self._checked = False
        self._where: str | None = None

    @property
    def engine(self):
        return db.get_engine(self.url)

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        engine = self.engine
        if not self._checked:
            db.ensure_schema(engine)
            self._where = db.describe(engine)
            self._checked = True
        with db.session_scope(engine, actor=self.actor, write=write) as session:
            yield session

    def where(self) -> str:
        """The database, as known from the first unit of work (this opens nothing: it is
        asked on the UI thread)."""
        return self._where or "(not opened yet)"

    # -- the generic helper: screens call services through these, in thread workers --

    def read(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``fn(session, *args, **kwargs)`` in a read-only unit of work."""
        with self.session() as s:
            return fn(s, *args, **kwargs)

    def write(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``fn(session, *args, **kwargs)`` in a unit of work that commits (or rolls back
        on error); its audit events and handover changes go with it."""
        with self.session(write=True) as s:
            return fn(s, *args, **kwargs)

    # -- reading ----------------------------------------------------------------------

    def engagement(self, slug: str) -> dict[str, Any]:
        """Summary, phases with their gates, and the people (for filters and forms)."""
        from transition.services import engagements, gates, people, systems, tasks

        with self.session() as s:
            eng = get_engagement(s, slug)
            summary = engagements.summaries(s, eng.id)[0]
            status = gates.status(s, eng)
            counts = tasks.counts_by_phase(s, eng)
            return {
                "systems": [row.name for row in systems.coverage(s, eng)],
                "summary": summary,
                "phases": status["phases"],
                "current_phase": status["current_phase"],
                "key_person_risks": status["key_person_risks"],
                "people": people.list_people(s, eng),
                "task_counts": counts,
            }

    def gate(self, slug: str) -> dict[str, Any]:
        from transition.services import gates

        with self.session() as s:
            status = gates.status(s, get_engagement(s, slug))
        current = next((p for p in status["phases"] if p["status"] == "active"), None)
        following = None
        if current is not None:
            following = next(
                (p for p in status["phases"] if p["position"] == current["position"] + 1), None
            )
        return {"phase": current, "next": following, "engagement": status["engagement"]}

    @staticmethod
    def phase_order(phases: list[dict[str, Any]]) -> list[str]:
        """Current phase first, then the ones after it, then the finished ones."""
        current = next((p["position"] for p in phases if p["status"] == "active"), len(phases))
        ahead = [p["key"] for p in phases if p["position"] >= current]
        behind = [p["key"] for p in phases if p["position"] < current]
        return ahead + behind

    def tasks_page(
        self,
        slug: str,
        order: list[str],
        filters: TaskFilter,
        cursor: TaskCursor,
        limit: int = PAGE,
    ) -> TaskPage:
        """The next ``limit`` tasks in display order, with a header row opening each phase."""
        from transition.services import tasks

        rows: list[PhaseHeader | TaskView] = []
        index, offset = cursor.phase_index, cursor.offset
        loaded = 0
        with self.session() as s:
            eng = get_engagement(s, slug)
            while index < len(order) and loaded < limit:
                need = limit - loaded
                batch = tasks.list_tasks(
                    s,
                    eng,
                    phase=order[index],
                    status=filters.status,
                    overdue=filters.overdue,
                    assignee=filters.assignee,
                    limit=need,
                    offset=offset,
                )
                if offset == 0 and batch:
                    rows.append(PhaseHeader(order[index]))
                rows.extend(batch)
                loaded += len(batch)
                if len(batch) < need:
                    index, offset = index + 1, 0
                else:
                    offset += len(batch)
        done = index >= len(order)
        return TaskPage(rows=rows, cursor=TaskCursor(index, offset, done), loaded=loaded)

    def people(self, slug: str) -> list[PersonView]:
        from transition.services import people

        with self.session() as s:
            return people.list_people(s, get_engagement(s, slug))

    def systems(self, slug: str) -> dict[str, Any]:
        from transition.services import kt, systems

        with self.session() as s:
            eng = get_engagement(s, slug)
            return {
                "coverage": systems.coverage(s, eng),
                "risks": kt.key_person_risks(s, eng),
            }

    def access(
        self, slug: str, *, active: bool, expiring_days: int | None, offset: int, limit: int = PAGE
    ) -> dict[str, Any]:
        from transition.services import access

        with self.session() as s:
            eng = get_engagement(s, slug)
            grants = access.list_grants(
                s, eng, active=active, expiring_days=expiring_days, limit=limit, offset=offset
            )
            findings = access.review(s, eng) if offset == 0 else None
        return {"grants": grants, "findings": findings}

    def kt_sessions(self, slug: str) -> dict[str, Any]:
        from transition.services import kt

        with self.session() as s:
            eng = get_engagement(s, slug)
            return {"sessions": kt.list_sessions(s, eng), "risks": kt.key_person_risks(s, eng)}

    def runbooks(self, slug: str) -> list[dict[str, Any]]:
        from transition.services import runbooks

        with self.session() as s:
            return runbooks.list_runbooks(s, get_engagement(s, slug))

    def handover(self, slug: str) -> Any:
        from transition.services import handover

        with self.session() as s:
            return handover.show(s, get_engagement(s, slug))

    def audit(self, slug: str, *, offset: int, limit: int = PAGE) -> list[dict[str, Any]]:
        from transition.services import audit

        with self.session() as s:
            eng = get_engagement(s, slug)
            return audit.events(s, eng.id, limit=limit, offset=offset, newest_first=True)

    @staticmethod
    def templates() -> list[str]:
        from transition import templates

        return [t.name for t in templates.available()]

    # -- changing ---------------------------------------------------------------------

    def toggle_task(self, slug: str, key: str, version: int) -> str:
        """Done ↔ todo. Returns the new status."""
        from transition.services import tasks
        from transition.services.common import get_task

        with self.session(write=True) as s:
            eng = get_engagement(s, slug)
            current = get_task(s, eng, key).status
            new = "todo" if current in ("done", "skipped") else "done"
            tasks.set_status(s, eng, key, new, expected_version=version)
            return new

    def set_task_status(self, slug: str, key: str, status: str, version: int) -> None:
        from transition.services import tasks

        with self.session(write=True) as s:
            tasks.set_status(s, get_engagement(s, slug), key, status, expected_version=version)

    def assign_task(self, slug: str, key: str, person: str | None, version: int) -> None:
        from transition.services import tasks

        with self.session(write=True) as s:
            tasks.assign(s, get_engagement(s, slug), key, person, expected_version=version)

    def advance(self, slug: str, override: str | None, version: int | None) -> dict[str, Any]:
        from transition.services import gates

        with self.session(write=True) as s:
            return gates.advance(
                s, get_engagement(s, slug), override=override, expected_version=version
            )

    def add_system(self, slug: str, values: dict[str, Any]) -> str:
        from transition.services import systems

        with self.session(write=True) as s:
            return systems.add(s, get_engagement(s, slug), values["name"], tier=values["tier"]).name

    def add_person(self, slug: str, values: dict[str, Any]) -> str:
        from transition.dates import parse_date
        from transition.services import people

        release = parse_date(values["release"], "release date") if values.get("release") else None
        with self.session(write=True) as s:
            return people.add(
                s,
                get_engagement(s, slug),
                values["name"],
                side=values["side"],
                email=values.get("email") or None,
                role=values.get("role") or None,
                release_date=release,
            ).name

    def grant(self, slug: str, values: dict[str, Any]) -> int:
        from transition.services import access

        with self.session(write=True) as s:
            grant = access.grant(
                s,
                get_engagement(s, slug),
                person=values["person"],
                system=values["system"],
                role=values["role"],
                expires=values.get("expires") or None,
                justification=values.get("justification") or "",
            )
            return grant.id

    def revoke(self, slug: str, grant_id: int, values: dict[str, Any]) -> int:
        from transition.services import access

        with self.session(write=True) as s:
            access.revoke(
                s,
                get_engagement(s, slug),
                grant_id,
                reason=values.get("reason") or None,
                expected_version=values.get("version"),
            )
        return grant_id

    def kt_schedule(self, slug: str, values: dict[str, Any]) -> int:
        from transition.dates import parse_datetime
        from transition.services import kt

        with self.session(write=True) as s:
            session = kt.schedule(
                s,
                get_engagement(s, slug),
                system=values["system"],
                topic=values["topic"],
                presenters=[values["presenter"]],
                attendees=[
                    a.strip() for a in (values.get("attendees") or "").split(",") if a.strip()
                ],
                at=parse_datetime(as_utc(values["at"]), "session time"),
                kind=values.get("kind") or "walkthrough",
                minutes=int(values.get("minutes") or 60),
            )
            return session.id

    def kt_hold(self, slug: str, session_id: int, version: int) -> None:
        from transition.services import kt

        with self.session(write=True) as s:
            kt.hold(s, get_engagement(s, slug), session_id, expected_version=version)

    def kt_signoff(self, slug: str, session_id: int, values: dict[str, Any]) -> None:
        from transition.services import kt

        confidence = int(values["confidence"]) if values.get("confidence") else None
        with self.session(write=True) as s:
            kt.signoff(
                s,
                get_engagement(s, slug),
                session_id,
                by=values["by"],
                confidence=confidence,
                follow_ups=values.get("follow_ups") or "",
                expected_version=values.get("version"),
            )

    def runbook_generate(self, slug: str, values: dict[str, Any], *, dry_run: bool) -> dict:
        from transition.services import runbooks

        with self.session(write=not dry_run) as s:
            return runbooks.generate(
                s,
                get_engagement(s, slug),
                system=values["system"],
                template=values["template"],
                out_dir=values.get("out_dir") or "runbooks",
                sets=values.get("sets") or {},
                dry_run=dry_run,
                force=bool(values.get("force")),
            )

    def runbook_status(self, slug: str, runbook_id: int, status: str) -> None:
        from transition.services import runbooks

        with self.session(write=True) as s:
            runbooks.set_status(s, get_engagement(s, slug), runbook_id, status)

    def handover_sync(self, slug: str) -> dict[str, int]:
        from transition.services import handover

        with self.session(write=True) as s:
            return handover.reconcile(s, get_engagement(s, slug))

    def handover_item(self, slug: str, item_id: int, status: str, version: int) -> None:
        from transition.services import handover

        with self.session(write=True) as s:
            handover.set_item_status(
                s, get_engagement(s, slug), item_id, status, expected_version=version
            )


def as_utc(value: str) -> str:
    """A time typed in a form, which says UTC: one without an offset is given one (+00:00);
    one with an offset keeps it. Anything else is left for ``parse_datetime`` to refuse."""
    from datetime import UTC, datetime

    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text
    return parsed.replace(tzinfo=UTC).isoformat() if parsed.tzinfo is None else text
