"""Tasks: status changes with dependency checks, stale edits refused, list filters."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.core_books import write_small
from tests.safety import dump
from transition import db
from transition.errors import BadInput, Conflict, NotFound, Refused
from transition.models import AuditEvent, Task
from transition.playbooks import load_playbook
from transition.services import engagements, people, tasks
from transition.services.common import get_engagement, get_task


@pytest.fixture
def small(session_scope, tmp_path, clock, monkeypatch) -> str:
    clock.pin(today="2026-11-10")
    path = write_small(tmp_path)
    with session_scope() as s:
        return engagements.create(
            s,
            name="Small Co",
            playbook=load_playbook(path),
            raw=path.read_bytes(),
            start=date(2026, 11, 2),
        ).slug


def _set(session_scope, slug, key, status, actor="tester", **kw):
    with session_scope(actor=actor) as s:
        task = tasks.set_status(s, get_engagement(s, slug), key, status, **kw)
        return task.version


def _task(session_scope, slug, key) -> Task:
    with session_scope() as s:
        return get_task(s, get_engagement(s, slug), key)


def test_done_is_refused_while_a_dependency_is_open(session_scope, small, db_url):
    before = dump(db_url)
    with session_scope() as s, pytest.raises(Refused) as info:
        tasks.set_status(s, get_engagement(s, small), "shadowing", "done")
    assert info.value.exit_code == 1
    assert info.value.message == (
        "task 'shadowing' cannot be done while it depends on open task(s): "
        "inventory (todo), risks (todo)"
    )
    assert dump(db_url) == before
    _set(session_scope, small, "kickoff", "done")
    _set(session_scope, small, "inventory", "in_progress")
    _set(session_scope, small, "risks", "skipped")
    with (
        session_scope() as s,
        pytest.raises(Refused, match=r"open task\(s\): inventory \(in progress\)$"),
    ):
        tasks.set_status(s, get_engagement(s, small), "shadowing", "done")
    _set(session_scope, small, "inventory", "done")
    _set(session_scope, small, "shadowing", "done")
    assert _task(session_scope, small, "shadowing").status == "done"


def test_other_statuses_do_not_wait_for_dependencies(session_scope, small):
    for status in ("in_progress", "blocked", "skipped", "todo"):
        _set(session_scope, small, "go-no-go", status)
        assert _task(session_scope, small, "go-no-go").status == status


def test_done_records_who_and_when_and_reopening_clears_it(session_scope, small):
    _set(session_scope, small, "kickoff", "done", actor="ana", note="minutes in the wiki")
    task = _task(session_scope, small, "kickoff")
    assert (task.status, task.completed_by, task.note) == ("done", "ana", "minutes in the wiki")
    assert task.completed_at is not None
    _set(session_scope, small, "Kickoff", "in-progress")  # key and status are forgiving
    task = _task(session_scope, small, "kickoff")
    assert (task.status, task.completed_by, task.completed_at) == ("in_progress", None, None)
    with session_scope() as s:
        events = s.execute(
            select(AuditEvent.actor, AuditEvent.field, AuditEvent.before, AuditEvent.after)
            .where(AuditEvent.entity == "task", AuditEvent.entity_id == task.id)
            .order_by(AuditEvent.id)
        ).all()
    assert ("ana", "status", "todo", "done") in events
    assert ("ana", "note", None, "minutes in the wiki") in events
    assert ("tester", "status", "done", "in_progress") in events


def test_version_is_bumped_by_every_change(session_scope, small):
    v1 = _task(session_scope, small, "kickoff").version
    v2 = _set(session_scope, small, "kickoff", "in_progress")
    v3 = _set(session_scope, small, "kickoff", "blocked")
    assert v1 < v2 < v3


@pytest.mark.parametrize(
    "key, status, note, error, message",
    [
        ("kickoff", "finished", None, BadInput, "invalid task status 'finished'"),
        ("nope", "done", None, NotFound, "unknown task 'nope' in small-co"),
        ("kickoff", "done", "token=abcdef123456", BadInput, "looks like it contains"),
    ],
)
def test_bad_changes_leave_the_database_as_it_was(
    session_scope, small, db_url, key, status, note, error, message
):
    before = dump(db_url)
    with session_scope() as s, pytest.raises(error, match=message):
        tasks.set_status(s, get_engagement(s, small), key, status, note=note)
    assert dump(db_url) == before


def test_stale_expected_version_is_refused_naming_who_changed_it(session_scope, small):
    seen = _task(session_scope, small, "kickoff").version  # session A reads
    _set(session_scope, small, "kickoff", "in_progress", actor="bob")  # session B writes
    with session_scope(actor="alice") as s, pytest.raises(Conflict) as info:
        tasks.set_status(s, get_engagement(s, small), "kickoff", "done", expected_version=seen)
    assert info.value.exit_code == 1
    message = info.value.message
    assert message.startswith("task kickoff was changed by bob at ")
    assert "(status: todo → in_progress)" in message
    assert message.endswith("since you read it; nothing was saved, reload and try again")
    task = _task(session_scope, small, "kickoff")
    assert (task.status, task.completed_by) == ("in_progress", None)
    # With the current version the same change goes through.
    _set(session_scope, small, "kickoff", "done", actor="alice", expected_version=task.version)
    assert _task(session_scope, small, "kickoff").completed_by == "alice"


def test_orm_race_second_commit_is_a_conflict(engine, small):
    """Two sessions load the same row and both change it: the second commit is refused."""
    with db.session_scope(engine, write=False) as s:
        task_id = get_task(s, get_engagement(s, small), "kickoff").id
    scope_b = db.session_scope(engine, actor="bob", write=False)
    session_b = scope_b.__enter__()
    row_b = session_b.get(Task, task_id)  # B reads first
    with db.session_scope(engine, actor="alice", write=True) as session_a:
        row_a = session_a.get(Task, task_id)
        row_a.title = "Alice's title"
    row_b.title = "Bob's title"
    with pytest.raises(Conflict) as info:
        scope_b.__exit__(None, None, None)
    assert info.value.exit_code == 1
    with db.session_scope(engine, write=False) as s:
        assert s.get(Task, task_id).title == "Alice's title"


def test_assign_and_unknown_person(session_scope, small):
    with session_scope() as s:
        eng = get_engagement(s, small)
        people.add(s, eng, "Priya Shah", side="provider")
        tasks.assign(s, eng, "kickoff", "PRIYA shah")
    with session_scope() as s:
        eng = get_engagement(s, small)
        (row,) = [r for r in tasks.list_tasks(s, eng) if r.key == "kickoff"]
        assert row.assignee == "Priya Shah"
        with pytest.raises(NotFound, match="unknown person 'nobody'"):
            tasks.assign(s, eng, "kickoff", "nobody")
        last = s.execute(
            select(AuditEvent.action, AuditEvent.field, AuditEvent.after)
            .where(AuditEvent.entity == "task")
            .order_by(AuditEvent.id.desc())
        ).first()
    assert tuple(last) == ("assign", "assignee", "Priya Shah")


def test_list_filters(session_scope, small):
    _set(session_scope, small, "kickoff", "done")
    with session_scope() as s:
        eng = get_engagement(s, small)
        keys = lambda **kw: [r.key for r in tasks.list_tasks(s, eng, **kw)]  # noqa: E731
        assert keys() == ["kickoff", "inventory", "risks", "shadowing", "go-no-go"]
        assert keys(phase="ramp-up") == ["shadowing"]
        assert keys(status="done") == ["kickoff"]
        assert keys(status="todo", phase="discovery") == ["inventory", "risks"]
        assert keys(overdue=True) == ["inventory"]  # due 11-09; today pinned to 11-10
        with pytest.raises(BadInput, match="unknown phase 'golive': phases are discovery"):
            keys(phase="golive")
        rows = {r.key: r for r in tasks.list_tasks(s, eng)}
    assert rows["shadowing"].depends_on == ["inventory", "risks"]
    assert rows["shadowing"].waiting_on == ["inventory", "risks"]
    assert rows["inventory"].waiting_on == []  # kickoff is done
    assert rows["inventory"].overdue is True and rows["kickoff"].overdue is False


# --- the command line --------------------------------------------------------------------


def test_cli_done_refused_names_the_open_dependency(cli, acme, db_url):
    before = dump(db_url)
    result = cli("task", "done", acme, "stakeholder-map")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: task 'stakeholder-map' cannot be done while it depends on open task(s): "
        "kickoff-workshop (todo)\n"
    )
    assert dump(db_url) == before
    assert cli("task", "done", acme, "kickoff-workshop", "--note", "held").exit_code == 0
    ok = cli("task", "done", "ACME Helpdesk", "stakeholder-map")
    assert (ok.exit_code, ok.stdout) == (0, "task stakeholder-map: done\n")


def test_cli_set_assign_and_errors(cli, acme):
    ok = cli("task", "set", acme, "risk-register", "--status", "blocked", "--note", "no owner")
    assert (ok.exit_code, ok.stdout) == (0, "task risk-register: blocked\n")
    bad = cli("task", "set", acme, "risk-register", "--status", "finished")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: invalid task status 'finished': choose one of todo")
    unknown = cli("task", "done", acme, "no-such-task")
    assert (unknown.exit_code, unknown.stderr) == (
        2,
        "error: unknown task 'no-such-task' in acme-helpdesk\n",
    )
    assert cli("person", "add", acme, "Priya Shah", "--side", "provider").exit_code == 0
    assigned = cli("task", "assign", acme, "risk-register", "priya-shah")
    assert assigned.exit_code == 0, assigned.stderr
    nobody = cli("task", "assign", acme, "risk-register", "Nobody")
    assert (nobody.exit_code, nobody.stderr) == (
        2,
        "error: unknown person 'Nobody' in acme-helpdesk\n",
    )
    (row,) = [r for r in cli("task", "list", acme, "--json").json() if r["key"] == "risk-register"]
    assert (row["status"], row["note"], row["assignee"]) == ("blocked", "no owner", "Priya Shah")


def test_cli_task_list_json_shape_and_filters(cli, acme, clock, monkeypatch):
    clock.pin(today="2026-11-10")
    rows = cli("task", "list", acme, "--json").json()
    assert len(rows) == 53
    types = {
        "id": int, "key": str, "title": str, "status": str, "owner_role": str,
        "due_date": str, "version": int, "phase": str, "depends_on": list,
        "waiting_on": list, "overdue": bool,
    }  # fmt: skip
    for key, kind in types.items():
        assert isinstance(rows[0][key], kind), key
    for key in ("note", "completed_by", "completed_at", "assignee"):
        assert rows[0][key] is None
    assert [r["phase"] for r in rows] == sorted(
        (r["phase"] for r in rows),
        key=["discovery", "access-setup", "ramp-up", "parallel-run", "cutover", "hypercare"].index,
    )

    phase = cli("task", "list", acme, "--phase", "ramp-up", "--json").json()
    assert phase and {r["phase"] for r in phase} == {"ramp-up"}
    overdue = cli("task", "list", acme, "--overdue", "--json").json()
    assert {r["key"] for r in overdue} == {
        r["key"] for r in rows if r["due_date"] < "2026-11-10"
    } and overdue
    assert all(r["overdue"] for r in overdue)
    cli("task", "done", acme, "kickoff-workshop")
    done = cli("task", "list", acme, "--status", "done", "--json").json()
    assert [r["key"] for r in done] == ["kickoff-workshop"]
    none = cli("task", "list", acme, "--status", "skipped", "--json")
    assert none.exit_code == 0 and none.json() == []
    text = cli("task", "list", acme, "--overdue")
    assert "(late)" in text.stdout and "kickoff-workshop" not in text.stdout
    unknown = cli("task", "list", acme, "--phase", "golive")
    assert unknown.exit_code == 2 and unknown.stderr.startswith("error: unknown phase 'golive'")


def test_changes_return_the_task_as_changed(session_scope, small):
    with session_scope() as s:
        people.add(s, get_engagement(s, small), "Priya Shah", side="provider")
        done = tasks.set_status(s, small, "kickoff", "done", note="held on Monday")
        assigned = tasks.assign(s, small, "inventory", "priya SHAH")
    assert (done.key, done.status, done.note, done.completed_by) == (
        "kickoff",
        "done",
        "held on Monday",
        "tester",
    )
    assert (done.phase, done.version) == ("discovery", 2)
    assert (assigned.assignee, assigned.depends_on, assigned.waiting_on) == (
        "Priya Shah",
        ["kickoff"],
        [],
    )
    with session_scope() as s:
        unassigned = tasks.assign(s, small, "inventory", None, expected_version=assigned.version)
    assert unassigned.assignee is None


def test_toggle_is_done_and_back_to_todo(session_scope, small):
    with session_scope() as s:
        first = tasks.toggle(s, small, "kickoff")
        again = tasks.toggle(s, small, "kickoff", expected_version=first.version)
        tasks.set_status(s, small, "risks", "skipped")
        skipped = tasks.toggle(s, small, "risks")
        started = tasks.set_status(s, small, "inventory", "in_progress")
    assert (first.status, again.status, skipped.status, started.status) == (
        "done",
        "todo",
        "todo",
        "in_progress",
    )
    with session_scope() as s, pytest.raises(Conflict):
        tasks.toggle(s, small, "kickoff", expected_version=first.version)


def test_errors_name_the_argument_they_are_about(session_scope, small):
    with session_scope() as s:
        with pytest.raises(NotFound) as info:
            tasks.assign(s, small, "kickoff", "nobody")
        assert info.value.field == "person"
        with pytest.raises(BadInput) as info:
            tasks.set_status(s, small, "kickoff", "finished")
        assert info.value.field == "status"


def test_pages_of_tasks_open_each_phase_with_a_heading(session_scope, small):
    from transition.services.views.tasks import PhaseHeader, TaskCursor, TaskFilter

    order = ["ramp-up", "cutover", "discovery"]
    seen: list[str] = []
    cursor = TaskCursor()
    with session_scope() as s:
        pages = 0
        while not cursor.done:
            page = tasks.page(s, small, order, TaskFilter(), cursor, limit=2)
            assert page.loaded == sum(1 for r in page.rows if not isinstance(r, PhaseHeader))
            assert page.loaded <= 2
            seen += [r.key for r in page.rows]
            cursor, pages = page.cursor, pages + 1
        assert pages == 3
        todo = tasks.page(s, small, order, TaskFilter(status="todo"), TaskCursor(), limit=50)
    assert seen == [
        "phase:ramp-up",
        "shadowing",
        "phase:cutover",
        "go-no-go",
        "phase:discovery",
        "kickoff",
        "inventory",
        "risks",
    ]
    assert todo.cursor.done and todo.loaded == 5
    with session_scope() as s:
        tasks.set_status(s, small, "go-no-go", "blocked")
        blocked = tasks.page(s, small, order, TaskFilter(status="blocked"), TaskCursor())
    assert [r.key for r in blocked.rows] == ["phase:cutover", "go-no-go"]
