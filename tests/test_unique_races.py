"""Every "cannot be duplicated" and "numbered per engagement" promise, raced by real
processes on one database (SQLite file and PostgreSQL): exactly one racer creates the
thing, every other one is refused plainly (exit 1, an ``error:`` line, nothing saved),
and the database holds no duplicate. Numbers handed out (RAID ``R-1``…) stay distinct.

The promises of engagements, people, systems and grants are raced in
``test_concurrency``; here are the others."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from tests.test_concurrency import RACERS, _finish, _one_winner, _spawn
from transition.models import (
    AuditEvent,
    Engagement,
    Exercise,
    HandoverItem,
    Phase,
    RaidItem,
    RoleAssignment,
    Runbook,
    RunbookExercise,
    ScoreEntry,
    SystemDependency,
    SystemPerson,
    SystemTopic,
    Task,
)


def _race_each(tmp_path: Path, db_url: str, per_racer: list[list[list[str]]]) -> list[list[dict]]:
    """Racer ``i`` runs the command lines ``per_racer[i]``, step by step, every racer
    starting its step-th command at the same instant; per step, every racer's result."""
    folder = tmp_path / "race-each"
    folder.mkdir()
    for i, commands in enumerate(per_racer):
        lines = [["--db", db_url, *c] for c in commands]
        (folder / f"commands-{i}.json").write_text(json.dumps(lines))
    procs = [_spawn("--race", str(folder), str(i)) for i in range(len(per_racer))]

    def wait_for(names: list[str]) -> None:
        for proc, name in zip(procs, names, strict=True):
            while not (folder / name).exists():
                if proc.poll() is not None:
                    out, err = proc.communicate()
                    (tmp_path / "crash.txt").write_text(out + "\n----\n" + err)
                    raise AssertionError(f"a racer stopped: see {tmp_path / 'crash.txt'}")
                time.sleep(0.01)

    try:
        wait_for([f"ready-{i}" for i in range(len(procs))])
        for step in range(len(per_racer[0])):
            (folder / f"go-{step}").touch()
            wait_for([f"done-{i}-{step}" for i in range(len(procs))])
        outputs = _finish(procs, timeout=180)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    return [[lines[step] for lines in outputs] for step in range(len(per_racer[0]))]


def _plain(results: list[dict], codes: tuple[int, ...] = (0, 1)) -> list[dict]:
    """The racers that won; every other one was refused plainly (exit 1, ``error:``;
    ``codes``: the exit codes allowed)."""
    for r in results:
        assert "Traceback" not in r["stderr"], r
        assert r["code"] in codes, r
        if r["code"]:
            assert r["stderr"].startswith("error: "), r
            assert "database error" not in r["stderr"] and "deadlock" not in r["stderr"], r
    return [r for r in results if r["code"] == 0]


def _setup(cli, acme: str, tmp_path: Path) -> None:
    for args in (
        ("system", "add", acme, "CRM"),
        ("system", "add", acme, "ERP"),
        ("system", "add", acme, "Billing"),
        ("system", "add", acme, "Ledger"),
        ("person", "add", acme, "Bob", "--side", "provider"),
        ("runbook", "new", acme, "--system", "CRM", "--template", "service-restart", "--out",
         str(tmp_path / "rb")),
    ):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)


