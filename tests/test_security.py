"""Append-only audit log with a verifiable hash chain, no credentials stored, files 0600."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from safety import ROOT, assert_clean_error, dump, run_cli
from sqlalchemy import text

from transition import db

SECRETS = {
    "private key": "see -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n",
    "rsa key": "-----BEGIN RSA PRIVATE KEY----- MIIEpAIBAAKCAQEA",
    "password": "login with password=hunter2 on the jump host",
    "pwd colon": "PWD: Sup3rS3cret!",
    "api key": "api_key=abcd1234efgh",
    "aws": "uses AKIAIOSFODNN7EXAMPLE for the backups",
    "github": "token ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "slack": "bot xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
}


def _chain_events(session_scope):
    with session_scope(write=False) as s:
        return s.execute(text("SELECT id, after FROM audit_event ORDER BY id")).all()


def test_verify_reports_an_intact_chain(cli, acme):
    assert cli("task", "set", acme, "kickoff-workshop", "--status", "in_progress").exit_code == 0
    result = cli("audit", acme, "--verify")
    assert result.exit_code == 0, result.stderr
    assert re.fullmatch(r"chain intact: \d+ events\n", result.stdout)
    as_json = cli("audit", acme, "--verify", "--json")
    assert as_json.exit_code == 0
    assert as_json.json()["intact"] is True
    assert as_json.json()["events"] == int(result.stdout.split()[2])


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_event SET after = 'done' WHERE id = {mid}",
        "UPDATE audit_event SET actor = 'nobody' WHERE id = {mid}",
        "UPDATE audit_event SET at = at + INTERVAL '1 hour' WHERE id = {mid}",
        "DELETE FROM audit_event WHERE id = {mid}",
    ],
    ids=["edit-after", "edit-actor", "edit-time", "delete"],
)
def test_verify_detects_a_row_edited_or_deleted_in_the_database(
    cli, acme, engine, session_scope, tamper
):
    for status in ("in_progress", "blocked", "todo"):
        assert cli("task", "set", acme, "kickoff-workshop", "--status", status).exit_code == 0
    events = _chain_events(session_scope)
    mid = events[len(events) // 2][0]
    sql = tamper.format(mid=mid)
    if engine.dialect.name == "sqlite":
        sql = sql.replace("at + INTERVAL '1 hour'", "datetime(at, '+1 hour')")
    with engine.begin() as conn:
        conn.execute(text(sql))
    result = cli("audit", acme, "--verify")
    assert_clean_error(result, 1)
    assert "audit chain broken" in result.stderr
    problem_ids = {int(m) for m in re.findall(r"event (\d+):", result.stderr)}
    assert problem_ids and min(problem_ids) in (mid, mid + 1)
    as_json = cli("audit", acme, "--verify", "--json")
    assert as_json.exit_code == 1
    assert as_json.json()["intact"] is False


def test_no_code_updates_or_deletes_audit_events():
    """Append-only by construction: no module issues UPDATE/DELETE on the audit table."""
    patterns = [
        re.compile(r"\bupdate\(\s*AuditEvent\b"),
        re.compile(r"\bdelete\(\s*AuditEvent\b"),
        re.compile(r"(?i)\bupdate\s+audit_event\b"),
        re.compile(r"(?i)\bdelete\s+from\s+audit_event\b"),
        re.compile(r"\bsession\.delete\(\s*(event|ev|audit_event|row_event)\b"),
        re.compile(r"\bAuditEvent\b[^\n]*\.(update|delete)\("),
    ]
    offenders = []
    for path in sorted((ROOT / "transition").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        for pattern in patterns:
            for match in pattern.finditer(source):
                line = source[: match.start()].count("\n") + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)}")
    assert offenders == []


def _free_text_commands(acme: str) -> list[tuple[str, list[str]]]:
    """Every command that stores free text a user types, with the text as the last part."""
    return [
        ("task done --note", ["task", "done", acme, "kickoff-workshop", "--note"]),
        (
            "task set --note",
            ["task", "set", acme, "kickoff-workshop", "--status", "blocked", "--note"],
        ),
        ("phase advance --override", ["phase", "advance", acme, "--override"]),
    ]


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_free_text_that_looks_like_a_credential_is_refused(cli, acme, db_url, kind):
    before = dump(db_url)
    for label, args in _free_text_commands(acme):
        result = cli(*args, SECRETS[kind])
        assert_clean_error(result, 2)
        assert "never credentials" in result.stderr, label
        assert dump(db_url) == before, label


def test_ordinary_free_text_is_kept(cli, acme):
    note = "password reset process documented in the wiki; token rotation is monthly"
    assert cli("task", "done", acme, "kickoff-workshop", "--note", note).exit_code == 0
    rows = cli("task", "list", acme, "--json").json()
    assert next(r for r in rows if r["key"] == "kickoff-workshop")["note"] == note


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sqlite_database_files_are_readable_by_their_owner_only(tmp_path):
    old = os.umask(0o022)
    try:
        path = tmp_path / "data" / "team.db"
        result = run_cli("--db", f"sqlite:///{path}", "init")
        assert result.exit_code == 0, result.stderr
        result = run_cli(
            "--db",
            f"sqlite:///{path}",
            "engagement",
            "new",
            "Perm Check",
            "--playbook",
            "managed-service-onboarding",
        )
        assert result.exit_code == 0, result.stderr
    finally:
        os.umask(old)
    assert _mode(path) == 0o600
    for extra in path.parent.glob("team.db-*"):  # WAL and shared-memory files
        assert _mode(extra) & 0o077 == 0, extra
    assert _mode(path.parent) & 0o077 == 0


def test_default_database_is_created_private(tmp_path, monkeypatch):
    db.reset_engines()
    result = run_cli("init", env={"XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert result.exit_code == 0, result.stderr
    created = list((tmp_path / "xdg").rglob("transition.db"))
    assert len(created) == 1
    assert _mode(created[0]) == 0o600


def test_generated_files_are_readable_by_their_owner_only(cli, acme, tmp_path):
    steps = [
        ("system", "add", acme, "Ticketing"),
        ("person", "add", acme, "Dana Old", "--side", "incumbent"),
        ("kt", "schedule", acme, "--system", "Ticketing", "--topic", "Queues",
         "--presenter", "Dana Old", "--at", "2026-11-20T10:00"),
    ]  # fmt: skip
    for step in steps:
        assert cli(*step).exit_code == 0
    outputs = {
        "export.json": ("export", acme, "-o"),
        "all.json": ("export", "-o"),
        "sessions.ics": ("kt", "ics", acme, "-o"),
        "checklist.yaml": ("handover", "export", acme, "-o"),
        "report.md": ("report", acme, "-o"),
        "report.html": ("report", acme, "--format", "html", "-o"),
    }
    old = os.umask(0o022)
    try:
        for name, args in outputs.items():
            target = tmp_path / name
            target.write_text("an older file, readable by everyone")
            target.chmod(0o644)
            result = cli(*args, str(target))
            assert result.exit_code == 0, (name, result.stderr)
            assert _mode(target) == 0o600, name
            assert target.read_text() != "an older file, readable by everyone"
            fresh = tmp_path / f"fresh-{name}"
            assert cli(*args, str(fresh)).exit_code == 0
            assert _mode(fresh) == 0o600, name
    finally:
        os.umask(old)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
