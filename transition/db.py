"""Engines, sessions and the schema check.

- ``get_engine(url)``: one engine per database, given as a URL or a SQLite file path (the
  default, the demo URL and redaction live in ``dburl``); SQLite gets WAL, foreign keys, a
  busy timeout, ``BEGIN IMMEDIATE`` for writing sessions and a file readable by its owner
  only.
- ``session_scope(engine, actor=..., write=...)``: one unit of work, committed or rolled back
  as a whole; stale-version updates and lock time-outs become the tool's own errors, and a
  write that breaks a unique constraint (a lost race: another writer saved the same thing
  first) becomes a plain refusal, exit 1, "… already exists".
- ``ensure_schema(engine)``: an empty database is created through the migrations; a database
  whose schema is behind or ahead of this program is refused.
  Migrations run one at a time (SQLite write lock, PostgreSQL advisory lock).

Alembic is imported only when migrations actually run, so ordinary commands stay fast.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
    SAWarning,
)
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, create_engine

from transition.db_postgresql import no_jit
from transition.dburl import default_url, normalize_url, redact_text, redact_url
from transition.errors import BadInput, Conflict, Refused, SchemaOutOfDate, TransitionError
from transition.unique_names import duplicate_refusal

# A row another writer deleted between this one's read and its delete: SQLAlchemy only
# warns (both writers would report the removal); ``session_scope`` refuses it instead.
warnings.filterwarnings(
    "error", message=r"DELETE statement on table .* expected to delete", category=SAWarning
)

#: The newest migration revision this program knows (tests assert it is Alembic's head).
SCHEMA_HEAD = "0015"
#: Every revision this program can upgrade from, oldest first.
SCHEMA_REVISIONS = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
    "0010",
    "0011",
    "0012",
    "0013",
    "0014",
    "0015",
)

SQLITE_BUSY_TIMEOUT_MS = 15_000

_engines: dict[str, Engine] = {}


def _prepare_sqlite_file(database: str | None) -> None:
    """Create the SQLite file (and its folder) readable by its owner only."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database).expanduser()
    if path.exists():
        if path.is_dir():
            raise BadInput(f"database path {path} is a directory")
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise BadInput(f"cannot create database file {path}: {exc.strerror}") from None


def get_engine(url: str | None = None) -> Engine:
    url = normalize_url(url or default_url())
    engine = _engines.get(url)
    if engine is not None:
        return engine
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # a malformed port or host parses as ValueError
        raise BadInput(
            f"invalid database URL {redact_url(url)!r}: expected dialect+driver://user@host/db"
        ) from None
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            _prepare_sqlite_file(parsed.database)
            engine = _sqlite_engine(parsed)
        elif backend == "postgresql":
            engine = create_engine(
                parsed, pool_pre_ping=False, connect_args={"connect_timeout": 10}
            )
            event.listen(engine, "connect", no_jit)
        else:
            engine = create_engine(parsed)
    except TransitionError:
        raise
    except (ImportError, NoSuchModuleError) as exc:  # a driver that is not installed
        missing = getattr(exc, "name", None) or parsed.drivername
        raise BadInput(
            f"cannot use database URL {redact_url(parsed)!r}: its driver {missing!r} is not "
            "installed (PostgreSQL: postgresql+psycopg://…)"
        ) from None
    except Exception as exc:  # an unknown dialect, or arguments the dialect refuses
        raise BadInput(
            f"cannot use database URL {redact_url(parsed)!r}: {redact_url(str(exc))}"
        ) from None
    _engines[url] = engine
    return engine


#: SQLite engines on a file: the file's path, and why it is read-only (None if writable).
_sqlite_files: dict[Engine, tuple[Path, str | None]] = {}