def test_racing_creators_of_one_thing_leave_one_row(acme, cli, db_url, session_scope, tmp_path):
    _setup(cli, acme, tmp_path)
    with session_scope(write=False) as s:
        runbook = s.execute(select(Runbook.id)).scalar_one()
    same = [
        ["system", "owner", acme, "CRM", "Bob", "--as", "owner"],
        ["system", "topic", acme, "CRM", "add", "Queue triage"],
        ["role", "assign", acme, "transition-manager", "Bob"],
        ["system", "depends", acme, "CRM", "--on", "ERP"],
        ["task", "add", acme, "--phase", "discovery", "--key", "race-task", "--title", "Race"],
        ["exercise", "add", acme, "--scenario", "Vendor security incident", "--on", "2026-11-10"],
        ["runbook", "exercise", acme, str(runbook), "--on", "2026-11-10", "--by", "Bob",
         "--outcome", "pass"],
        ["engagement", "new", "Acme Exit", "--playbook", "exit-to-successor", "--exit-of", acme,
         "--start", "2026-12-01"],
    ]  # fmt: skip
    results = _race_each(tmp_path, db_url, [same] * RACERS)
    for command, result in zip(same, results, strict=True):
        won = _plain(result)
        assert len(won) == 1, (command, result)
    _one_winner(results[0], "already")
    _one_winner(results[2], "already holds")
    _one_winner(results[3], "already depends")
    _one_winner(results[4], "already exists")
    _one_winner(results[5], "already recorded")
    _one_winner(results[6], "already recorded")

    with session_scope(write=False) as s:
        eid = s.execute(select(Engagement.id).where(Engagement.slug == acme)).scalar_one()

    def count(model, *where) -> int:  # in acme (the exit carries its owners over)
        with session_scope(write=False) as s:
            mine = model.engagement_id == eid
            return s.execute(
                select(func.count()).select_from(model).where(mine, *where)
            ).scalar_one()

    assert count(SystemPerson) == 1
    assert count(SystemTopic, SystemTopic.source == "team") == 1
    assert count(RoleAssignment, RoleAssignment.role == "transition-manager") == 1
    assert count(SystemDependency) == 1
    assert count(Task, Task.key == "race-task") == 1
    assert count(Exercise) == 1
    assert count(RunbookExercise) == 1
    with session_scope(write=False) as s:
        exits = s.execute(select(func.count()).where(Engagement.exit_of_id == eid)).scalar_one()
    assert exits == 1


def test_racing_writers_get_distinct_numbers_and_one_score(
    acme, cli, db_url, session_scope, tmp_path
):
    """RAID numbers are handed out per engagement and kind: racers adding entries at once
    each get their own number. A KPI's value for a party and week is one row: racers
    recording it either create it, replace it, or are refused plainly."""
    steps = [
        ["raid", "add", acme, "--type", "risk", "--title", "Racing risk"],
        ["score", "record", acme, "first-contact", "--party", "provider", "--period",
         "2026-W46", "--value", "71"],
    ]  # fmt: skip
    raid, score = _race_each(tmp_path, db_url, [steps] * RACERS)
    added = _plain(raid)
    assert added, raid
    assert _plain(score), score
    with session_scope(write=False) as s:
        numbers = s.execute(select(RaidItem.number).where(RaidItem.kind == "risk")).scalars()
        numbers = sorted(numbers)
        scores = s.execute(select(func.count()).select_from(ScoreEntry)).scalar_one()
    assert numbers == list(range(1, len(added) + 1)), (numbers, raid)
    assert scores == 1


def test_racing_dependencies_never_form_a_cycle(acme, cli, db_url, session_scope, tmp_path):
    """One racer makes Billing depend on Ledger while another makes Ledger depend on
    Billing: the map stays free of cycles (one of them is refused), on both backends."""
    _setup(cli, acme, tmp_path)
    forward = [["system", "depends", acme, "Billing", "--on", "Ledger"]]
    backward = [["system", "depends", acme, "Ledger", "--on", "Billing"]]
    for _ in range(3):  # a few rounds: the window is small
        with session_scope() as s:
            s.execute(SystemDependency.__table__.delete())
        folder = tmp_path / "race-each"
        if folder.exists():
            import shutil

            shutil.rmtree(folder)
        (results,) = _race_each(tmp_path, db_url, [forward, backward])
        won = _plain(results)
        assert len(won) == 1, results
        assert "cycle" in next(r["stderr"] for r in results if r["code"]), results
        with session_scope(write=False) as s:
            edges = s.execute(select(func.count()).select_from(SystemDependency)).scalar_one()
        assert edges == 1


