"""What every command shares: the database URL, the actor, and a unit of work."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from transition.settings import get_settings

if TYPE_CHECKING:  # the ORM loads when a command opens a session, not before
    from sqlmodel import Session

T = TypeVar("T")


def default_actor() -> str:
    configured = get_settings().actor
    if configured:
        return configured
    try:
        return getpass.getuser()
    except Exception:  # no user name from the OS (containers)
        return "unknown"


@dataclass
class State:
    url: str | None = None
    actor: str = field(default_factory=default_actor)
    _checked: bool = False

    @property
    def engine(self):
        from transition import db

        return db.get_engine(self.url or db.default_url())

    @contextmanager
    def session(self, *, write: bool = False, create: bool | None = None) -> Iterator[Session]:
        """One unit of work (a writing one with ``write``). A command's first unit of work
        creates a missing SQLite file only if it writes (or ``create``, the TUI, which
        opens on an empty database): reading a file named by ``--db`` or
        ``TRANSITION_DATABASE_URL`` that does not exist is bad input and creates nothing,
        not an empty answer a mistyped path would give."""
        from transition import db, memory

        if not self._checked and not (write if create is None else create):
            self._refuse_missing()
        memory.settle()  # what the command loaded stays; its rows come and go
        engine = self.engine
        if not self._checked:
            db.ensure_schema(engine)
            self._checked = True
        with db.session_scope(engine, actor=self.actor, write=write) as session:
            yield session

    def _refuse_missing(self) -> None:
        named = self.url or get_settings().database_url
        if not named:  # the default database: first use creates it, whatever the command
            return
        from transition.dburl import missing_sqlite_file
        from transition.errors import BadInput

        path = missing_sqlite_file(named)
        if path is not None:
            raise BadInput(
                f"database {path} does not exist (nothing was created): "
                "`transition init` creates it"
            )


def state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj


def call(
    ctx: typer.Context,
    service: Callable[..., T],
    *args: Any,
    write: bool = False,
    **kwargs: Any,
) -> T:
    """``service(session, *args, **kwargs)`` in one unit of work (a writing one with
    ``write``): the command's read models, ready to print."""
    with state(ctx).session(write=write) as session:
        return service(session, *args, **kwargs)


def change(ctx: typer.Context, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``call`` in a writing unit of work: the service changes the engagement."""
    return call(ctx, service, *args, write=True, **kwargs)
