"""Helpers shared by the robustness tests: a full dump of the database to compare before
and after a command, file hashes, and the shape every error must have."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent


#: PostgreSQL engines by URL, each opening a fresh connection per dump (no pool): a URL
#: names one schema, and connecting is cheap next to an engine's first-connect queries.
_PG_ENGINES: dict[str, Any] = {}


def _dump_engine(url: str):
    if url.startswith("postgresql"):
        if url not in _PG_ENGINES:
            _PG_ENGINES[url] = create_engine(url, poolclass=NullPool)
        return _PG_ENGINES[url], False
    # SQLite: a new engine each time (a test may replace or delete the file).
    return create_engine(url, poolclass=NullPool), True


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (alembic_version included), sorted, as plain tuples."""
    engine, dispose = _dump_engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                names = conn.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                ).scalars()
            else:
                names = conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite~_%' ESCAPE '~'"
                ).scalars()
            out: dict[str, list[tuple[Any, ...]]] = {}
            for name in sorted(names.all()):
                rows = conn.exec_driver_sql(f'SELECT * FROM "{name}"')
                out[name] = sorted((tuple(r) for r in rows), key=repr)
            return out
    finally:
        if dispose:
            engine.dispose()


def file_hash(path: Path) -> str | None:
    if not path.exists() or path.is_dir():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_clean_error(result: Any, code: int = 2) -> None:
    """An ``error:`` line on stderr, the documented exit code, no traceback anywhere."""
    stderr, stdout = result.stderr, result.stdout
    assert result.exit_code == code, (result.exit_code, stdout[-2000:], stderr[-2000:])
    assert stderr.startswith("error: "), stderr[-2000:]
    assert "Traceback" not in stderr + stdout
    assert len(stderr.splitlines()) <= 60, "an error is a few lines, not a dump"
    # A value echoed back is cut: a line is read, however long the input.
    assert max(map(len, stderr.splitlines())) <= 560, stderr[:600]


class Proc:
    """The result of a real ``transition`` process (same attributes as the cli fixture)."""

    def __init__(self, completed: subprocess.CompletedProcess) -> None:
        self.exit_code = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Proc:
    """``python -m transition.cli.main ARGS…`` in a separate process."""
    full_env = {**os.environ, **(env or {})}
    completed = subprocess.run(
        [sys.executable, "-c", "from transition.cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )
    return Proc(completed)


def audit_count(engine) -> int:
    """How many audit events the database holds (every change writes at least one)."""
    from sqlalchemy import func, select

    from transition import db
    from transition.models import AuditEvent

    with db.session_scope(engine, write=False) as s:
        return s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def refused_unwritten(cli, engine, *args: str) -> str:
    """Run ``transition ARGS``: refused by a rule (exit 1) in one ``error:`` line, nothing on
    stdout, no traceback, no audit event written; returns the error."""
    before = audit_count(engine)
    result = cli(*args)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert audit_count(engine) == before
    return result.stderr
