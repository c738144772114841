"""The tool's settings: every environment variable it reads, read here and nowhere else.

``get_settings()`` builds one frozen ``Settings`` from the environment the first time it is
asked and hands back the same object afterwards; each command run starts from a fresh read
(``reset()``, called by the CLI's root callback and by the tests' fixtures).

| variable | field |
|---|---|
| ``TRANSITION_DATABASE_URL`` | ``database_url`` (else a SQLite file in ``data_dir()``) |
| ``TRANSITION_ACTOR`` | ``actor`` (else the OS user name) |
| ``TRANSITION_PLAYBOOKS`` | ``playbooks``: folders searched before the shipped playbooks |
| ``TRANSITION_TEMPLATES`` | ``templates``: folders searched before the shipped templates |
| ``TRANSITION_TODAY`` | ``today_text``: the pinned date (ISO, parsed by ``dates.pinned``), for demos and reproducible runs |
| ``TRANSITION_ADMIN_ROLES`` | ``admin_roles``: the admin-like role words (comma list) |
| ``TRANSITION_RELEASE_WARNING_DAYS`` | ``release_warning_text``: days ahead of a release from which a person not ready is a finding (default 14; ``release_warning_days()``) |
| ``TRANSITION_TUI_POLL`` | ``tui_poll_text``: seconds between the TUI's looks for changes made elsewhere (default 5, 0 never; ``tui_poll_seconds()``) |

Lists of folders are separated by ``os.pathsep`` (``:``, ``;`` on Windows). The user's data
and cache folders come from platformdirs (which honours ``XDG_*`` and ``HOME``).

A frozen dataclass rather than pydantic-settings: importing pydantic-settings costs every
command about 150 ms of start-up, and these eight strings need no more than this.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

APP_NAME = "transition"

DATABASE_URL = "TRANSITION_DATABASE_URL"
ACTOR = "TRANSITION_ACTOR"
PLAYBOOKS = "TRANSITION_PLAYBOOKS"
TEMPLATES = "TRANSITION_TEMPLATES"
TODAY = "TRANSITION_TODAY"
ADMIN_ROLES = "TRANSITION_ADMIN_ROLES"
RELEASE_WARNING_DAYS = "TRANSITION_RELEASE_WARNING_DAYS"
#: Days ahead of a release from which a person not ready for it is an access finding.
DEFAULT_RELEASE_WARNING_DAYS = 14
TUI_POLL = "TRANSITION_TUI_POLL"
#: Seconds between the TUI's looks for changes made by others.
DEFAULT_TUI_POLL = 5.0


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str | None = None
    actor: str | None = None
    playbooks: tuple[Path, ...] = ()
    templates: tuple[str, ...] = ()
    #: ``TRANSITION_TODAY`` as given; ``dates.pinned`` checks it where a date is needed, so that a
    #: bad value refuses only the commands that read today's date.
    today_text: str | None = None
    admin_roles: tuple[str, ...] | None = None
    #: ``TRANSITION_RELEASE_WARNING_DAYS`` as given; checked by ``release_warning_days()``.
    release_warning_text: str | None = None
    #: ``TRANSITION_TUI_POLL`` as given; checked by ``tui_poll_seconds()``.
    tui_poll_text: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        playbooks = env.get(PLAYBOOKS) or ""
        templates = env.get(TEMPLATES) or ""
        admin_roles = env.get(ADMIN_ROLES) or None
        return cls(
            database_url=env.get(DATABASE_URL) or None,
            actor=env.get(ACTOR) or None,
            playbooks=tuple(Path(p) for p in playbooks.split(os.pathsep) if p),
            templates=tuple(d for d in templates.split(os.pathsep) if d.strip()),
            today_text=env.get(TODAY) or None,
            admin_roles=tuple(admin_roles.split(",")) if admin_roles else None,
            release_warning_text=env.get(RELEASE_WARNING_DAYS) or None,
            tui_poll_text=env.get(TUI_POLL) or None,
        )

    def release_warning_days(self) -> int:
        """Days ahead of a release from which a person not ready is a finding (default 14);
        a value that is not a whole number of days from 0 to 3650 is refused (exit 2)."""
        text = (self.release_warning_text or "").strip()
        if not text:
            return DEFAULT_RELEASE_WARNING_DAYS
        if not text.isdigit() or int(text) > 3650:
            from transition.errors import BadInput

            raise BadInput(
                f"{RELEASE_WARNING_DAYS}={text!r}: expected a number of days from 0 to 3650"
            )
        return int(text)

    def tui_poll_seconds(self) -> float:
        """Seconds between the TUI's looks for changes made elsewhere (default 5; 0: it
        never looks); anything but a number of seconds from 0 to 3600 is refused (exit 2)."""
        text = (self.tui_poll_text or "").strip()
        if not text:
            return DEFAULT_TUI_POLL
        try:
            seconds = float(text)
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds <= 3600:  # also refuses nan
            from transition.errors import BadInput

            raise BadInput(f"{TUI_POLL}={text!r}: expected a number of seconds from 0 to 3600")
        return seconds

    def data_dir(self) -> Path:
        """The user's data folder (platformdirs): the default database, the demo's files."""
        from platformdirs import user_data_dir

        return Path(user_data_dir(APP_NAME, appauthor=False))

    def cache_dir(self) -> Path:
        """The user's cache folder (platformdirs): compiled report templates."""
        from platformdirs import user_cache_dir

        return Path(user_cache_dir(APP_NAME, appauthor=False))


@cache
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return Settings.from_env()


def reset() -> None:
    """Forget the settings read so far: the next ``get_settings()`` reads the environment."""
    get_settings.cache_clear()


def editor_command() -> str:
    """The user's editor (``VISUAL``, then ``EDITOR``, else ``vi``), read when asked: the
    TUI hands a runbook's file to it."""
    return os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"


def completion_requested(variable: str) -> bool:
    """Whether the shell asks for completions (``_TRANSITION_COMPLETE`` or the given
    variable is set), read when the CLI starts."""
    return bool(os.environ.get(variable))