def test_racing_topic_changes_are_done_once(acme, cli, db_url, session_scope, tmp_path):
    """A topic added, removed and added back by racers at once: each change is made by one
    of them (one row, one audit event each), the others are refused plainly. A topic is
    read twice (the defaults, then its row): a row stored between the reads still counts."""
    _setup(cli, acme, tmp_path)
    titles = [f"Topic {i}" for i in range(4)]
    steps = [["system", "topic", acme, "CRM", "add", t] for t in titles]
    steps += [["system", "topic", acme, "CRM", "remove", t] for t in titles[:2]]
    steps += [["system", "topic", acme, "CRM", "add", t] for t in titles[:2]]
    steps += [["system", "topic", acme, "CRM", "remove", "Service restart"]]  # a default one
    results = _race_each(tmp_path, db_url, [steps] * RACERS)
    for command, result in zip(steps, results, strict=True):
        # A racer reading after the winner's removal finds no such topic (exit 2).
        assert len(_plain(result, (0, 1, 2))) == 1, (command, result)
        assert all(r["code"] != 2 or "has no topic" in r["stderr"] for r in result), result
    with session_scope(write=False) as s:
        keys = s.execute(select(SystemTopic.key, SystemTopic.removed_at)).all()
        events = s.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.field == "topic")
        ).scalar_one()
    assert sorted(k for k, removed in keys if removed is None) == [f"topic-{i}" for i in range(4)]
    assert len(keys) == len({k for k, _ in keys}) == 5
    assert events == len(steps)


def test_the_newer_promises_are_database_constraints(acme, cli, session_scope, tmp_path):
    """Each duplicate the services refuse (owners, topics, roles, dependencies, meetings
    and their numbers, RAID numbers, scores, exercises and their people, runbook
    exercises, readiness scores, exits, the places of tasks and checklist items) is
    refused by the database too when the check is bypassed, as a racing writer bypasses
    it: a plain refusal naming the thing, exit 1."""
    from sqlalchemy import insert

    from transition.errors import Refused
    from transition.models import ExerciseParticipant, Meeting, ReadinessSnapshot

    _setup(cli, acme, tmp_path)
    with session_scope(write=False) as s:
        runbook = s.execute(select(Runbook.id)).scalar_one()
    for args in (
        ("system", "owner", acme, "CRM", "Bob", "--as", "sme"),
        ("system", "topic", acme, "CRM", "add", "Queue triage"),
        ("role", "assign", acme, "transition-manager", "Bob"),
        ("system", "depends", acme, "CRM", "--on", "ERP"),
        ("raid", "add", acme, "--type", "issue", "--title", "Late data"),
        ("score", "record", acme, "first-contact", "--party", "provider", "--period",
         "2026-W46", "--value", "71"),
        ("exercise", "add", acme, "--scenario", "Vendor security incident", "--on",
         "2026-11-10", "--participant", "Bob"),
        ("runbook", "exercise", acme, str(runbook), "--on", "2026-11-10", "--by", "Bob",
         "--outcome", "pass"),
        ("engagement", "readiness", acme),
        ("engagement", "new", "Acme Exit", "--playbook", "exit-to-successor", "--exit-of",
         acme, "--start", "2026-12-01"),
    ):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)

    def first(model, *where) -> dict:
        with session_scope(write=False) as s:
            row = s.execute(select(model).where(*where).limit(1)).scalar_one()
            return {c.name: getattr(row, c.name) for c in model.__table__.columns if c.name != "id"}

    meeting = first(Meeting)
    copies = {
        "owner": (SystemPerson, {}, "owner, SME or backup"),
        "topic": (SystemTopic, {"title": "QUEUE TRIAGE"}, "topic"),
        "role": (RoleAssignment, {}, "role"),
        "dependency": (SystemDependency, {"kind": "auth"}, "system dependency"),
        "meeting number": (Meeting, {"uid": "x1", "occurs_on": date(2031, 1, 1)}, "number"),
        "meeting occurrence": (Meeting, {"uid": "x2", "number": 999}, "occurrence"),
        "RAID number": (RaidItem, {"title": "Other"}, "RAID entry"),
        "score": (ScoreEntry, {"value": 12.0}, "score"),
        "exercise": (Exercise, {"scenario": "Other"}, "exercise"),
        "participant": (ExerciseParticipant, {}, "participant"),
        "runbook exercise": (RunbookExercise, {}, "runbook exercise"),
        "readiness score": (ReadinessSnapshot, {"score": 1}, "readiness score"),
        "exit": (
            Engagement,
            {"slug": "acme-exit-2", "name": "Acme Exit 2"},
            "an exit engagement of this engagement",
        ),
        "task place": (Task, {"key": "other-key"}, "a task at this place in its phase"),
        "checklist place": (
            HandoverItem,
            {"key": "other-item", "source": "imported"},
            "an item at this place of the exit checklist",
        ),
    }
    for what, (model, changes, named) in copies.items():
        where = {
            Engagement: (Engagement.exit_of_id.is_not(None),),
            HandoverItem: (HandoverItem.source != "derived",),
        }.get(model, ())
        row = {**first(model, *where), **changes}
        if model is Meeting:
            row = {**meeting, **changes}
        try:
            with session_scope() as s:
                s.execute(insert(model.__table__), row)
        except Refused as exc:
            assert exc.exit_code == 1, (what, exc.message)
            assert "already exists" in exc.message and named in exc.message, (what, exc.message)
        else:
            raise AssertionError(f"a second {what} was accepted")


