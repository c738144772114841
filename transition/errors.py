"""The tool's own errors. Each carries the exit code the CLI uses for it.

Services raise these; the CLI prints ``error: <message>`` and exits with ``exit_code``;
the TUI shows the message as a notification.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Hint:
    """A way past a refusal that each interface words itself: the CLI by its flags or
    commands, the TUI by its keys and forms (each keeps its ``kind`` → words). ``kind``
    names it: ``"force"`` (the same change, forced, with a written reason),
    ``"exercise"`` (record a passing exercise of the runbook), ``"unarchive"`` (bring the
    archived engagement back first). ``before`` joins it to the message, ``after`` ends
    it; ``values`` fill the words' ``{fields}``."""

    kind: str
    before: str = ", or "
    after: str = ""
    values: tuple[tuple[str, str], ...] = ()


class TransitionError(Exception):
    """Base class: a problem the user can act on (never a bug)."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        details: list[str] | None = None,
        field: str | None = None,
        hint: Hint | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details or [])
        #: The argument of the service verb the error is about (``"expires"``), if one:
        #: forms show the message beside that field, whatever its words.
        self.field = field
        #: What the user can do about it, worded where it is shown (``worded``).
        self.hint = hint

    def lines(self, words: Mapping[str, str] | None = None) -> list[str]:
        """Message lines, the first one being the summary (its hint in ``words``)."""
        return [self.worded(words), *self.details]

    def worded(self, words: Mapping[str, str] | None = None) -> str:
        """The message with its hint in ``words`` (a hint's kind → its text); a hint that
        has no words there is left out: the message stands on its own."""
        hint = self.hint
        if hint is None or not words or hint.kind not in words:
            return self.message
        said = words[hint.kind].format(**dict(hint.values))
        return f"{self.message}{hint.before}{said}{hint.after}"


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
