"""Which database: the default and demo URLs, a database the user gives (a URL or a
SQLite file path), and a URL or driver message made safe to show (secrets masked)."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from transition.errors import BadInput
from transition.settings import get_settings


def default_url() -> str:
    settings = get_settings()
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{settings.data_dir() / 'transition.db'}"


def demo_url() -> str:
    return f"sqlite:///{get_settings().data_dir() / 'demo.db'}"


#: ``dialect[+driver]://`` starts a URL; anything else given as a database is a file path.
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
#: Query-string keys whose values are secrets (``?password=``, ``sslpassword``, ``token``…).
_SECRET_QUERY = re.compile(
    r"([?&][^=&#]*(?:password|passwd|pwd|secret|token|key)[^=&#]*=)[^&#]*", re.IGNORECASE
)
_CONNINFO_SECRET = re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)
_USERINFO_SECRET = re.compile(r"^([^:/?#]*://[^:/?#@]*:).*@")


def normalize_url(value: str) -> str:
    """A database given by the user: a SQLAlchemy URL as it is, or a SQLite file path
    (relative, absolute or ``~``) turned into its ``sqlite:///`` URL."""
    text = value.strip()
    if not text:
        raise BadInput("empty database URL: give a URL such as sqlite:///t.db or a file path")
    if _URL_SCHEME.match(text):
        return text
    if "://" in text:  # meant as a URL, but its scheme is not dialect[+driver]
        raise BadInput(f"invalid database URL {redact_url(text)!r}: expected dialect+driver://…")
    return f"sqlite:///{Path(text).expanduser().absolute()}"


def redact_url(url: str | URL) -> str:
    """A database URL safe to show: the password and secret query values masked as ``***``.

    Every place that prints a URL (errors, ``init``, ``demo``, help, the TUI) goes
    through this function, even for a string that does not parse as a URL."""
    if isinstance(url, URL):
        text = url.render_as_string(hide_password=True)
    else:
        text = str(url)
        try:
            text = make_url(text).render_as_string(hide_password=True)
        except Exception:  # not a URL at all: mask what looks like user:password@
            text = _USERINFO_SECRET.sub(r"\1***@", text)
    return _SECRET_QUERY.sub(r"\1***", text)


def redact_text(message: str) -> str:
    """A driver's message safe to show: URLs redacted, ``password=…`` masked."""
    return _CONNINFO_SECRET.sub(r"\1***", redact_url(message))


def missing_sqlite_file(url: str) -> Path | None:
    """The file a SQLite database URL (or plain path) names, when that file does not exist;
    None for a file that exists, an in-memory database, any other database, or a URL that
    does not parse (opening it says why)."""
    try:
        parsed = make_url(normalize_url(url))
    except Exception:  # a malformed URL: ``db.get_engine`` reports it
        return None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database:
        return None
    if database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).expanduser().absolute()
    try:
        path.stat()
    except FileNotFoundError:
        return path
    except OSError:  # a file where a folder should be, no permission: opening says why
        return None
    return None
