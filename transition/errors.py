"""The tool's own errors. Each carries the exit code the CLI uses for it.

Services raise these; the CLI prints ``error: <message>`` and exits with ``exit_code``;
the TUI shows the message as a notification.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class TransitionError(Exception):
    """Base class: a problem the user can act on (never a bug)."""

    exit_code = 2

    def __init__(
        self, message: str, *, details: list[str] | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details or [])
        #: The argument of the service verb the error is about (``"expires"``), if one:
        #: forms show the message beside that field, whatever its words.
        self.field = field

    def lines(self) -> list[str]:
        """Message lines, the first one being the summary."""
        return [self.message, *self.details]


class BadInput(TransitionError):
    """Invalid argument, file or value (exit 2)."""

    exit_code = 2


class NotFound(BadInput):
    """An unknown engagement, system, person, task, id… (exit 2)."""


class ValidationFailed(BadInput):
    """A user file (playbook, checklist, CSV, template) has errors, one per line in details."""

    def __init__(self, errors: list[str], summary: str | None = None) -> None:
        self.errors = list(errors)
        first, rest = (errors[0], errors[1:]) if errors and summary is None else (summary, errors)
        super().__init__(first or "invalid input", details=rest)


class Refused(TransitionError):
    """Refused by a rule: gate not met, dependency open, duplicate (exit 1)."""

    exit_code = 1


class Conflict(Refused):
    """An update based on a stale read: someone else changed the row first (exit 1)."""


class SchemaOutOfDate(TransitionError):
    """The database schema is behind (or ahead of) this program."""

    exit_code = 2


@contextmanager
def about(field: str) -> Iterator[None]:
    """Errors raised inside are about the verb's argument ``field`` (unless they already
    name one): ``with about("email"): email = clean_email(value)``."""
    try:
        yield
    except TransitionError as exc:
        if exc.field is None:
            exc.field = field
        raise
