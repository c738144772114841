"""A separate writer process for the concurrency tests.

``python tests/concurrency_worker.py URL ENG ACTOR CHANGES SEED KEY...`` makes CHANGES
status changes to the given tasks, each one based on a read made in an earlier unit of
work (``expected_version``), so that concurrent writers produce stale writes. A refused
write is retried from a fresh read. One JSON line per accepted change goes to stdout;
one JSON line per refusal (with its message) goes to stdout as well; anything
unexpected is printed on stderr and the process exits 3.

``--cli`` mode drives the command line instead: ``transition task set`` in-process,
repeatedly, to show that SQLite under several writers never surfaces "database is locked".

``--race FOLDER INDEX`` runs the command lines listed in ``FOLDER/commands.json`` (each a
list of arguments after ``transition``), one per race: it imports everything, creates
``ready-INDEX``, and before each command waits for the file ``go-STEP``, so that every racer
starts the same command at the same instant; after it, one JSON line (exit code, stdout,
stderr) and the file ``done-INDEX-STEP``. A racer with a ``FOLDER/commands-INDEX.json`` of its own runs those
command lines instead (racers that start different commands at the same instant).
"""

from __future__ import annotations

import io
import json
import random
import sys
import time
import traceback
from contextlib import redirect_stderr, redirect_stdout

from transition import db
from transition.errors import Conflict, TransitionError
from transition.services import tasks
from transition.services.common import get_engagement, get_task

STATUSES = ("todo", "in_progress", "blocked", "skipped")


def service_mode(url: str, eng: str, actor: str, changes: int, rng: random.Random, keys):
    engine = db.get_engine(url)
    accepted = 0
    while accepted < changes:
        key = rng.choice(keys)
        with db.session_scope(engine, actor=actor, write=False) as session:
            task = get_task(session, get_engagement(session, eng), key)
            task_id, version, before = task.id, task.version, task.status
        new = rng.choice([s for s in STATUSES if s != before])
        if rng.random() < 0.5:
            time.sleep(rng.random() * 0.002)  # widen the window between read and write
        try:
            with db.session_scope(engine, actor=actor, write=True) as session:
                tasks.set_status(
                    session, get_engagement(session, eng), key, new, expected_version=version
                )
        except Conflict as exc:
            print(json.dumps({"refused": key, "message": exc.message}), flush=True)
            continue
        accepted += 1
        print(
            json.dumps(
                {"task_id": task_id, "key": key, "before": before, "after": new, "version": version}
            ),
            flush=True,
        )


def cli_mode(url: str, eng: str, actor: str, changes: int, rng: random.Random, keys):
    from transition.cli.main import main

    for _ in range(changes):
        key = rng.choice(keys)
        new = rng.choice(STATUSES)
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main(["--db", url, "--actor", actor, "task", "set", eng, key, "--status", new])
                code = 0
            except SystemExit as exc:
                code = exc.code or 0
        print(json.dumps({"key": key, "after": new, "code": code, "stderr": err.getvalue()}))
        sys.stdout.flush()


def race(folder: str, index: str) -> int:
    """Run the command lines of ``FOLDER/commands.json`` in turn, each at a start signal."""
    import os
    from pathlib import Path

    from transition.cli.main import main

    base = Path(folder)
    own = base / f"commands-{index}.json"
    commands = json.loads((own if own.exists() else base / "commands.json").read_text())
    (base / f"ready-{index}").touch()
    for step, args in enumerate(commands):
        go, deadline = base / f"go-{step}", time.monotonic() + 120
        while not os.path.exists(go):  # the starting line of a race, not a retry
            if time.monotonic() > deadline:
                print("the start signal never came", file=sys.stderr)
                return 3
            time.sleep(0.002)
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main(args)
                code = 0
            except SystemExit as exc:
                code = exc.code or 0
        print(json.dumps({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}))
        sys.stdout.flush()
        (base / f"done-{index}-{step}").touch()
    return 0


def run() -> int:
    args = sys.argv[1:]
    if args and args[0] == "--race":
        return race(args[1], args[2])
    mode = service_mode
    if args and args[0] == "--cli":
        mode, args = cli_mode, args[1:]
    url, eng, actor, changes, seed, *keys = args
    try:
        mode(url, eng, actor, int(changes), random.Random(int(seed)), keys)
    except TransitionError as exc:
        print(f"unexpected tool error: {type(exc).__name__}: {exc.message}", file=sys.stderr)
        return 3
    except Exception:
        traceback.print_exc()
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(run())
