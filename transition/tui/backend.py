"""What the screens ask of the database, as plain data.

Every method opens its own unit of work through ``db.session_scope`` and calls the
services (the rules live there); nothing here imports Textual, and nothing returns a
live ORM object. Screens call these methods from thread workers only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlmodel import Session

from transition import db
from transition.services.common import get_engagement

T = TypeVar("T")

#: Rows fetched per page in long lists.
PAGE = 200
#: Rows of a long list fetched when it is first shown: more than a tall terminal shows, so
#: it paints quickly; the following pages come as the cursor nears the end.
FIRST_PAGE = 100


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

    def dashboard(self) -> list[dict[str, Any]]:
        from transition.services import dashboard

        with self.session() as s:
            return dashboard.overview(s)

    def palette_index(self) -> dict[str, list[dict[str, Any]]]:
        """Everything the command palette can jump to: engagements, systems, people,
        runbooks (a bounded number of queries per engagement)."""
        from transition.services import engagements, people, runbooks, systems

        out: dict[str, list[dict[str, Any]]] = {
            "engagements": [],
            "systems": [],
            "people": [],
            "runbooks": [],
        }
        with self.session() as s:
            for row in engagements.summaries(s):
                out["engagements"].append({"slug": row.slug, "name": row.name})
                eng = get_engagement(s, row.slug)
                for system in systems.coverage(s, eng):
                    out["systems"].append({"engagement": eng.slug, "name": system.name})
                for person in people.list_people(s, eng):
                    out["people"].append(
                        {"engagement": eng.slug, "name": person.name, "side": person.side}
                    )
                for runbook in runbooks.list_runbooks(s, eng):
                    out["runbooks"].append(
                        {"engagement": eng.slug, "name": runbook.title, **runbook.model_dump()}
                    )
        return out

    @staticmethod
    def playbooks() -> list[str]:
        from transition.playbooks import playbook_files

        return sorted(playbook_files())

    # -- changing ---------------------------------------------------------------------

    def new_engagement(self, values: dict[str, Any]) -> str:
        from transition.dates import parse_date
        from transition.playbooks import resolve_playbook
        from transition.services import engagements

        start = parse_date(values["start"], "start date") if values.get("start") else None
        playbook, raw, _ = resolve_playbook(values["playbook"])
        with self.session(write=True) as s:
            eng = engagements.create(
                s,
                name=values["name"],
                playbook=playbook,
                raw=raw,
                client=values.get("client", ""),
                incumbent=values.get("incumbent", ""),
                provider=values.get("provider", ""),
                model=values.get("model") or "managed-service",
                location=values.get("location") or "onshore",
                start=start,
            )
            return eng.slug
