"""Shared fixtures: a fresh database per test, on SQLite and (when
``TRANSITION_TEST_DATABASE_URL`` is set) on PostgreSQL too, each test in its own schema."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
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


def _isolate(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
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
    # The TUI does not look for others' changes unless a test asks it to: a look that
    # fires mid-test (every 5 s by default, a slow test on a busy machine lasts longer)
    # reads and may reload while the test waits on the screen.
    monkeypatch.setenv("TRANSITION_TUI_POLL", "0")
    monkeypatch.setenv("XDG_DATA_HOME", str(folder / "xdg-data"))
    monkeypatch.setenv("HOME", str(folder / "home"))
    settings.reset()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test touches the user's real data directory, inherits their settings or depends
    on what lies in the folder it was started from (``runbook new`` writes to
    ``./runbooks`` by default)."""
    _isolate(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
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

#: One query that describes a schema's shape: its relations, columns, defaults,
#: constraints, triggers, functions, types and privileges. A schema handed back to the
#: pool must describe itself exactly as when it was built.
_SHAPE = """
SELECT md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) FROM (
  SELECT 'ns:' || coalesce(n.nspacl::text, '') || ':' || n.nspowner::text AS x
    FROM pg_namespace n WHERE n.oid = %(s)s::regnamespace
  UNION ALL
  SELECT 'rel:' || c.relname || ':' || c.relkind::text || ':' || c.relowner::text || ':'
         || coalesce(c.relacl::text, '')
    FROM pg_class c WHERE c.relnamespace = %(s)s::regnamespace
  UNION ALL
  SELECT 'col:' || c.relname || '.' || a.attname || ':' || a.atttypid::text || ':'
         || a.atttypmod::text || ':' || a.attnotnull::text || ':'
         || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE c.relnamespace = %(s)s::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'con:' || conname || ':' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = %(s)s::regnamespace
  UNION ALL
  SELECT 'idx:' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
   WHERE c.relnamespace = %(s)s::regnamespace
  UNION ALL
  SELECT 'trg:' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
   WHERE c.relnamespace = %(s)s::regnamespace AND NOT t.tgisinternal
  UNION ALL
  SELECT 'fn:' || p.proname FROM pg_proc p WHERE p.pronamespace = %(s)s::regnamespace
  UNION ALL
  SELECT 'type:' || t.typname FROM pg_type t WHERE t.typnamespace = %(s)s::regnamespace
) q
"""


class _SchemaPool:
    """PostgreSQL schemas at the newest revision, reused by the tests of one process.

    Building a schema (every migration statement replayed) and dropping it costs several
    times what most tests do. A schema a test is done with comes back here when its shape
    is exactly as built and its revision the newest: its rows are deleted and its
    sequences restarted, so the next test finds it as new (ids from 1). A schema whose
    shape or revision a test changed, one a lingering lock keeps from being emptied, and
    the empty schemas of ``empty_db`` tests are dropped instead.
    """

    def __init__(self) -> None:
        self.free: list[str] = []
        self.shapes: dict[str, str] = {}
        self.admin = None

    def engine(self):
        if self.admin is None:
            self.admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        return self.admin

    def take(self, empty: bool) -> str:
        if not empty and self.free:
            return self.free.pop()
        schema = f"t_{uuid.uuid4().hex[:16]}"
        admin = self.engine()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        if not empty:
            _TEMPLATES.postgresql(admin, schema)
            self.shapes[schema] = self._shape(schema)
        return schema

    def _shape(self, schema: str) -> str:
        with self.engine().connect() as conn:
            return conn.exec_driver_sql(_SHAPE, {"s": schema}).scalar_one()

    def give_back(self, schema: str) -> None:
        shape = self.shapes.pop(schema, None)
        try:
            if shape is not None and self._shape(schema) == shape and self._empty(schema):
                self.shapes[schema] = shape
                self.free.append(schema)
                return
        except Exception:  # a schema we cannot vouch for is dropped, below
            pass
        self.drop(schema)

    def _empty(self, schema: str) -> bool:
        """Delete every row but the revision; False when that cannot be done at once."""
        with self.engine().connect() as autocommit:
            conn = autocommit.execution_options(isolation_level="READ COMMITTED")
            with conn.begin():
                conn.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
                version = conn.exec_driver_sql(
                    f'SELECT version_num FROM "{schema}".alembic_version'
                ).all()
                if version != [(db.SCHEMA_HEAD,)]:
                    return False
                tables = conn.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = %(s)s "
                    "AND tablename <> 'alembic_version'",
                    {"s": schema},
                ).scalars()
                # Foreign keys are not checked while every table is emptied at once.
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                conn.exec_driver_sql(
                    ";".join(f'DELETE FROM "{schema}"."{table}"' for table in tables)
                )
                conn.exec_driver_sql(
                    "SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s "
                    "JOIN pg_class c ON c.oid = s.seqrelid "
                    "WHERE c.relnamespace = %(s)s::regnamespace",
                    {"s": schema},
                )
        return True

    def drop(self, schema: str) -> None:
        self.shapes.pop(schema, None)
        with self.engine().connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    def close(self) -> None:
        while self.free:
            self.drop(self.free.pop())
        if self.admin is not None:
            self.admin.dispose()
            self.admin = None


