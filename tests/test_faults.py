"""A process killed (SIGKILL) in the middle of a large write leaves the database exactly as
it was before that command: a full dump of every table is compared.

Each scenario first runs the command to completion once (to measure how long it takes and
prove it works), then kills fresh runs: half at points spread over that time, half once
the command holds its write transaction (SQLite write lock taken; PostgreSQL backend with a
transaction id), at a random moment inside it. ``TRANSITION_STRESS=1`` tries more kill
points on larger inputs.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from safety import dump
from sqlalchemy import create_engine, text

from transition import db

STRESS = bool(os.environ.get("TRANSITION_STRESS"))
FRACTIONS = (0.2, 0.35, 0.5, 0.6, 0.7, 0.8, 0.87, 0.93, 0.97) if STRESS else (0.45, 0.7, 0.9)
ENTRY = "from transition.cli.main import main; main()"
#: Every kill point tried, per scenario and backend (printed at the end of the session).
TRIED: dict[str, list[str]] = {}
#: Input sizes: tasks per phase of the generated playbook (5 phases), CSV rows.
TASKS_PER_PHASE, CSV_ROWS = (3000, 6000) if STRESS else (1000, 2500)


def _start(url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", ENTRY, "--db", url, "--actor", "killer", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _tagged(url: str, tag: str) -> str:
    """The same PostgreSQL database, with an application name to find the process by."""
    if not url.startswith("postgresql"):
        return url
    return f"{url}{'&' if '?' in url else '?'}application_name={tag}"


def _in_write(url: str, tag: str) -> bool:
    """Whether the command holds an open write transaction right now."""
    if url.startswith("sqlite"):
        probe = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True  # the write lock is taken: the command is inside its transaction
        finally:
            probe.close()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE application_name = :tag AND backend_xid IS NOT NULL"
                    ),
                    {"tag": tag},
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _wait_for_the_server(url: str, tag: str) -> None:
    """On PostgreSQL, until the server has ended the killed command's session: a COMMIT it
    sent before it died is then done or undone, and nothing changes after the dump."""
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            for _ in range(1200):
                left = conn.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :tag"),
                    {"tag": tag},
                ).scalar_one()
                if not left:
                    return
                conn.rollback()
                time.sleep(0.05)
        raise AssertionError(f"the server kept the killed session {tag} for a minute")
    finally:
        engine.dispose()


def _kill_points(
    name: str,
    url: str,
    args_for: Callable[[int], list[str]],
    complete: Callable[[int], bool],
    prepare: Callable[[int], None] | None = None,
    check: Callable[[], None] | None = None,
) -> None:
    """Run attempt 0 to completion, then kill attempts 1.. : half of them at points spread
    over the measured run time, half at random moments inside the write transaction."""
    db.reset_engines()
    if prepare:
        prepare(0)
    before = dump(url)
    began = time.monotonic()
    proc = _start(url, *args_for(0))
    out, err = proc.communicate(timeout=300)
    duration = time.monotonic() - began
    assert proc.returncode == 0, err
    # The dump of the database as it is now, while nothing else writes to it: a dump is
    # costly on a large database, and the next attempt starts from this very state unless
    # ``prepare`` changes it.
    known = dump(url)
    assert known != before, "the command changed nothing: not a useful fault test"
    assert complete(0)
    if check:
        check()

    rng = random.Random(sum(map(ord, name)))
    inside = 0
    records = TRIED.setdefault(f"{name} [{url.split(':')[0]}]", [])
    for attempt, fraction in enumerate(FRACTIONS, start=1):
        if prepare:
            prepare(attempt)
        before = known if known is not None and not prepare else dump(url)
        known = None
        tag = f"kill{os.getpid()}x{attempt}"
        proc = _start(_tagged(url, tag), *args_for(attempt))
        began = time.monotonic()
        if attempt % 2:
            time.sleep(duration * fraction * rng.uniform(0.95, 1.05))
        else:  # wait for the write transaction to open, then a random moment inside it
            while proc.poll() is None and not _in_write(url, tag):
                time.sleep(0.02)
            # The first such kill lands at once: a short transaction (a small run on an idle
            # machine) could otherwise end before a random moment came.
            time.sleep(rng.uniform(0, 0.25) if attempt > 2 else 0.0)
        writing = proc.poll() is None and _in_write(url, tag)
        at = time.monotonic() - began
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
            _wait_for_the_server(url, tag)
            after = dump(url)
            if after != before:
                # Killed after its commit, on the way out: then all of it must be there.
                assert complete(attempt), f"{name}: kill at {at:.2f}s left a partial change"
                records.append(f"{at:.2f}s after commit")
                continue
            known = after  # killed before its commit: the database is as before
            inside += writing
            records.append(f"{at:.2f}s {'inside the write' if writing else 'before writing'}")
        else:
            proc.communicate(timeout=60)
            assert proc.returncode == 0
            assert complete(attempt)
            records.append(f"{at:.2f}s finished first")
    assert inside, f"{name}: no kill landed inside the write transaction"


@pytest.fixture(scope="module", autouse=True)
def _report_kill_points():
    yield
    if TRIED:
        lines = [f"{k}: {len(v)} kill points: {', '.join(v)}" for k, v in TRIED.items()]
        sys.stderr.write("\n" + "\n".join(lines) + "\n")


def _huge_playbook(path: Path, per_phase: int = TASKS_PER_PHASE) -> Path:
    lines = ["name: huge", "title: Huge generated playbook", "version: 1", "phases:"]
    for p in range(5):
        lines += [f"  - key: phase-{p}", f"    title: Phase {p}", "    duration: 30d", "    tasks:"]
        for t in range(per_phase):
            lines += [
                f"      - key: t-{p}-{t}",
                f"        title: Task {p} {t}",
                f"        due: +{t % 30}d",
            ]
            if t:
                lines.append(f"        depends_on: [t-{p}-{t - 1}]")
    path.write_text("\n".join(lines) + "\n")
    return path


def _count(url: str, sql: str, **params) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar_one()
    finally:
        engine.dispose()


def test_kill_during_engagement_new_from_a_huge_playbook(db_url, engine, tmp_path):
    playbook = _huge_playbook(tmp_path / "huge.yaml")

    def complete(k: int) -> bool:
        sql = (
            "SELECT count(*) FROM task JOIN engagement ON engagement.id = task.engagement_id "
            "WHERE engagement.slug = :slug"
        )
        return _count(db_url, sql, slug=f"big-{k}") == 5 * TASKS_PER_PHASE

    _kill_points(
        f"engagement new ({5 * TASKS_PER_PHASE:,} tasks)",
        db_url,
        lambda k: ["engagement", "new", f"Big {k}", "--playbook", str(playbook)],
        complete,
    )


def _csv(path: Path, rows: int, tag: str) -> Path:
    lines = ["person,system,role,expires,justification"]
    for i in range(rows):
        lines.append(
            f"Person {i % 400},System {i % 60},role-{tag}-{i},2027-06-30,imported access line {i}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def test_kill_during_a_large_access_import(db_url, engine, cli, acme, tmp_path):
    files = {
        k: _csv(tmp_path / f"grants-{k}.csv", CSV_ROWS, str(k)) for k in range(len(FRACTIONS) + 1)
    }

    def check() -> None:
        grants = cli("access", "list", acme, "--json")
        assert grants.exit_code == 0
        assert len(_json_rows(grants.stdout)) == CSV_ROWS

    _kill_points(
        f"access import ({CSV_ROWS:,} rows)",
        db_url,
        lambda k: ["access", "import", acme, str(files[k]), "--create-missing"],
        lambda k: (
            _count(db_url, "SELECT count(*) FROM accessgrant WHERE role LIKE :r", r=f"role-{k}-%")
            == CSV_ROWS
        ),
        check=check,
    )


def _json_rows(stdout: str) -> list:
    stdout = stdout.strip()
    if stdout.startswith("["):
        return json.loads(stdout)
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_kill_during_handover_sync(db_url, engine, cli, acme, tmp_path):
    csv_file = _csv(tmp_path / "grants.csv", CSV_ROWS, "sync")
    imported = cli("access", "import", acme, str(csv_file), "--create-missing")
    assert imported.exit_code == 0, imported.stderr
    admin = create_engine(db_url)

    def prepare(_attempt: int) -> None:
        # Lose the derived checklist lines (as if an older version had never made them),
        # so that `handover sync` has thousands of items to restore.
        with admin.begin() as conn:
            conn.execute(text("DELETE FROM handover_item WHERE source = 'derived'"))

    try:
        _kill_points(
            f"handover sync ({CSV_ROWS:,}+ derived items)",
            db_url,
            lambda _k: ["handover", "sync", acme],
            lambda _k: (
                _count(db_url, "SELECT count(*) FROM handover_item WHERE source = 'derived'")
                >= CSV_ROWS
            ),
            prepare=prepare,
        )
    finally:
        admin.dispose()


def test_kill_during_import_of_a_large_export(db_url, engine, cli, acme, tmp_path):
    csv_file = _csv(tmp_path / "grants.csv", CSV_ROWS, "export")
    assert cli("access", "import", acme, str(csv_file), "--create-missing").exit_code == 0
    exported = tmp_path / "export.json"
    assert cli("export", acme, "-o", str(exported)).exit_code == 0
    document = json.loads(exported.read_text())
    # The target database holds other work already; each attempt imports a renamed copy.
    files = {}
    for k in range(len(FRACTIONS) + 1):
        copy = json.loads(json.dumps(document))
        for item in copy["engagements"]:
            item["engagement"]["slug"] = f"restored-{k}"
            item["engagement"]["name"] = f"Restored {k}"
        files[k] = tmp_path / f"export-{k}.json"
        files[k].write_text(json.dumps(copy))

    def complete(k: int) -> bool:
        sql = (
            "SELECT count(*) FROM accessgrant JOIN engagement "
            "ON engagement.id = accessgrant.engagement_id WHERE engagement.slug = :slug"
        )
        return _count(db_url, sql, slug=f"restored-{k}") == CSV_ROWS

    _kill_points(
        f"import of an export ({CSV_ROWS:,} grants)",
        db_url,
        lambda k: ["import", str(files[k])],
        complete,
    )


# --------------------------------------------------------------------------- file faults
# A SQLite file deleted or replaced while a command runs, a read-only database, a full disk.


def _sqlite_only(db_url: str) -> Path:
    if not db_url.startswith("sqlite"):
        pytest.skip("a SQLite file fault")
    return Path(db_url.removeprefix("sqlite:///"))


def _export_for_import(cli, acme: str, tmp_path: Path, slug: str) -> Path:
    document = cli("export", acme).json()
    for bundle in document["engagements"]:
        bundle["engagement"]["slug"] = slug
        bundle["engagement"]["name"] = slug.replace("-", " ").title()
    path = tmp_path / f"{slug}.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("fault", ["deleted", "replaced"])
def test_database_file_deleted_or_replaced_during_an_import(
    db_url, cli, request, tmp_path, monkeypatch, fault
):
    path = _sqlite_only(db_url)
    acme = request.getfixturevalue("acme")
    export = _export_for_import(cli, acme, tmp_path, "restored")
    from transition.services import transfer

    original = transfer.import_data

    def import_then_lose_the_file(session, data, **kwargs):
        slugs = original(session, data, **kwargs)
        if fault == "deleted":
            os.remove(path)
        else:
            other = tmp_path / "other.db"
            other.write_bytes(path.read_bytes())
            os.replace(other, path)
        return slugs

    monkeypatch.setattr(transfer, "import_data", import_then_lose_the_file)
    result = cli("import", export)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "imported" not in result.stdout
    assert result.stderr.startswith("error: ") and f"was {fault}" in result.stderr
    assert "nothing was saved" in result.stderr


def _unprivileged(args: list[str]) -> list[str]:
    """Run as this user without the capabilities that let root ignore file modes."""
    if os.geteuid() != 0:
        return args
    import shutil

    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: file modes cannot be enforced")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *args]


def _run(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        _unprivileged([sys.executable, "-c", ENTRY, "--db", url, *args]),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("how", ["file 0400", "folder 0500"])
def test_read_only_database_reads_work_and_writes_say_so(db_url, cli, request, tmp_path, how):
    path = _sqlite_only(db_url)
    acme = request.getfixturevalue("acme")
    db.reset_engines()  # close every connection: the -wal and -shm files go away
    target = path if how.startswith("file") else path.parent
    mode = target.stat().st_mode
    os.chmod(target, 0o400 if how.startswith("file") else 0o500)
    try:
        listed = _run(db_url, "engagement", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert [e["slug"] for e in json.loads(listed.stdout)] == [acme]
        wrote = _run(db_url, "person", "add", acme, "Ann", "--side", "client")
        assert wrote.returncode == 1, wrote.stderr
        assert wrote.stderr.startswith("error: the database ") and "read-only" in wrote.stderr
        assert "Traceback" not in wrote.stderr
    finally:
        os.chmod(target, mode)
    db.reset_engines()
    assert cli("person", "list", acme, "--json").json() == []


def test_a_full_disk_is_said_plainly(db_url, cli, request, tmp_path):
    path = _sqlite_only(db_url)
    engine = request.getfixturevalue("engine")
    acme = request.getfixturevalue("acme")
    from sqlalchemy import event

    pages = sqlite3.connect(path).execute("PRAGMA page_count").fetchone()[0]

    @event.listens_for(engine, "connect")
    def _small_disk(dbapi_connection, _record) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 2}")

    engine.dispose()
    before = dump(db_url)
    csv_file = _csv(tmp_path / "grants.csv", 2000, "full")
    result = cli("access", "import", acme, str(csv_file), "--create-missing")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and "is full" in result.stderr
    assert "Traceback" not in result.stderr
    event.remove(engine, "connect", _small_disk)
    engine.dispose()
    assert dump(db_url) == before


def test_a_disk_already_full_when_a_command_starts_is_said_plainly(db_url, request, tmp_path):
    """SQLite calls this an I/O error (its WAL index cannot grow), never ``SQLITE_FULL``."""
    path = _sqlite_only(db_url)
    acme = request.getfixturevalue("acme")
    db.reset_engines()
    small = tmp_path / "small"
    small.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(small)], capture_output=True
        ).returncode
    ):
        pytest.skip("needs a small file system (a tmpfs mounted as root)")
    try:
        copy = small / "full.db"
        copy.write_bytes(path.read_bytes())
        with open(small / "filler", "wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
            except OSError:
                pass
        url = f"sqlite:///{copy}"
        before = copy.read_bytes()
        for args in (("engagement", "list"), ("person", "add", acme, "Ann", "--side", "client")):
            result = _run(url, *args)
            assert result.returncode == 1, (args, result.stderr)
            assert result.stderr == (
                f"error: the disk holding the database {copy} is full; nothing was saved\n"
            )
        assert copy.read_bytes() == before
    finally:
        subprocess.run(["umount", str(small)], check=True)
