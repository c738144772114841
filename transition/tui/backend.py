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
        #: The changes written here, oldest first: ``u`` undoes the newest not undone.
        self.changes: list[str] = []
        #: Every change written here, undos included: the screens reload after their own
        #: changes, and tell only of the others' (``live``).
        self.mine: set[str] = set()
        #: Told the warnings of each committed write (a grant recorded though already
        #: expired, a runbook accepted without evidence…), which the CLI prints on stderr.
        self.on_warnings: Callable[[list[str]], None] | None = None

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
        on error); its audit events and handover changes go with it, and its warnings to
        ``on_warnings`` once committed."""
        from transition.services import audit

        with self.session(write=True) as s:
            result = fn(s, *args, **kwargs)
            made = audit.current_change(s)
            if made is not None:  # known as ours before the commit shows it to anyone
                self.mine.add(made)
            warnings = list(s.info.get("warnings", ()))
        if made is not None:  # committed
            self.changes.append(made)
        if warnings and self.on_warnings is not None:
            self.on_warnings(warnings)
        return result

    def undo(self) -> Any:
        """Undo the newest change written here that is not undone yet (an ``UndoneChange``);
        the undo itself is not one of the changes ``undo`` picks from."""
        from transition.services import audit, undo

        with self.session(write=True) as s:
            done = undo.undo_newest(s, list(self.changes))
            made = audit.current_change(s)
            if made is not None:
                self.mine.add(made)
            return done

    def changes_since(self, engagement: str | None, since: int | None) -> tuple[int, list[Any]]:
        """The change marker (``services.live``): the newest event id, and the changes
        after ``since`` that were not made here."""
        from transition.services import live

        found = self.read(live.marker, engagement, since=since)
        return found.newest, [c for c in found.changes if c.change_id not in self.mine]

    # -- reading ----------------------------------------------------------------------
