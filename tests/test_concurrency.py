"""Several real processes writing the same rows of one database (SQLite file and PostgreSQL).

Default run: 4 writers × 50 changes. ``TRANSITION_STRESS=1`` runs 8 writers × 200 changes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import distinct, func, select

from transition import db
from transition.models import (
    AccessGrant,
    AuditEvent,
    Engagement,
    HandoverItem,
    Person,
    System,
    Task,
)
from transition.services import audit

WORKER = Path(__file__).with_name("concurrency_worker.py")
STRESS = bool(os.environ.get("TRANSITION_STRESS"))
WRITERS, CHANGES = (8, 200) if STRESS else (4, 50)
KEYS = 3  # few rows, so that writers collide often


def _spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(procs: list[subprocess.Popen], timeout: float = 600) -> list[list[dict]]:
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        outputs.append([json.loads(line) for line in out.splitlines() if line.strip()])
    return outputs


def _task_keys(session_scope, eng_slug: str, n: int) -> list[str]:
    with session_scope() as s:
        return list(s.execute(select(Task.key).order_by(Task.id).limit(n)).scalars())


def test_stale_writes_are_refused_and_nothing_is_lost(acme, db_url, engine, session_scope):
    keys = _task_keys(session_scope, acme, KEYS)
    procs = [
        _spawn(db_url, acme, f"writer-{i}", str(CHANGES), str(1000 + i), *keys)
        for i in range(WRITERS)
    ]
    outputs = _finish(procs)

    accepted: Counter = Counter()
    per_task: Counter = Counter()
    refusals = []
    for i, lines in enumerate(outputs):
        ok = [line for line in lines if "refused" not in line]
        assert len(ok) == CHANGES
        for line in ok:
            accepted[(f"writer-{i}", line["task_id"], line["before"], line["after"])] += 1
            per_task[line["task_id"]] += 1
        refusals += [line["message"] for line in lines if "refused" in line]

    # Writers really collided, and each refusal says what changed and who changed it.
    assert refusals, "no stale write was ever refused: the test did not exercise conflicts"
    for message in refusals:
        assert "was changed by writer-" in message
        assert "status:" in message
        assert "nothing was saved" in message

    with session_scope(write=False) as s:
        events = s.execute(
            select(
                AuditEvent.actor,
                AuditEvent.entity_id,
                AuditEvent.before,
                AuditEvent.after,
            )
            .where(AuditEvent.entity == "task", AuditEvent.field == "status")
            .order_by(AuditEvent.id)
        ).all()
        rows = {t.id: t for t in s.execute(select(Task).where(Task.key.in_(keys))).scalars()}
        result = audit.verify(s)
        checked, problems = result.events, result.problems

    # Every accepted change is in the audit log exactly once, and nothing else is.
    assert Counter(tuple(e) for e in events) == accepted
    assert sum(accepted.values()) == WRITERS * CHANGES
    # No update lost: each accepted change bumped its row's version exactly once.
    for task_id, task in rows.items():
        assert task.version == 1 + per_task[task_id]
    # The final state equals replaying the audit log.
    replay: dict[int, str] = {}
    for _actor, task_id, before, after in events:
        assert before == replay.get(task_id, "todo"), "an event does not follow the one before"
        replay[task_id] = after
    assert {tid: t.status for tid, t in rows.items() if tid in replay} == replay
    # One hash chain, whatever the interleaving.
    assert problems == []
    assert checked >= WRITERS * CHANGES


def test_cli_writers_never_see_database_is_locked(acme, db_url, session_scope):
    keys = _task_keys(session_scope, acme, 2)
    writers, changes = (4, 40) if STRESS else (3, 15)
    procs = [
        _spawn("--cli", db_url, acme, f"cli-{i}", str(changes), str(i), *keys)
        for i in range(writers)
    ]
    outputs = _finish(procs)
    done = refused = 0
    for lines in outputs:
        for line in lines:
            assert "database is locked" not in line["stderr"].lower()
            assert "Traceback" not in line["stderr"]
            if line["code"] == 0:
                done += 1
            else:
                # PostgreSQL: two plain `task set` on one row at the same instant; the
                # later UPDATE finds a newer version and is refused, naming the winner.
                assert line["code"] == 1, line["stderr"]
                assert line["stderr"].startswith("error: task ")
                assert "was changed by cli-" in line["stderr"]
                assert "try again" in line["stderr"]
                refused += 1
    assert done + refused == writers * changes
    if "sqlite" in db_url:
        assert refused == 0  # writers queue on the write lock instead
    with session_scope(write=False) as s:
        n = s.execute(
            select(AuditEvent.id).where(
                AuditEvent.field == "status", AuditEvent.actor.like("cli-%")
            )
        ).all()
        problems = audit.verify(s).problems
    assert problems == []
    # A change to the same status is a no-op and writes nothing; all others are logged.
    assert 0 < len(n) <= done


def test_lock_timeout_is_a_clear_retry_message(tmp_path, monkeypatch):
    """If a writer still cannot get the SQLite lock, the user sees a retry message, exit 1."""
    import sqlite3

    from typer.testing import CliRunner

    from transition.cli.main import app

    path = tmp_path / "busy.db"
    url = f"sqlite:///{path}"
    runner = CliRunner()
    created = runner.invoke(
        app,
        [
            "--db",
            url,
            "engagement",
            "new",
            "Busy",
            "--playbook",
            "managed-service-onboarding",
            "--start",
            "2026-11-02",
        ],
    )
    assert created.exit_code == 0, created.stderr
    db.reset_engines()
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = runner.invoke(
            app, ["--db", url, "task", "set", "busy", "kickoff-workshop", "--status", "in_progress"]
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        db.reset_engines()
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ")
    assert "try again" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


# --------------------------------------------------------------------------- races
#
# N real processes run the same creating command at the same instant. Exactly one wins;
# every other one is refused with exit 1 and a plain "… already exists" sentence (never a
# raw database error or a deadlock), and the database holds no duplicate.

RACERS = 6 if STRESS else 3


def _race(tmp_path: Path, db_url: str, commands: list[list[str]]) -> list[list[dict]]:
    """Run each command in RACERS processes at once, race after race; per race, the
    results of every racer."""
    folder = tmp_path / "race"
    folder.mkdir()
    (folder / "commands.json").write_text(json.dumps([["--db", db_url, *c] for c in commands]))
    procs = [_spawn("--race", str(folder), str(i)) for i in range(RACERS)]

    def wait_for(names: list[str]) -> None:
        for proc, name in zip(procs, names, strict=True):
            while not (folder / name).exists():
                assert proc.poll() is None, proc.communicate()
                time.sleep(0.01)

    try:
        wait_for([f"ready-{i}" for i in range(RACERS)])
        for step in range(len(commands)):
            (folder / f"go-{step}").touch()
            wait_for([f"done-{i}-{step}" for i in range(RACERS)])
        outputs = _finish(procs, timeout=120)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    return [[lines[step] for lines in outputs] for step in range(len(commands))]


def _one_winner(results: list[dict], refusal: str) -> None:
    for r in results:
        assert "Traceback" not in r["stderr"], r
        assert "database error" not in r["stderr"] and "deadlock" not in r["stderr"], r
    won = [r for r in results if r["code"] == 0]
    assert len(won) == 1, results
    for r in results:
        if r["code"]:
            assert r["code"] == 1, r
            assert r["stderr"].startswith("error: ") and r["stderr"].count("\n") >= 1, r
            assert refusal in r["stderr"], r


def test_racing_creators_one_wins_the_others_are_refused_plainly(db_url, tmp_path):
    """The first race also runs on an empty database: the schema is created once (the
    migrations run one at a time, under a lock) and one engagement wins."""
    csv_path = tmp_path / "grants.csv"
    rows = [f"Racer {i},Track {i % 2},role-{i},2027-06-30,race" for i in range(6)]
    csv_path.write_text("person,system,role,expires,justification\n" + "\n".join(rows) + "\n")
    eng = "race-desk"
    races = _race(
        tmp_path,
        db_url,
        [
            ["engagement", "new", "Race Desk", "--playbook", "managed-service-onboarding",
             "--start", "2026-11-02"],
            ["person", "add", eng, "Rae Racer", "--side", "provider"],
            ["system", "add", eng, "Race Track", "--tier", "1"],
            ["access", "grant", eng, "--person", "Rae Racer", "--system", "Race Track",
             "--role", "operator", "--expires", "2027-06-30"],
            ["access", "import", eng, str(csv_path), "--create-missing"],
        ],
    )  # fmt: skip
    engagement_new, person_add, system_add, grant, imported = races
    _one_winner(engagement_new, "already exists")
    _one_winner(person_add, "already exists")
    _one_winner(system_add, "already exists")
    _one_winner(grant, "already holds")
    # The import loser met the winner's grants at the unique index (PostgreSQL) or, row by
    # row, at the check (SQLite, whose writers queue on the file lock).
    _one_winner(imported, "nothing was imported")

    engine = db.get_engine(db_url)

    def session_scope(write: bool = True):
        return db.session_scope(engine, actor="tester", write=write)

    def count(statement) -> int:
        with session_scope(write=False) as s:
            return s.execute(statement).scalar_one()

    assert count(select(func.count()).select_from(Engagement)) == 1
    assert count(select(func.count()).select_from(Task)) == count(
        select(func.count(distinct(Task.key)))
    )
    assert count(select(func.count()).select_from(Person)) == 1 + 6
    assert count(select(func.count()).select_from(System)) == 1 + 2
    with session_scope(write=False) as s:
        in_force = s.execute(
            select(AccessGrant.person_id, AccessGrant.system_id, AccessGrant.role_key).where(
                AccessGrant.revoked_at.is_(None)
            )
        ).all()
        derived = s.execute(
            select(func.count())
            .select_from(HandoverItem)
            .where(HandoverItem.source_kind == "grant")
        ).scalar_one()
        problems = audit.verify(s).problems
    assert len(in_force) == len(set(in_force)) == 1 + len(rows)
    assert derived == len(in_force)
    assert problems == []


def test_every_uniqueness_promise_is_a_database_constraint(
    acme, cli, engine, session_scope, tmp_path
):
    """Each duplicate a service check would refuse is refused by the database too, when the
    check is bypassed (as a racing writer bypasses it), as a plain refusal: exit 1,
    "… already exists", on both backends."""
    from sqlalchemy import insert

    from transition.errors import Refused
    from transition.models import KTParticipant, KTSession, Phase, Runbook, TaskDependency

    for args in (
        ("system", "add", acme, "CRM"),
        ("person", "add", acme, "Bob", "--side", "provider"),
        ("person", "add", acme, "Ann", "--side", "incumbent"),
        ("access", "grant", acme, "--person", "Bob", "--system", "CRM", "--role", "Agent"),
        ("kt", "schedule", acme, "--system", "CRM", "--topic", "Queues", "--presenter", "Ann",
         "--attendee", "Bob", "--at", "2026-11-20T10:00"),
        ("runbook", "new", acme, "--system", "CRM", "--template", "service-restart", "--out",
         str(tmp_path / "rb")),
    ):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)

    def first(model):
        with session_scope(write=False) as s:
            row = s.execute(select(model).limit(1)).scalar_one()
            return {c.name: getattr(row, c.name) for c in model.__table__.columns if c.name != "id"}

    copies = {
        "engagement": (Engagement, {}),
        "person": (Person, {"name": "BOB"}),
        "system": (System, {}),
        "phase": (Phase, {}),
        "task": (Task, {}),
        "grant in force": (AccessGrant, {"role": "agent"}),
        "KT session": (KTSession, {}),
        "runbook": (Runbook, {"status": "reviewed"}),
        "handover item": (HandoverItem, {}),
    }
    for what, (model, changes) in copies.items():
        row = {**first(model), **changes}
        try:
            with session_scope() as s:
                s.execute(insert(model.__table__), row)
        except Refused as exc:
            assert "already exists" in exc.message and exc.exit_code == 1, (what, exc.message)
        else:
            raise AssertionError(f"a second {what} was accepted")
    for model in (TaskDependency, KTParticipant):
        try:
            with session_scope() as s:
                s.execute(insert(model.__table__), first_pk(model, session_scope))
        except Refused as exc:
            assert "already exists" in exc.message, exc.message
        else:
            raise AssertionError(f"a second {model.__name__} was accepted")
    # A revoked grant does not count: the same grant can be recorded again.
    with session_scope(write=False) as s:
        gid = s.execute(select(AccessGrant.id)).scalar_one()
    assert cli("access", "revoke", acme, str(gid)).exit_code == 0
    again = cli("access", "grant", acme, "--person", "Bob", "--system", "CRM", "--role", "agent")
    assert again.exit_code == 0, again.stderr


def first_pk(model, session_scope) -> dict:
    with session_scope(write=False) as s:
        row = s.execute(select(model).limit(1)).scalar_one()
        return {c.name: getattr(row, c.name) for c in model.__table__.columns}