def test_racing_removers_remove_once(acme, cli, db_url, session_scope, tmp_path):
    """Racers taking away the same owner, role or dependency at once: one removes it (one
    audit event), the others are refused plainly, never a warning on stderr."""
    _setup(cli, acme, tmp_path)
    for args in (
        ("system", "owner", acme, "CRM", "Bob", "--as", "owner"),
        ("role", "assign", acme, "transition-manager", "Bob"),
        ("system", "depends", acme, "CRM", "--on", "ERP"),
    ):
        assert cli(*args).exit_code == 0, args
    with session_scope(write=False) as s:
        before = s.execute(select(func.max(AuditEvent.id))).scalar_one()
    steps = [
        ["system", "owner", acme, "CRM", "Bob", "--as", "owner", "--remove"],
        ["role", "assign", acme, "transition-manager", "Bob", "--remove"],
        ["system", "depends", acme, "CRM", "--on", "ERP", "--remove"],
    ]
    results = _race_each(tmp_path, db_url, [steps] * RACERS)
    for command, result in zip(steps, results, strict=True):
        assert len(_plain(result)) == 1, (command, result)
        assert all(r["stderr"].count("\n") <= 1 for r in result), result
    with session_scope(write=False) as s:
        removals = s.execute(  # the changes made: one per winner
            select(func.count(AuditEvent.change_id.distinct())).where(AuditEvent.id > before)
        ).scalar_one()
        left = [s.execute(select(func.count()).select_from(m)).scalar_one() for m in
                (SystemPerson, RoleAssignment, SystemDependency)]  # fmt: skip
    assert left == [0, 0, 0]
    assert removals == 3


def _checklist(path: Path, name: str, keys: list[str]) -> str:
    items = "".join(f"      - key: {k}\n        title: Hand over {k}\n" for k in keys)
    path.write_text(
        f"name: {name}\ntitle: {name}\nversion: 1\nsections:\n"
        f"  - key: {name}\n    title: {name}\n    items:\n{items}"
    )
    return str(path)


def test_racing_adders_each_take_a_place_of_their_own(acme, cli, db_url, session_scope, tmp_path):
    """Racers adding tasks to one phase and items to one exit checklist at once: each
    gets the next free place (a place is unique in its phase, in its checklist), none is
    refused, and every place follows the ones before."""
    per_racer = [
        [
            ["task", "add", acme, "--phase", "discovery", "--key", f"race-{i}", "--title", "Race"],
            [
                "handover",
                "import",
                acme,
                _checklist(
                    tmp_path / f"list-{i}.yaml", f"racer-{i}", [f"item-{i}-a", f"item-{i}-b"]
                ),
            ],
        ]  # fmt: skip
        for i in range(RACERS)
    ]
    with session_scope(write=False) as s:
        tasks_before = s.execute(
            select(func.max(Task.position)).join(Phase).where(Phase.key == "discovery")
        ).scalar_one()
        items_before = s.execute(
            select(func.max(HandoverItem.position)).where(HandoverItem.source != "derived")
        ).scalar_one()
    for step in _race_each(tmp_path, db_url, per_racer):
        assert len(_plain(step)) == RACERS, step
    with session_scope(write=False) as s:
        places = sorted(s.execute(select(Task.position).where(Task.key.like("race-%"))).scalars())
        items = s.execute(
            select(HandoverItem.key, HandoverItem.position)
            .where(HandoverItem.key.like("item-%"))
            .order_by(HandoverItem.position)
        ).all()
    assert places == list(range(tasks_before + 1, tasks_before + 1 + RACERS)), places
    positions = [p for _, p in items]
    assert positions == list(range(items_before + 1, items_before + 1 + 2 * RACERS)), items
    # Each import's items stay together, in its file's order.
    keys = [k for k, _ in items]
    for i in range(RACERS):
        at = keys.index(f"item-{i}-a")
        assert keys[at + 1] == f"item-{i}-b", keys