def _file_identity(path: Path) -> tuple[int, int] | None:
    """The file's device and inode, or None when it is gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _read_only_reason(path: Path) -> str | None:
    """Why this process cannot write the SQLite file (None if it can): SQLite writes the
    file itself and creates its journal files beside it."""
    if not path.is_file():
        return None
    if not os.access(path, os.W_OK):
        return "the file is read-only"
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return "its folder is read-only"
    for suffix in ("-wal", "-shm"):
        journal = path.with_name(path.name + suffix)
        if journal.exists() and not os.access(journal, os.W_OK):
            return f"its journal file {journal.name} is read-only"
    return None


def _sqlite_engine(parsed) -> Engine:
    connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    database = parsed.database
    path = None
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database).expanduser().absolute()
    reason = _read_only_reason(path) if path is not None else None
    if path is not None and reason is not None:
        # Read-only: opened as such, so reads work; a WAL database in a folder where its
        # shared-memory file cannot be created is read as immutable (nobody can write it).
        query = {"mode": "ro", "uri": "true"}
        shm = path.with_name(path.name + "-shm")
        if not shm.exists() and not os.access(path.parent, os.W_OK | os.X_OK):
            query["immutable"] = "1"
        parsed = parsed.set(database=f"file:{quote(str(path))}", query=query)
    engine = create_engine(parsed, connect_args=connect_args)
    if path is not None:
        _sqlite_files[engine] = (path, reason)
    _configure_sqlite(engine, path, read_only=reason is not None)
    return engine


#: A function every SQLite connection gets: case folding in any script, which SQLite's own
#: ``lower()`` and ``LIKE`` do for ASCII letters only (list filters use it:
#: ``services/textmatch.py``).
SQLITE_FOLD = "transition_fold"


def sqlite_fold(value: object) -> str | None:
    return None if value is None else str(value).casefold()


def _configure_sqlite(engine: Engine, path: Path | None = None, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, record) -> None:  # pragma: no cover - exercised always
        # Autocommit at the driver level; transactions are begun explicitly below.
        dbapi_connection.isolation_level = None
        if path is not None:
            # Which file this connection has open: a commit into a file that was deleted
            # or replaced since would be lost (see ``_check_same_file``).
            record.info["transition_file"] = _file_identity(path)
        dbapi_connection.create_function(SQLITE_FOLD, 1, sqlite_fold, deterministic=True)
        cursor = dbapi_connection.cursor()
        try:
            # A read first: a file that is not a database fails here, before any write.
            cursor.execute("PRAGMA schema_version")
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode")
            wal = str(cursor.fetchone()[0]).lower() == "wal"
            if not wal and not read_only and _ours_or_empty(cursor):
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # pragma: no cover - exercised always
        # Writers take the write lock up front, so two writers queue on the busy timeout
        # instead of failing with "database is locked" when a read upgrades to a write.
        mode = "IMMEDIATE" if conn.get_execution_options().get("transition_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def _ours_or_empty(cursor) -> bool:
    """Switching to WAL rewrites the file header: only for a new database or one of ours,
    never for another program's file or a database newer than this program."""
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    names = {row[0] for row in cursor.fetchall()}
    if not names:
        return True
    if "alembic_version" not in names:
        return False
    cursor.execute("SELECT version_num FROM alembic_version")
    row = cursor.fetchone()
    return bool(row) and row[0] in SCHEMA_REVISIONS


def reset_engines() -> None:
    """Dispose every cached engine (tests, and the TUI when it switches databases)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    _sqlite_files.clear()


def describe(engine: Engine) -> str:
    if engine in _sqlite_files:
        return str(_sqlite_files[engine][0])
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return redact_url(url)


# What each table's unique constraints promise, in the words of a refusal.
def _sqlite_io_error_on_a_full_disk(exc: Exception, engine: Engine) -> bool:
    """SQLite reports a disk that is already full when a command starts as an I/O error
    (its WAL index or journal cannot grow: ``SQLITE_IOERR_SHMSIZE``, ``…_WRITE``), not as
    ``SQLITE_FULL``: it is a full disk when the database's folder has no space left."""
    name = getattr(getattr(exc, "orig", exc), "sqlite_errorname", "") or ""
    if not name.startswith("SQLITE_IOERR") or engine not in _sqlite_files:
        return False
    try:
        return shutil.disk_usage(_sqlite_files[engine][0].parent).free == 0
    except OSError:
        return False


def _translate(exc: Exception, engine: Engine) -> TransitionError:
    if isinstance(exc, IntegrityError):
        duplicate = duplicate_refusal(exc)
        if duplicate is not None:
            return duplicate
    message = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else repr(exc)
    message = redact_text(message)
    lowered = message.lower()
    if "file is not a database" in lowered or "file is encrypted" in lowered:
        return BadInput(f"{describe(engine)} is not a transition database ({message})")
    if "database is locked" in lowered or "could not obtain lock" in lowered:
        return Conflict("the database is busy with another writer; try again in a moment")
    if "readonly database" in lowered or "read-only" in lowered:
        return Refused(f"the database {describe(engine)} is read-only; nothing was changed")
    if (
        "database or disk is full" in lowered
        or "no space left on device" in lowered
        or _sqlite_io_error_on_a_full_disk(exc, engine)
    ):
        return Refused(
            f"the disk holding the database {describe(engine)} is full; nothing was saved"
        )
    if "permission denied" in lowered or "insufficientprivilege" in lowered:
        return BadInput(
            f"permission denied in {describe(engine)} ({message}); creating or upgrading "
            "the schema needs CREATE on it (GRANT CREATE ON SCHEMA … TO the role)"
        )
    if "unable to open database" in lowered:
        return BadInput(f"cannot open database {describe(engine)} ({message})")
    if isinstance(exc, OperationalError) and (
        "connection" in lowered or "could not translate host" in lowered
    ):
        return BadInput(f"cannot connect to {describe(engine)}: {message}")
    return TransitionError(f"database error: {message}")


