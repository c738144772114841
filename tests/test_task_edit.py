"""Ad-hoc tasks, task edits, removal with a reason, the notes thread and ``task show``:
every command and its refusals, on every backend; nothing is written on a refusal and the
audit log replays to the rows after every change."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.core_books import write_small
from tests.safety import dump
from transition.errors import BadInput, Conflict, Refused
from transition.services import audit_verify, engagements, gates, task_edit, tasks
from transition.services.common import get_engagement

ENG = "small-co"


@pytest.fixture
def small(cli, tmp_path, monkeypatch) -> str:
    """The small playbook started on Monday 2026-11-02 (discovery, ramp-up, cutover)."""
    monkeypatch.setenv("TRANSITION_TODAY", "2026-11-10")
    path = write_small(tmp_path)
    result = cli("engagement", "new", "Small Co", "--playbook", str(path), "--start", "2026-11-02")
    assert result.exit_code == 0, result.stderr
    return ENG


def ok(cli, *args: str) -> str:
    result = cli("--actor", "alice", *args)
    assert result.exit_code == 0, (args, result.stderr)
    return result.stdout


def refused(cli, db_url: str, code: int, *args: str) -> str:
    """Run a command that must fail with ``code`` and one ``error:`` line, writing nothing."""
    before = dump(db_url)
    result = cli("--actor", "alice", *args)
    assert result.exit_code == code, (args, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    assert dump(db_url) == before
    return lines[0].removeprefix("error: ")


def verified(cli) -> None:
    result = cli("audit", ENG, "--verify", "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.json()["problems"] == []


def show(cli, key: str) -> dict:
    result = cli("task", "show", ENG, key, "--json")
    assert result.exit_code == 0, result.stderr
    return result.json()


def listed(cli) -> list[str]:
    return [t["key"] for t in cli("task", "list", ENG, "--json").json()]


# ------------------------------------------------------------------------------ add


def test_add_an_adhoc_task_due_in_working_days_from_its_phase(cli, small):
    out = ok(
        cli,
        "task", "add", ENG, "--phase", "discovery", "--key", "dr-test", "--title", "Extra DR test",
        "--due", "+5bd", "--owner", "provider-lead", "--depends-on", "kickoff",
        "--depends-on", "inventory", "--description", "Run it again\nwith the new backup",
    )  # fmt: skip
    # 2026-11-02 is a Monday: the fifth working day after it is the next Monday.
    assert (
        out
        == "task dr-test added to discovery (ad hoc), due 2026-11-09 (+5bd), after kickoff, inventory\n"
    )
    task = show(cli, "dr-test")
    assert task["origin"] == "adhoc"
    assert task["due_date"] == "2026-11-09" and task["due_rule"] == "+5bd"
    assert task["owner_role"] == "provider-lead"
    assert task["depends_on"] == ["kickoff", "inventory"]
    assert task["description"] == "Run it again\nwith the new backup"
    assert task["status"] == "todo" and task["removed_at"] is None
    assert [e["action"] for e in task["history"]] == ["create"] * len(task["history"])
    assert listed(cli)[:4] == ["kickoff", "inventory", "risks", "dr-test"]
    table = ok(cli, "task", "list", ENG, "--phase", "discovery")
    assert "(ad hoc) Extra DR test" in table and "(ad hoc) Kick-off" not in table
    assert show(cli, "kickoff")["origin"] == "playbook"
    assert show(cli, "kickoff")["dependents"] == ["inventory", "dr-test"]
    verified(cli)


def test_an_absolute_due_date_keeps_no_rule_and_calendar_days_count_weekends(cli, small):
    ok(
        cli,
        "task",
        "add",
        ENG,
        "--phase",
        "ramp-up",
        "--key",
        "a",
        "--title",
        "A",
        "--due",
        "2026-11-20",
    )
    ok(cli, "task", "add", ENG, "--phase", "ramp-up", "--key", "b", "--title", "B", "--due", "+5d")
    ok(cli, "task", "add", ENG, "--phase", "ramp-up", "--key", "c", "--title", "C")
    # ramp-up starts on 2026-11-16; +5d is a Saturday.
    assert (show(cli, "a")["due_date"], show(cli, "a")["due_rule"]) == ("2026-11-20", None)
    assert (show(cli, "b")["due_date"], show(cli, "b")["due_rule"]) == ("2026-11-21", "+5d")
    assert (show(cli, "c")["due_date"], show(cli, "c")["due_rule"]) == (None, None)
    verified(cli)


def test_working_days_skip_english_bank_holidays(session_scope, tmp_path, clock):
    clock.pin(today="2026-12-01")
    path = write_small(tmp_path)
    with session_scope() as s:
        eng = engagements.create(
            s, name="Yule", playbook=str(path), raw=path.read_bytes(), start=date(2026, 12, 21)
        )
        eng.calendar = "GB-ENG"
    with session_scope() as s:
        bd = task_edit.add(s, "yule", phase="discovery", key="bd", title="BD", due="+4bd")
        cd = task_edit.add(s, "yule", phase="discovery", key="cd", title="CD", due="+4d")
    # 22, 23, 24 December are worked; 25, 26 (Saturday), 27 and the 28th (the Boxing Day
    # holiday, moved to Monday) are not.
    assert bd.due_date == date(2026, 12, 29)
    assert cd.due_date == date(2026, 12, 25)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--phase", "nope", "--key", "x", "--title", "X"), 2, "unknown phase 'nope': phases are discovery, ramp-up, cutover"),
        (("--phase", "discovery", "--key", "Bad Key!", "--title", "X"), 2, "invalid task key 'Bad Key!'"),
        (("--phase", "discovery", "--key", "x", "--title", "  "), 2, "task title must not be empty"),
        (("--phase", "discovery", "--key", "x", "--title", "X", "--due", "soon"), 2, "invalid due date 'soon'"),
        (("--phase", "discovery", "--key", "x", "--title", "X", "--due", "+3x"), 2, "invalid due date '+3x'"),
        (("--phase", "discovery", "--key", "x", "--title", "X", "--due", "2026-02-30"), 2, "invalid due date '2026-02-30'"),
        (("--phase", "discovery", "--key", "x", "--title", "X", "--depends-on", "ghost"), 2, "unknown task key 'ghost' in --depends-on"),
        (("--phase", "discovery", "--key", "x", "--title", "X", "--depends-on", "x"), 1, "task 'x' cannot depend on itself (a dependency cycle)"),
        (("--phase", "discovery", "--key", "x", "--title", "a\x1bb"), 2, "task title contains control characters"),
        (("--phase", "discovery", "--key", "x", "--title", "X" * 301), 2, "task title is 301 characters long"),
        (("--phase", "discovery", "--key", "kickoff", "--title", "X"), 1, "task 'kickoff' already exists in small-co (phase discovery: 'Kick-off workshop'); choose another key"),
    ],
)  # fmt: skip
def test_add_refusals_write_nothing(cli, db_url, small, args, code, message):
    assert refused(cli, db_url, code, "task", "add", ENG, *args).startswith(message)


# ------------------------------------------------------------------------------ set


def test_set_changes_fields_with_one_event_each(cli, small):
    out = ok(
        cli, "task", "set", ENG, "risks", "--title", "Risk and issue register", "--due", "+2bd",
        "--owner", "transition-manager", "--description", "Weekly review",
    )  # fmt: skip
    assert out == (
        "task risks: title 'Risk and issue register'; due 2026-11-04 (+2bd); "
        "description set; owner transition-manager\n"
    )
    task = show(cli, "risks")
    assert task["title"] == "Risk and issue register" and task["due_rule"] == "+2bd"
    updates = {e["field"]: (e["before"], e["after"]) for e in task["history"]}
    assert updates["title"] == ("Risk register", "Risk and issue register")
    assert updates["due_date"] == ("2026-11-16", "2026-11-04")
    assert updates["due_rule"] == ("2w", "+2bd")  # the playbook's offset, then the new one
    assert ok(cli, "task", "set", ENG, "risks", "--due", "none") == "task risks: due none\n"
    assert show(cli, "risks")["due_date"] is None
    assert ok(cli, "task", "set", ENG, "risks", "--status", "in_progress", "--title", "Risks") == (
        "task risks: in_progress; title 'Risks'\n"
    )
    # The first release's form still prints as it did.
    assert ok(cli, "task", "set", ENG, "kickoff", "--status", "done") == "task kickoff: done\n"
    assert ok(cli, "task", "set", ENG, "kickoff", "--note", "minutes filed") == (
        "task kickoff: note set\n"
    )
    verified(cli)


def test_set_refusals_write_nothing(cli, db_url, small):
    assert refused(cli, db_url, 2, "task", "set", ENG, "risks").startswith("nothing to change")
    assert refused(cli, db_url, 2, "task", "set", ENG, "risks", "--due", "later").startswith(
        "invalid due date 'later'"
    )
    assert refused(cli, db_url, 2, "task", "set", ENG, "risks", "--title", "").startswith(
        "task title must not be empty"
    )
    assert refused(cli, db_url, 2, "task", "set", ENG, "ghost", "--title", "X").startswith(
        "unknown task 'ghost'"
    )
    # The status rules stand, and a refused status leaves the other fields alone too.
    message = refused(
        cli, db_url, 1, "task", "set", ENG, "inventory", "--status", "done", "--title", "Y"
    )
    assert (
        message
        == "task 'inventory' cannot be done while it depends on open task(s): kickoff (todo)"
    )


def test_a_stale_edit_is_refused_naming_who_changed_the_task(session_scope, small, db_url):
    with session_scope() as s:
        version = tasks.list_tasks(s, ENG)[2].version
    with session_scope(actor="bob") as s:
        task_edit.update(s, ENG, "risks", title="Risks (bob)", expected_version=version)
    before = dump(db_url)
    with (
        session_scope() as s,
        pytest.raises(Conflict, match=r"changed by bob .*title: Risk register → Risks \(bob\)"),
    ):
        task_edit.update(s, ENG, "risks", title="Mine", expected_version=version)
    with session_scope() as s, pytest.raises(Conflict, match="changed by bob"):
        task_edit.remove(s, ENG, "risks", reason="dup", expected_version=version)
    assert dump(db_url) == before


# ------------------------------------------------------------------------------ remove


def test_remove_an_adhoc_task_keeps_it_for_show_and_drops_it_everywhere_else(
    cli, small, session_scope
):
    ok(
        cli,
        "task",
        "add",
        ENG,
        "--phase",
        "discovery",
        "--key",
        "extra",
        "--title",
        "Extra",
        "--due",
        "2026-11-03",
    )
    with session_scope() as s:
        before = {p.key: (p.tasks_total, p.tasks_open) for p in gates.steps(s, ENG)}
        figures = engagements.detail(s, ENG)
    assert before["discovery"] == (4, 4)
    assert ok(cli, "task", "remove", ENG, "extra", "--reason", "Folded into the DR test") == (
        "task extra removed: Folded into the DR test\n"
    )
    assert "extra" not in listed(cli)
    assert "extra" not in [t["key"] for t in cli("task", "list", ENG, "--overdue", "--json").json()]
    with session_scope() as s:
        after = {p.key: (p.tasks_total, p.tasks_open) for p in gates.steps(s, ENG)}
        now = engagements.detail(s, ENG)
        report_total = len(tasks.list_tasks(s, ENG))
    assert after["discovery"] == (3, 3)
    assert (now.tasks_total, now.tasks_overdue) == (
        figures.tasks_total - 1,
        figures.tasks_overdue - 1,
    )
    assert report_total == now.tasks_total
    task = show(cli, "extra")
    assert task["removed_reason"] == "Folded into the DR test" and task["removed_at"]
    assert task["history"][-1]["action"] == "remove"
    text = ok(cli, "task", "show", ENG, "extra")
    assert "REMOVED" in text and "Folded into the DR test" in text
    verified(cli)


def test_a_playbook_task_never_started_may_be_removed_a_started_one_not(cli, db_url, small):
    ok(cli, "task", "set", ENG, "risks", "--status", "in_progress")
    ok(cli, "task", "set", ENG, "risks", "--status", "todo")
    message = refused(cli, db_url, 1, "task", "remove", ENG, "risks", "--reason", "not needed")
    assert message.startswith("task 'risks' comes from the playbook and was started;")
    ok(cli, "task", "set", ENG, "go-no-go", "--title", "Go/no-go call")  # an edit is no start
    ok(cli, "task", "remove", ENG, "go-no-go", "--reason", "decided by the steering group")
    assert "go-no-go" not in listed(cli)
    verified(cli)


def test_remove_refusals(cli, db_url, small):
    message = refused(cli, db_url, 1, "task", "remove", ENG, "kickoff", "--reason", "x")
    assert message == "task 'kickoff' cannot be removed while open task(s) depend on it: inventory"
    assert refused(cli, db_url, 2, "task", "remove", ENG, "go-no-go").startswith(
        "a reason is required"
    )
    assert refused(cli, db_url, 2, "task", "remove", ENG, "go-no-go", "--reason", " ").startswith(
        "a reason is required"
    )
    ok(cli, "task", "remove", ENG, "go-no-go", "--reason", "not needed")
    again = refused(cli, db_url, 1, "task", "remove", ENG, "go-no-go", "--reason", "again")
    assert again == "task 'go-no-go' was removed (not needed); nothing to change"
    assert refused(cli, db_url, 1, "task", "set", ENG, "go-no-go", "--title", "T").startswith(
        "task 'go-no-go' was removed"
    )
    assert refused(cli, db_url, 1, "task", "done", ENG, "go-no-go").startswith(
        "task 'go-no-go' was removed"
    )
    assert refused(cli, db_url, 1, "task", "note", ENG, "go-no-go", "hello").startswith(
        "task 'go-no-go' was removed"
    )
    assert refused(cli, db_url, 2, "task", "add", ENG, "--phase", "cutover", "--key", "x", "--title", "X", "--depends-on", "go-no-go") == (
        "unknown task key 'go-no-go' in --depends-on (it was removed)"
    )  # fmt: skip
    assert refused(cli, db_url, 1, "task", "add", ENG, "--phase", "cutover", "--key", "go-no-go", "--title", "X").startswith(
        "task 'go-no-go' already exists"
    )  # fmt: skip


def test_a_removed_dependency_no_longer_holds_a_task_back(cli, small):
    ok(cli, "task", "add", ENG, "--phase", "cutover", "--key", "dry-run", "--title", "Dry run")
    ok(
        cli,
        "task",
        "add",
        ENG,
        "--phase",
        "cutover",
        "--key",
        "sign",
        "--title",
        "Sign",
        "--depends-on",
        "dry-run",
    )
    ok(cli, "task", "set", ENG, "sign", "--status", "skipped")
    ok(cli, "task", "remove", ENG, "dry-run", "--reason", "merged")
    ok(cli, "task", "set", ENG, "sign", "--status", "todo")
    assert show(cli, "sign")["waiting_on"] == [] and show(cli, "sign")["depends_on"] == []
    ok(cli, "task", "done", ENG, "sign")
    verified(cli)


# ------------------------------------------------------------------------------ notes


def test_notes_thread_and_history_in_show(cli, db_url, small):
    assert ok(cli, "task", "note", ENG, "kickoff", "Agenda sent") == (
        "note added to task kickoff by alice\n"
    )
    result = cli("--actor", "bob", "task", "note", ENG, "kickoff", "Room booked\nfor 20 people")
    assert result.exit_code == 0
    ok(cli, "task", "set", ENG, "kickoff", "--status", "in_progress")
    task = show(cli, "kickoff")
    assert [(n["author"], n["text"]) for n in task["notes"]] == [
        ("alice", "Agenda sent"),
        ("bob", "Room booked\nfor 20 people"),
    ]
    assert [(e["action"], e["field"], e["after"]) for e in task["history"]] == [
        ("update", "status", "in_progress")
    ]
    text = ok(cli, "task", "show", ENG, "kickoff")
    assert "notes (2)\n  alice, " in text and "    Agenda sent\n  bob, " in text
    assert "    Room booked\n    for 20 people\n" in text
    assert "history (1 change)\n  update: status todo → in_progress — alice, " in text
    assert (
        refused(cli, db_url, 2, "task", "note", ENG, "kickoff", "  ")
        == "the note must not be empty"
    )
    assert refused(cli, db_url, 2, "task", "note", ENG, "kickoff", "a\x00b").startswith(
        "the note contains control characters"
    )
    assert (
        refused(cli, db_url, 2, "task", "show", ENG, "ghost") == "unknown task 'ghost' in small-co"
    )
    verified(cli)


# ------------------------------------------------------------------------------ any text

_keys = itertools.count()
_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=60
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=_TEXT, text=_TEXT)
@example(title="Проверка резервного копирования", text="النسخ الاحتياطي جاهز")
@example(title="バックアップ確認 — 東京", text="ज़रूरी: सर्वर की सूची\nΈλεγχος 🙂")
@example(title="Ärger mit O'Brien & Søn", text="  trimmed\t ")
def test_any_title_and_note_is_kept_as_typed_or_refused_cleanly(session_scope, small, title, text):
    key = f"h-{next(_keys)}"
    try:
        with session_scope() as s:
            added = task_edit.add(s, ENG, phase="cutover", key=key, title=title)
    except BadInput:
        with session_scope() as s:
            assert key not in [t.key for t in tasks.list_tasks(s, ENG)]
    else:
        assert added.title == title.strip() and added.origin == "adhoc"
    try:
        with session_scope() as s:
            task_edit.note(s, ENG, "go-no-go", text)
    except (BadInput, Refused):
        pass
    else:
        with session_scope() as s:
            assert task_edit.show(s, ENG, "go-no-go").notes[-1].text == text.strip()
    with session_scope() as s:
        assert audit_verify.verify(s, get_engagement(s, ENG)).problems == []


def test_show_and_add_take_a_fixed_number_of_queries(session_scope, small, count_queries):
    def measured(fn, *args, **kwargs) -> int:
        with count_queries() as q, session_scope() as s:
            fn(s, ENG, *args, **kwargs)
        return q.count

    first = measured(task_edit.show, "kickoff")
    adds = [
        measured(task_edit.add, phase="cutover", key=f"q-{n}", title="Q", due="+2bd",
                 depends_on=["kickoff", "risks"])
        for n in range(3)
    ]  # fmt: skip
    for n in range(20):
        with session_scope() as s:
            task_edit.note(s, ENG, "kickoff", f"note {n}")
            task_edit.update(s, ENG, "kickoff", title=f"Kick-off {n}")
    assert measured(task_edit.show, "kickoff") == first <= 8  # the role holders included
    assert len(set(adds)) == 1 and adds[0] <= 14
