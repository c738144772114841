"""Schema upgrades keep every row; a newer or foreign database is refused untouched."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from safety import assert_clean_error, dump, file_hash, run_cli
from sqlalchemy import create_engine, text

from transition import db

FIXTURES = Path(__file__).with_name("fixtures")


def test_every_known_revision_has_a_fixture_and_head_is_alembics():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db.alembic_config(None))
    assert script.get_current_head() == db.SCHEMA_HEAD
    assert db.SCHEMA_REVISIONS[-1] == db.SCHEMA_HEAD
    known = [rev.revision for rev in script.walk_revisions()]
    assert sorted(known) == sorted(db.SCHEMA_REVISIONS)
    for revision in db.SCHEMA_REVISIONS:
        assert (FIXTURES / f"schema_{revision}.sqlite").is_file(), revision


@pytest.mark.parametrize("revision", db.SCHEMA_REVISIONS)
def test_init_upgrades_a_fixture_database_with_nothing_lost(tmp_path, revision):
    path = tmp_path / "old.db"
    shutil.copyfile(FIXTURES / f"schema_{revision}.sqlite", path)
    url = f"sqlite:///{path}"
    before = dump(url)
    old_columns = _columns(path)
    assert before["alembic_version"] == [(revision,)]
    assert len(before["audit_event"]) > 0

    result = run_cli("--db", url, "init")
    assert result.exit_code == 0, result.stderr
    expected = "is up to date" if revision == db.SCHEMA_HEAD else "upgraded"
    assert expected in result.stdout

    after = dump(url)
    assert after["alembic_version"] == [(db.SCHEMA_HEAD,)]
    conn = sqlite3.connect(path)
    try:
        for name, rows in before.items():
            if name == "alembic_version":
                continue
            # Every old row is still there with its old values (new columns may be added).
            old_cols = old_columns[name]
            quoted = ", ".join(f'"{c}"' for c in old_cols)
            kept = sorted(
                (tuple(r) for r in conn.execute(f'SELECT {quoted} FROM "{name}"')), key=repr
            )
            assert len(kept) == len(rows), name
            assert [tuple(map(_norm, r)) for r in kept] == [tuple(map(_norm, r)) for r in rows]
    finally:
        conn.close()

    # The upgraded database works: lists, the audit chain, a new change.
    listed = run_cli("--db", url, "engagement", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert [e["slug"] for e in _json(listed.stdout)] == ["acme-helpdesk"]
    verified = run_cli("--db", url, "audit", "acme-helpdesk", "--verify")
    assert verified.exit_code == 0, verified.stderr
    changed = run_cli(
        "--db", url, "task", "set", "acme-helpdesk", "stakeholder-map", "--status", "done"
    )
    assert changed.exit_code in (0, 1), changed.stderr  # 1: refused by a dependency rule
    assert run_cli("--db", url, "audit", "acme-helpdesk", "--verify").exit_code == 0


def _columns(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: [c[1] for c in conn.execute(f'PRAGMA table_info("{n}")')] for n in names}
    finally:
        conn.close()


def _norm(value):
    return str(value) if value is not None else None


def _json(text_: str):
    import json

    return json.loads(text_)


def _fake_newer(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()


@pytest.mark.parametrize("command", [["init"], ["engagement", "list"], ["audit", "acme-helpdesk"]])
def test_a_newer_sqlite_database_is_refused_and_left_byte_for_byte(tmp_path, command):
    path = tmp_path / "newer.db"
    shutil.copyfile(FIXTURES / f"schema_{db.SCHEMA_HEAD}.sqlite", path)
    _fake_newer(f"sqlite:///{path}")
    before = file_hash(path)
    result = run_cli("--db", f"sqlite:///{path}", *command)
    assert_clean_error(result, 2)
    assert "newer than this program" in result.stderr
    assert file_hash(path) == before
    assert not any(p.name.endswith("-wal") and p.stat().st_size for p in tmp_path.iterdir())


def test_a_newer_database_is_refused_on_every_backend(db_url, engine, cli):
    cli("engagement", "new", "Newer", "--playbook", "managed-service-onboarding")
    _fake_newer(db_url)
    before = dump(db_url)
    db.reset_engines()
    for command in (["init"], ["engagement", "list"], ["task", "list", "newer"]):
        result = run_cli("--db", db_url, *command)
        assert_clean_error(result, 2)
        assert "newer than this program" in result.stderr
    assert dump(db_url) == before


def _truncated(tmp_path: Path) -> Path:
    path = tmp_path / "truncated.db"
    data = (FIXTURES / f"schema_{db.SCHEMA_HEAD}.sqlite").read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def _random(tmp_path: Path) -> Path:
    path = tmp_path / "random.db"
    path.write_bytes(os.urandom(64 * 1024))
    return path


def _text_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("meeting notes\nnot a database at all\n" * 200)
    return path


def _foreign_sqlite(tmp_path: Path) -> Path:
    path = tmp_path / "other-app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO things (name) VALUES ('keep me')")
    conn.commit()
    conn.close()
    return path


def _header_only(tmp_path: Path) -> Path:
    path = tmp_path / "header.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 84)
    return path


@pytest.mark.parametrize(
    "make",
    [_truncated, _random, _text_file, _foreign_sqlite, _header_only],
    ids=["truncated", "random-bytes", "text-file", "other-sqlite-app", "bad-header"],
)
@pytest.mark.parametrize("command", [["init"], ["engagement", "list"], ["person", "list", "x"]])
def test_a_file_that_is_not_a_transition_database_is_refused_untouched(tmp_path, make, command):
    path = make(tmp_path)
    before = file_hash(path)
    result = run_cli("--db", f"sqlite:///{path}", *command)
    assert_clean_error(result, 2)
    assert file_hash(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_a_directory_as_database_is_refused(tmp_path):
    folder = tmp_path / "folder.db"
    folder.mkdir()
    (folder / "keep.txt").write_text("x")
    result = run_cli("--db", f"sqlite:///{folder}", "init")
    assert_clean_error(result, 2)
    assert "directory" in result.stderr
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize(
    "url",
    # A value that is not a URL is a SQLite file path (tests/test_cli_inputs.py).
    [
        "postgresql+psycopg://u@h:abc/x",
        "sqlite:///{tmp}/a-file/x.db",
        "mysql+nodriver://u@h/db",
        "://",
    ],
)
def test_a_bad_database_url_is_a_clear_error(url, tmp_path):
    (tmp_path / "a-file").write_text("a file where a folder should be")
    result = run_cli("--db", url.format(tmp=tmp_path), "engagement", "list")
    assert_clean_error(result, 2)
