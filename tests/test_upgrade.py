"""Schema upgrades keep every row; a newer or foreign database is refused untouched."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from safety import assert_clean_error, dump, file_hash, run_cli
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

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


def test_upgrade_to_0002_revokes_grants_that_duplicate_one_in_force(
    db_url, engine, cli, tmp_path, monkeypatch
):
    """A 0001 database may hold identical grants in force (a race the Python check lost).
    The upgrade keeps the oldest of each group, revokes the later ones on the record (audit
    events, exit-checklist item resolved), and then builds the unique index."""
    from alembic import command

    from transition.services import audit

    # Events as the first release wrote them: without a change id (0004 added the column,
    # which the downgrade below drops).
    monkeypatch.setattr(audit, "change_id", lambda session: None)

    eng = "dup-desk"
    assert cli("engagement", "new", "Dup Desk", "--playbook", "managed-service-onboarding",
               "--start", "2026-11-02").exit_code == 0  # fmt: skip
    assert cli("person", "add", eng, "Rae", "--side", "provider").exit_code == 0
    assert cli("system", "add", eng, "CRM").exit_code == 0
    grant = ("access", "grant", eng, "--person", "Rae", "--system", "CRM")
    assert cli(*grant, "--role", "Operator").exit_code == 0
    assert cli(*grant, "--role", "reader").exit_code == 0
    runbook = ("runbook", "new", eng, "--system", "CRM", "--template", "service-restart")
    assert cli(*runbook, "--out", str(tmp_path / "rb")).exit_code == 0
    db.reset_engines()
    config = db.alembic_config(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    with engine.begin() as conn:
        # Two racers' copies of grant 1 ("operator" spelt differently), one of grant 2.
        for role in ("operator", "OPERATOR", "Reader"):
            conn.execute(
                text(
                    "INSERT INTO accessgrant (version, engagement_id, person_id, system_id, "
                    "role, justification, approver, granted_at) SELECT 1, engagement_id, "
                    "person_id, system_id, :role, '', 'racer', granted_at FROM accessgrant "
                    "WHERE id = 1"
                ),
                {"role": role},
            )
        conn.execute(
            text(
                "INSERT INTO handover_item (version, engagement_id, key, section, section_title,"
                " title, description, owner, position, source, source_kind, source_id, status)"
                " SELECT 1, engagement_id, 'grant:' || CAST(id AS VARCHAR(20)) || :suffix,"
                " 'access-grants', '', 'Revoke', '', '', 0, 'derived', 'grant', id, 'open'"
                " FROM accessgrant WHERE id > 2"
            ),
            {"suffix": ":revoke"},
        )
        # A runbook recorded twice for one system and template (one file on disk).
        conn.execute(
            text(
                "INSERT INTO runbook (version, engagement_id, system_id, template, title, path,"
                " status, skeleton_placeholders, created_at, created_by) SELECT 1,"
                " engagement_id, system_id, template, title, path, 'reviewed',"
                " skeleton_placeholders, created_at, 'racer' FROM runbook WHERE id = 1"
            )
        )
    db.reset_engines()
    result = run_cli("--db", db_url, "init")
    assert result.exit_code == 0, result.stderr
    listed = cli("access", "list", eng, "--json")
    assert listed.exit_code == 0, listed.output
    grants = {g["id"]: g for g in listed.json()}
    assert {i: g["status"] for i, g in grants.items()} == {
        1: "active", 2: "active", 3: "revoked", 4: "revoked", 5: "revoked"
    }  # fmt: skip
    assert [grants[i]["revoke_reason"] for i in (3, 4, 5)] == [
        "duplicate of grant 1", "duplicate of grant 1", "duplicate of grant 2"
    ]  # fmt: skip
    assert {grants[i]["revoked_by"] for i in (3, 4, 5)} == {"schema upgrade 0002"}
    items = {i["key"]: i["status"] for i in cli("handover", "show", eng, "--json").json()}
    assert [items.get(f"grant:{i}:revoke") for i in (3, 4, 5)] == ["resolved"] * 3
    runbooks = cli("runbook", "list", eng, "--json").json()
    assert [r["id"] for r in runbooks] == [1]
    trail = cli("audit", eng, "--json").json()
    assert any(
        e["entity"] == "runbook" and e["entity_id"] == 2 and e["action"] == "delete" for e in trail
    ), trail[-12:]
    # The copies were inserted here by SQL, not by a command, so the log never saw them
    # granted: --verify names exactly those rows, and nothing the upgrade wrote.
    verified = cli("audit", eng, "--verify")
    problems = [line for line in verified.stderr.splitlines() if "audit chain" not in line]
    assert problems == [
        f"error: grant {i}: not in the log (a row inserted behind the tool's back?)"
        for i in (3, 4, 5)
    ], verified.stderr
    # From now on the database itself refuses a second grant in force.
    with pytest.raises(IntegrityError, match="(?i)unique"), engine.begin() as conn:
        conn.execute(text("UPDATE accessgrant SET revoked_at = NULL WHERE id = 3"))


def test_upgrade_to_0014_gives_repeated_places_their_own_in_the_shown_order(db_url, engine, cli):
    """A 0013 database may hold two tasks at one place of a phase (two adds raced) and two
    exit-checklist items at one place (an upgraded checklist put an item after its
    section's last one, at the next section's first place). The upgrade gives each its
    own place, keeps the order they are shown in, logs each move, and then the database
    refuses a repeated place."""
    from alembic import command

    eng = "dup-desk"
    assert cli("engagement", "new", "Dup Desk", "--playbook", "managed-service-onboarding",
               "--start", "2026-11-02").exit_code == 0  # fmt: skip
    for key in ("race-a", "race-b", "race-c"):
        added = cli("task", "add", eng, "--phase", "discovery", "--key", key, "--title", key)
        assert added.exit_code == 0, added.stderr
    items = cli("handover", "show", eng, "--json").json()
    sections = list(dict.fromkeys(i["section"] for i in items))
    last_of_first = [i for i in items if i["section"] == sections[0]][-1]
    first_of_second = next(i for i in items if i["section"] == sections[1])
    shown_before = [i["key"] for i in items]  # the item moved below stays last of its section
    db.reset_engines()
    config = db.alembic_config(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0013")
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE task SET position = position - 1 WHERE key IN ('race-b', 'race-c')")
        )
        conn.execute(
            text(
                "UPDATE handover_item SET position = (SELECT position FROM handover_item"
                " WHERE id = :second) WHERE id = :i"
            ),
            {"second": first_of_second["id"], "i": last_of_first["id"]},
        )
    db.reset_engines()
    result = run_cli("--db", db_url, "init")
    assert result.exit_code == 0, result.stderr

    tasks = {t["key"]: t for t in cli("task", "list", eng, "--phase", "discovery", "--json").json()}
    order = list(tasks)
    assert order[-3:] == ["race-a", "race-b", "race-c"], order
    with engine.connect() as conn:
        places = dict(
            conn.execute(text("SELECT key, position FROM task WHERE key LIKE 'race-%'")).all()
        )
        item_places = [
            p for (p,) in conn.execute(
                text("SELECT position FROM handover_item WHERE source <> 'derived'")
            )
        ]  # fmt: skip
    assert places["race-b"] == places["race-a"] + 1 and places["race-c"] == places["race-a"] + 2
    assert len(item_places) == len(set(item_places))
    assert [i["key"] for i in cli("handover", "show", eng, "--json").json()] == shown_before
    trail = [e for e in cli("audit", eng, "--json").json() if e["actor"] == "schema upgrade 0014"]
    assert {(e["entity"], e["field"]) for e in trail} == {
        ("task", "position"), ("handover_item", "position")
    }  # fmt: skip
    # Each task's place replays from its log: the moves are on the record.
    verified = cli("audit", eng, "--verify")
    assert verified.exit_code == 0, verified.stderr
    with pytest.raises(IntegrityError, match="(?i)unique"), engine.begin() as conn:
        conn.execute(text("UPDATE task SET position = position - 1 WHERE key = 'race-b'"))