_POOL = _SchemaPool()


@pytest.fixture(scope="session", autouse=True)
def _drop_pooled_schemas() -> Iterator[None]:
    yield
    if PG_URL:
        if _ACME.pg_schema is not None:
            _POOL.drop(_ACME.pg_schema)
        _POOL.close()


def _schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def new_database(
    backend: str, folder: Path, tmp_path_factory: pytest.TempPathFactory, empty: bool = False
) -> Iterator[str]:
    """The URL of a database of its own at the newest schema revision (``empty``: with
    nothing in it), given up when the block ends."""
    if backend == "sqlite":
        path = folder / "test.db"
        if not empty:
            shutil.copyfile(_TEMPLATES.sqlite(tmp_path_factory.getbasetemp()), path)
            path.chmod(0o600)
        try:
            yield f"sqlite:///{path}"
        finally:
            db.reset_engines()
        return
    schema = _POOL.take(empty)
    try:
        yield _schema_url(schema)
    finally:
        db.reset_engines()
        if empty:
            _POOL.drop(schema)
        else:
            _POOL.give_back(schema)


@pytest.fixture(params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database at the newest schema revision (empty with ``@pytest.mark.empty_db``)."""
    empty = request.node.get_closest_marker("empty_db") is not None
    with new_database(request.param, tmp_path, tmp_path_factory, empty) as url:
        yield url


@contextmanager
def shared_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory, build: Callable[[Callable], None]
) -> Iterator[str]:
    """A database for a module's tests that each prove a command changes nothing: built
    once per backend (``build(cli)`` runs commands the way the ``cli`` fixture does, in
    the isolated environment of a test), then handed to each test as it is."""
    folder = tmp_path_factory.mktemp(f"shared-{backend}")
    with new_database(backend, folder, tmp_path_factory) as url, pytest.MonkeyPatch.context() as mp:
        _isolate(mp, folder)
        build(_runner(url))
        settings.reset()
        dates.CLOCK.reset()
        mp.undo()
        yield url


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
    return _runner(db_url)


@pytest.fixture
def offline_cli(tmp_path: Path) -> Iterator[Callable[..., CliResult]]:
    """``cli`` for commands that read no database (help, playbook and template files): run
    once, not per backend, and the test fails if a command opened the database after all."""
    path = tmp_path / "never-opened.db"
    yield _runner(f"sqlite:///{path}")
    db.reset_engines()
    assert not path.exists(), "a command of this test opened the database"


def _runner(db_url: str) -> Callable[..., CliResult]:
    from typer.testing import CliRunner

    from transition.cli.main import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> CliResult:
        result = runner.invoke(app, ["--db", db_url, *map(str, args)], input=input)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


#: ``engagement new`` of the ``acme`` fixture.
ACME = (
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


@pytest.fixture
def acme(cli, db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An engagement started from the shipped managed-service playbook on 2026-11-02."""
    if not _ACME.copy_into(db_url, tmp_path_factory):
        result = cli(*ACME)
        assert result.exit_code == 0, result.stderr
    return "acme-helpdesk"


class _AcmeCopies:
    """The rows ``engagement new`` writes for ``acme``, written once per test process and
    per backend, then copied into each test's database (only into a database with no
    engagement and no audit event yet, and only when the settings and the clock are the
    ones every test starts with: otherwise the command runs)."""

    def __init__(self) -> None:
        self.sqlite_file: Path | None = None
        self.pg_schema: str | None = None
        self.pg_sequences: list[tuple[str, int, bool]] = []

    @staticmethod
    def _plain() -> bool:
        changed = any(
            os.environ.get(var)
            for var in (
                "TRANSITION_PLAYBOOKS",
                "TRANSITION_TEMPLATES",
                "TRANSITION_TODAY",
                "TRANSITION_ADMIN_ROLES",
            )
        )
        clock = dates.CLOCK.fixed_now is not None or dates.CLOCK.fixed_today is not None
        return not changed and not clock and os.environ.get("TRANSITION_ACTOR") == "tester"

    def copy_into(self, url: str, tmp_path_factory: pytest.TempPathFactory) -> bool:
        if not self._plain():
            return False
        if url.startswith("sqlite:///"):
            return self._sqlite(Path(url.removeprefix("sqlite:///")), tmp_path_factory)
        return self._postgresql(url)

    def _sqlite(self, path: Path, tmp_path_factory: pytest.TempPathFactory) -> bool:
        import sqlite3

        if self.sqlite_file is None:
            folder = tmp_path_factory.mktemp("acme")
            template = folder / "test.db"
            shutil.copyfile(_TEMPLATES.sqlite(tmp_path_factory.getbasetemp()), template)
            result = _runner(f"sqlite:///{template}")(*ACME)
            db.reset_engines()
            assert result.exit_code == 0, result.stderr
            self.sqlite_file = template
        con = sqlite3.connect(path, isolation_level=None)
        try:
            if con.execute(
                "SELECT EXISTS (SELECT 1 FROM engagement) OR EXISTS (SELECT 1 FROM audit_event)"
            ).fetchone()[0]:
                return False
            con.execute("ATTACH DATABASE ? AS acme", (str(self.sqlite_file),))
            tables = [
                name
                for (name,) in con.execute(
                    "SELECT name FROM acme.sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite~_%' ESCAPE '~' AND name <> 'alembic_version'"
                )
            ]
            con.execute("BEGIN IMMEDIATE")
            for name in tables:
                con.execute(f'INSERT INTO main."{name}" SELECT * FROM acme."{name}"')
            con.execute("COMMIT")
            con.execute("DETACH DATABASE acme")
        finally:
            con.close()
        return True

    def _postgresql(self, url: str) -> bool:
        admin = _POOL.engine()
        if self.pg_schema is None:
            schema = _POOL.take(False)
            result = _runner(_schema_url(schema))(*ACME)
            db.reset_engines()
            assert result.exit_code == 0, result.stderr
            with admin.connect() as conn:
                names = (
                    conn.exec_driver_sql(
                        "SELECT c.relname FROM pg_class c WHERE c.relkind = 'S' "
                        "AND c.relnamespace = %(s)s::regnamespace",
                        {"s": schema},
                    )
                    .scalars()
                    .all()
                )
                self.pg_sequences = [
                    (
                        name,
                        *conn.exec_driver_sql(
                            f'SELECT last_value, is_called FROM "{schema}"."{name}"'
                        ).one(),
                    )
                    for name in names
                ]
            self.pg_schema = schema
        named = re.search(r"search_path%3D(t_[0-9a-f]+)$", url)
        if named is None:
            return False
        target, source = named.group(1), self.pg_schema
        with admin.connect() as autocommit:
            conn = autocommit.execution_options(isolation_level="READ COMMITTED")
            with conn.begin():
                busy = conn.exec_driver_sql(
                    f'SELECT EXISTS (SELECT 1 FROM "{target}".engagement) '
                    f'OR EXISTS (SELECT 1 FROM "{target}".audit_event)'
                ).scalar_one()
                if busy:
                    return False
                tables = (
                    conn.exec_driver_sql(
                        "SELECT tablename FROM pg_tables WHERE schemaname = %(s)s "
                        "AND tablename <> 'alembic_version'",
                        {"s": source},
                    )
                    .scalars()
                    .all()
                )
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                conn.exec_driver_sql(
                    ";".join(
                        f'INSERT INTO "{target}"."{t}" SELECT * FROM "{source}"."{t}"'
                        for t in tables
                    )
                )
                for name, value, called in self.pg_sequences:
                    conn.exec_driver_sql(
                        "SELECT setval(%(seq)s, %(v)s, %(c)s)",
                        {"seq": f'"{target}"."{name}"', "v": value, "c": called},
                    )
        return True


_ACME = _AcmeCopies()


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


#: The longest tests (a whole README story per backend, the snapshot group that one worker
#: runs, benchmarks, kill and concurrency tests with real processes), started first so
#: that none of them is left running alone while the other worker idles at the end.
LONGEST_FIRST = (
    "test_readme.py",
    "test_tui_snapshots.py",
    "test_bench_small.py",
    "test_faults.py",
    "test_delete_kill.py",
    "test_concurrency.py",
    "test_performance_core.py",
    "test_demo.py",
    "test_report_print.py",
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