@contextmanager
def session_scope(engine: Engine, *, actor: str = "", write: bool = True) -> Iterator[Session]:
    """One unit of work. Commits when the block ends, rolls everything back on any error."""
    if write:
        _refuse_read_only(engine)
    bind = engine.execution_options(transition_write=write)
    session = Session(bind, expire_on_commit=False)
    session.info["actor"] = actor
    session.info["write"] = write
    try:
        yield session
        if write:
            _check_same_file(session, engine)
        session.commit()
    except StaleDataError:
        session.rollback()
        raise Conflict(
            "someone else changed this record since it was read; nothing was saved, "
            "reload and try again"
        ) from None
    except SAWarning:  # a delete that found its row gone (see the filter above)
        session.rollback()
        raise Conflict(
            "someone else removed this a moment ago; nothing was saved, reload and try again"
        ) from None
    except TransitionError:
        session.rollback()
        raise
    except (OperationalError, DatabaseError) as exc:
        session.rollback()
        raise _translate(exc, engine) from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _refuse_read_only(engine: Engine) -> None:
    path, reason = _sqlite_files.get(engine, (None, None))
    if reason is not None:
        raise Refused(
            f"the database {path} is read-only ({reason}): this command changes it, "
            "so nothing was done; read commands still work"
        )


def _check_same_file(session: Session, engine: Engine) -> None:
    """Refuse to commit into a SQLite file that was deleted or replaced while the command
    ran: the change would land in a file nobody can open again."""
    path, _ = _sqlite_files.get(engine, (None, None))
    if path is None or session.get_transaction() is None:
        return
    opened = session.connection().connection.info.get("transition_file")
    now = _file_identity(path)
    if now is None or now != opened:
        what = "deleted" if now is None else "replaced by another file"
        raise Refused(
            f"the database file {path} was {what} while this command ran; nothing was saved"
        )


def current_revision(engine: Engine) -> str | None | bool:
    """The stored schema revision; ``None`` if the database is empty, ``False`` if it holds
    tables but no revision (not a transition database)."""
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            return row[0] if row else None
    except (OperationalError, DatabaseError) as exc:
        lowered = str(exc).lower()
        if "alembic_version" not in lowered:
            raise _translate(exc, engine) from None
    try:
        with engine.connect() as conn:
            return False if inspect(conn).get_table_names() else None
    except (OperationalError, DatabaseError) as exc:
        raise _translate(exc, engine) from None


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Create or upgrade the schema to the newest revision. Returns (before, after)."""
    before = current_revision(engine)
    if before is False:
        raise BadInput(
            f"{describe(engine)} holds tables that are not a transition database; "
            "refusing to touch it"
        )
    if before is not None and before not in SCHEMA_REVISIONS:
        raise SchemaOutOfDate(
            f"the database schema ({before}) is newer than this program knows "
            f"({SCHEMA_HEAD}); upgrade transition"
        )
    if before == SCHEMA_HEAD:
        return before, SCHEMA_HEAD
    from alembic import command

    config = alembic_config(engine)
    # One migrator at a time (several first commands on an empty database start together):
    # SQLite's write lock (BEGIN IMMEDIATE) or a PostgreSQL advisory lock, then the
    # revision is read again under the lock; a later migrator finds the work done.
    try:
        with engine.execution_options(transition_write=True).begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATE_LOCK})
            if _revision_in(connection) == SCHEMA_HEAD:
                return before, SCHEMA_HEAD
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except (OperationalError, DatabaseError) as exc:
        raise _translate(exc, engine) from None
    return before, SCHEMA_HEAD


_MIGRATE_LOCK = 7_311_204_002  # advisory lock held while migrations run (PostgreSQL)


def _revision_in(connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    return row[0] if row else None


def alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return config


def ensure_schema(engine: Engine) -> None:
    """Make sure the schema is current before a command runs.

    An empty database is created (first use needs no separate step); a schema that is
    behind asks for ``transition init``; a newer one is refused untouched.
    """
    revision = current_revision(engine)
    if revision == SCHEMA_HEAD:
        return
    if revision is None:
        migrate(engine)
        return
    if revision is False:
        raise BadInput(f"{describe(engine)} is not a transition database")
    if revision in SCHEMA_REVISIONS:
        raise SchemaOutOfDate(
            f"the database schema is behind this program ({revision} < {SCHEMA_HEAD}); "
            "run `transition init` to upgrade it"
        )
    raise SchemaOutOfDate(
        f"the database schema ({revision}) is newer than this program knows ({SCHEMA_HEAD}); "
        "upgrade transition"
    )
