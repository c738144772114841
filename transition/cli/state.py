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
    def session(self, *, write: bool = False) -> Iterator[Session]:
        from transition import db, memory

        memory.settle()  # what the command loaded stays; its rows come and go
        engine = self.engine
        if not self._checked:
            db.ensure_schema(engine)
            self._checked = True
        with db.session_scope(engine, actor=self.actor, write=write) as session:
            yield session


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