def test_racing_relays_keep_the_meeting_calendar_in_step(
    acme, cli, db_url, session_scope, tmp_path
):
    """One racer sets the exit date (meetings run until it) while another replans a phase
    (meetings follow the plan): both are saved, each numbering its new meetings after the
    other's, and the calendar ends in step with the plan both made."""
    from transition.models import Meeting
    from transition.services import meetings
    from transition.services.common import get_engagement

    rounds = [
        ("2028-06-30", "2027-03-01"),
        ("2028-09-29", "2027-04-05"),
        ("2028-12-29", "2027-05-03"),
    ]
    for exit_on, start in rounds:  # a few rounds: either racer may commit first
        folder = tmp_path / "race-each"
        if folder.exists():
            import shutil

            shutil.rmtree(folder)
        per_racer = [
            [["engagement", "set", acme, "--exit", exit_on]],
            [["phase", "replan", acme, "--phase", "ramp-up", "--start", start, "--reason", "late"]],
        ]
        (results,) = _race_each(tmp_path, db_url, per_racer)
        assert len(_plain(results)) == 2, results
        with session_scope(write=False) as s:
            rows = s.execute(
                select(Meeting.cadence, Meeting.occurs_on, Meeting.number, Meeting.status)
            ).all()
            wanted = meetings.planned(s, get_engagement(s, acme))
        numbers = [r.number for r in rows]
        assert sorted(numbers) == list(range(1, len(rows) + 1))
        planned = {(r.cadence, r.occurs_on) for r in rows if r.status == "planned"}
        assert planned == set(wanted), (exit_on, sorted(planned ^ set(wanted))[:5])
        assert max(day for _, day in planned).isoformat() >= exit_on[:7]


def test_racing_exits_are_each_refused_for_their_own_reason(
    acme, cli, db_url, session_scope, tmp_path
):
    """Two exits of one engagement under different names and an engagement with the first
    one's name, started at once: a racer that lost the exit is told the engagement has its
    exit already (naming it), one that lost the name is told the name is taken."""
    per_racer = [
        [["engagement", "new", "Acme Exit", "--playbook", "exit-to-successor", "--exit-of",
          acme]],
        [["engagement", "new", "Second Exit", "--playbook", "exit-to-successor", "--exit-of",
          acme]],
        [["engagement", "new", "Acme Exit", "--playbook", "managed-service-onboarding"]],
    ]  # fmt: skip
    (results,) = _race_each(tmp_path, db_url, per_racer)
    won = _plain(results)
    assert won, results
    with session_scope(write=False) as s:
        eid = s.execute(select(Engagement.id).where(Engagement.slug == acme)).scalar_one()
        exit_slug = s.execute(
            select(Engagement.slug).where(Engagement.exit_of_id == eid)
        ).scalar_one()
    name_taken = (
        "error: engagement 'acme-exit' already exists",
        "error: an engagement 'acme-exit' already exists (another change saved it a moment "
        "ago); nothing was saved",
    )
    exit_taken = (f"error: engagement {acme} has an exit engagement already: {exit_slug}",)
    # The first racer loses the exit to the second, or the name to the third (if it won).
    first = exit_taken + (name_taken if results[2]["code"] == 0 else ())
    expected = [first, exit_taken, name_taken]
    for result, allowed in zip(results, expected, strict=True):
        if result["code"]:
            assert result["stderr"].rstrip("\n") in allowed, (result, allowed)
    assert exit_slug in ("acme-exit", "second-exit")
