"""Shared fixtures: a fresh database per test, on SQLite and (when
``TRANSITION_TEST_DATABASE_URL`` is set) on PostgreSQL too, each test in its own schema."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from transition import dates, db, settings

PG_URL = os.environ.get("TRANSITION_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test touches the user's real data directory or inherits their settings."""
    for var in (
        "TRANSITION_DATABASE_URL",
        "TRANSITION_PLAYBOOKS",
        "TRANSITION_TEMPLATES",
        "TRANSITION_TODAY",
        "TRANSITION_ADMIN_ROLES",
        "TRANSITION_TUI_POLL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TRANSITION_ACTOR", "tester")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    settings.reset()
    yield
    settings.reset()
    dates.CLOCK.reset()


@pytest.fixture
def clock() -> Iterator[dates.Clock]:
    """The clock the code reads: ``clock.pin(today="2026-11-10")`` fixes today's date,
    ``clock.pin(now=datetime(..., tzinfo=UTC))`` the current instant; undone after the test."""
    yield dates.CLOCK
    dates.CLOCK.reset()


@pytest.fixture
def setting(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str | None], None]:
    """``setting("TRANSITION_TEMPLATES", folder)`` sets (``None``: unsets) an environment
    variable and has the settings read afresh, as a new process would."""

    def apply(name: str, value: str | None) -> None:
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
        settings.reset()

    return apply


class _Templates:
    """A database migrated once per test process, handed to each test as a copy.

    Running every migration for every test costs more than most tests themselves. A test
    gets a copy of a database at the newest revision instead: on SQLite a copy of a
    migrated file; on PostgreSQL a new schema in which the statements the migrations
    issued (captured when they first ran) are replayed. A test marked ``empty_db`` gets a
    database with nothing in it (first use, ``init`` messages, foreign databases).
    """

    def __init__(self) -> None:
        self.sqlite_file: Path | None = None
        self.pg_statements: list[tuple[str, object]] | None = None

    def sqlite(self, folder: Path) -> Path:
        if self.sqlite_file is None:
            path = folder / "migrated.db"
            db.migrate(db.get_engine(f"sqlite:///{path}"))
            db.reset_engines()  # closes the file; its write-ahead log is folded in
            self.sqlite_file = path
        return self.sqlite_file

    def postgresql(self, admin, schema: str) -> None:
        if self.pg_statements is None:
            self.pg_statements = self._capture(admin)
        with admin.connect() as autocommit:
            conn = autocommit.execution_options(isolation_level="READ COMMITTED")
            with conn.begin():
                conn.exec_driver_sql(f'SET LOCAL search_path TO "{schema}"')
                for statement, parameters in self.pg_statements:
                    conn.exec_driver_sql(statement, parameters)

    @staticmethod
    def _capture(admin) -> list[tuple[str, object]]:
        """The writing statements the migrations issue on an empty schema, in order."""
        from sqlalchemy import event

        schema = f"t_{uuid.uuid4().hex[:16]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        statements: list[tuple[str, object]] = []
        engine = db.get_engine(_schema_url(schema))

        def keep(conn, cursor, statement, parameters, context, executemany) -> None:
            if not statement.lstrip().upper().startswith(("SELECT", "SHOW")):
                statements.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", keep)
        try:
            db.migrate(engine)
        finally:
            event.remove(engine, "before_cursor_execute", keep)
            db.reset_engines()
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        return statements


_TEMPLATES = _Templates()


def _schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database at the newest schema revision (empty with ``@pytest.mark.empty_db``)."""
    empty = request.node.get_closest_marker("empty_db") is not None
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        if not empty:
            shutil.copyfile(_TEMPLATES.sqlite(tmp_path_factory.getbasetemp()), path)
            path.chmod(0o600)
        yield f"sqlite:///{path}"
        db.reset_engines()
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    if not empty:
        _TEMPLATES.postgresql(admin, schema)
    yield _schema_url(schema)
    db.reset_engines()
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def engine(db_url: str):
    engine = db.get_engine(db_url)
    db.migrate(engine)
    return engine


@pytest.fixture
def session_scope(engine) -> Callable[..., AbstractContextManager[Session]]:
    """``with session_scope() as s:`` — one committed unit of work, actor ``tester``."""

    def factory(actor: str = "tester", write: bool = True):
        return db.session_scope(engine, actor=actor, write=write)

    return factory


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):
        import json

        return json.loads(self.stdout)


@pytest.fixture
def cli(db_url: str) -> Callable[..., CliResult]:
    """Run ``transition --db URL ARGS…`` in-process through Typer's runner."""
    from typer.testing import CliRunner

    from transition.cli.main import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> CliResult:
        result = runner.invoke(app, ["--db", db_url, *map(str, args)], input=input)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def acme(cli) -> str:
    """An engagement started from the shipped managed-service playbook on 2026-11-02."""
    result = cli(
        "engagement",
        "new",
        "Acme Helpdesk",
        "--playbook",
        "managed-service-onboarding",
        "--client",
        "Acme",
        "--incumbent",
        "OldCo",
        "--provider",
        "NewCo",
        "--start",
        "2026-11-02",
    )
    assert result.exit_code == 0, result.stderr
    return "acme-helpdesk"


class QueryCounter:
    """Counts SQL statements sent through an engine while active."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement)

    def __enter__(self) -> QueryCounter:
        from sqlalchemy import event

        self.statements.clear()
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._on_execute)

    @property
    def count(self) -> int:
        # BEGIN/COMMIT/pragma housekeeping is not a query of the feature.
        return sum(
            1
            for s in self.statements
            if not s.lstrip()
            .upper()
            .startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE"))
        )


@pytest.fixture
def count_queries(engine) -> Callable[[], QueryCounter]:
    """``with count_queries() as q: …; assert q.count <= N`` on the test's engine."""
    return lambda: QueryCounter(engine)
