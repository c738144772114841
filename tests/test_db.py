"""Storage: `transition init`, the schema check, SQLite settings and a private file."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import text

from tests.safety import dump, file_hash
from transition import db


def _sqlite_only(db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite file behaviour")


@pytest.mark.empty_db
def test_init_creates_then_reports_up_to_date(cli, db_url):
    first = cli("init")
    assert first.exit_code == 0, first.stderr
    assert first.stdout.startswith("created ") and f"(schema {db.SCHEMA_HEAD})" in first.stdout
    again = cli("init")
    assert again.exit_code == 0
    assert again.stdout.endswith(f"is up to date (schema {db.SCHEMA_HEAD})\n")
    engine = db.get_engine(db_url)
    assert db.current_revision(engine) == db.SCHEMA_HEAD


@pytest.mark.empty_db
def test_first_command_on_an_empty_database_creates_the_schema(cli, db_url, tmp_path):
    if db_url.startswith("sqlite"):  # an empty file (a missing one is refused to a read)
        (tmp_path / "test.db").touch(mode=0o600)
    result = cli("engagement", "list", "--json")
    assert (result.exit_code, result.json()) == (0, [])
    assert db.current_revision(db.get_engine(db_url)) == db.SCHEMA_HEAD


def test_a_schema_behind_asks_for_init_and_changes_nothing(cli, db_url, acme, monkeypatch):
    engine = db.get_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    monkeypatch.setattr(db, "SCHEMA_REVISIONS", ("0000", *db.SCHEMA_REVISIONS))
    before = dump(db_url)
    result = cli("task", "list", acme)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: the database schema is behind this program (0000 < {db.SCHEMA_HEAD}); "
        "run `transition init` to upgrade it\n"
    )
    assert dump(db_url) == before


def test_a_newer_schema_is_refused_untouched(cli, db_url, acme):
    engine = db.get_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    before = dump(db_url)
    for command in (("init",), ("engagement", "list"), ("task", "done", acme, "kickoff-workshop")):
        result = cli(*command)
        assert result.exit_code == 2, command
        assert result.stderr.startswith("error: the database schema (9999) is newer than this")
        assert len(result.stderr.splitlines()) == 1
    assert dump(db_url) == before


def test_a_file_that_is_not_a_database_is_refused_and_kept(cli_for_path, tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are meeting notes, not a database\n" * 100)
    before = file_hash(path)
    for command in (("init",), ("engagement", "list", "--json")):
        result = cli_for_path(path, *command)
        assert result.exit_code == 2
        assert result.stderr.startswith("error: ") and "not a transition database" in result.stderr
        assert result.stdout == ""
    assert file_hash(path) == before


@pytest.fixture
def cli_for_path():
    from typer.testing import CliRunner

    from transition.cli.main import app

    runner = CliRunner()

    def run(path, *args):
        result = runner.invoke(app, ["--db", f"sqlite:///{path}", *args])
        assert not (result.exception and not isinstance(result.exception, SystemExit))
        db.reset_engines()
        return result

    return run


def test_sqlite_file_is_private_and_configured(db_url, tmp_path):
    _sqlite_only(db_url)
    path = tmp_path / "nested" / "folder" / "new.db"
    engine = db.get_engine(f"sqlite:///{path}")
    db.migrate(engine)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.SQLITE_BUSY_TIMEOUT_MS
    db.reset_engines()


def test_foreign_keys_are_enforced(session_scope):
    from transition.errors import TransitionError
    from transition.models import Task

    with pytest.raises(TransitionError, match="(?i)foreign key"), session_scope() as s:
        s.add(Task(engagement_id=12345, phase_id=54321, key="orphan", title="Orphan"))
        s.flush()


def test_session_scope_rolls_back_everything_on_error(session_scope, db_url, acme):
    from transition.errors import BadInput
    from transition.services import systems
    from transition.services.common import get_engagement

    before = dump(db_url)
    with pytest.raises(BadInput), session_scope() as s:
        systems.add(s, get_engagement(s, acme), "Service Desk")
        raise BadInput("something later in the same command failed")
    assert dump(db_url) == before


def test_every_table_module_is_an_area_of_the_models_package():
    """Tables outside ``models.core`` load when first named: each area module's tables
    must be listed in ``AREAS``, or ``from transition.models import X`` would fail."""
    import importlib
    import pkgutil

    import transition.models as models

    modules = {m.name for m in pkgutil.iter_modules(models.__path__)} - {"core", "exit"}
    assert modules == set(models.AREAS)
    for area, names in models.AREAS.items():
        module = importlib.import_module(f"transition.models.{area}")
        assert set(names) == set(module.__all__), area
        for name in names:
            assert getattr(models, name) is getattr(module, name)


def test_the_models_hold_every_table_the_migrations_create(engine):
    from sqlalchemy import inspect
    from sqlmodel import SQLModel

    from transition.models import load_all

    load_all()
    created = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert created == set(SQLModel.metadata.tables)


def test_a_command_process_leaves_no_write_ahead_log_behind(tmp_path):
    """A large write leaves a large log; the next process would read all of it to rebuild
    its index unless the writer closed its connections (and so folded the log back)."""
    import sqlite3
    import subprocess
    import sys

    path = tmp_path / "wal.db"
    entry = "from transition.cli.main import main; main()"
    url = f"sqlite:///{path}"
    new = ["engagement", "new", "Acme", "--playbook", "managed-service-onboarding"]
    done = subprocess.run(
        [sys.executable, "-c", entry, "--db", url, *new],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    # The rows are in the database file itself: readable with the log gone.
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM task").fetchone()[0] > 0


def test_postgresql_sessions_run_without_jit(engine):
    """A high estimated cost (an anti-join over a large checklist) would have PostgreSQL
    compile the query first: hundreds of milliseconds for a query of a few."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
