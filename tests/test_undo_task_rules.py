"""Undo keeps the task rules ``task set`` keeps: a done task never rests on an open one,
whoever changed the tasks around it since (refused, exit 1, nothing written)."""

from __future__ import annotations

from sqlalchemy import func, select

from transition import db
from transition.models import AuditEvent, Engagement, Task

ENG = "acme-helpdesk"


def _ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def _events(engine) -> int:
    with db.session_scope(engine, write=False) as s:
        return s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def _refused(cli, engine, *args: str) -> str:
    before = _events(engine)
    result = cli(*args)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert _events(engine) == before
    return result.stderr


def _statuses(engine) -> dict[str, tuple[str, bool]]:
    with db.session_scope(engine, write=False) as s:
        return {
            key: (status, removed is None)
            for key, status, removed in s.execute(
                select(Task.key, Task.status, Task.removed_at)
                .join(Engagement)
                .where(Engagement.slug == ENG, Task.origin == "adhoc")
            )
        }


def _pair(cli) -> None:
    _ok(cli("task", "add", ENG, "--phase", "discovery", "--key", "first", "--title", "First"))
    _ok(
        cli(
            "task", "add", ENG, "--phase", "discovery", "--key", "then", "--title", "Then",
            "--depends-on", "first",
        )
    )  # fmt: skip


def test_undo_does_not_reopen_a_task_another_user_built_on(cli, engine, acme):
    _pair(cli)
    _ok(cli("task", "done", ENG, "first"))
    _ok(cli("--actor", "bob", "task", "done", ENG, "then"))
    message = _refused(cli, engine, "undo", ENG)
    assert "task 'first' would be open again" in message and "then" in message
    assert _statuses(engine) == {"first": ("done", True), "then": ("done", True)}
    # Once bob reopens his task, the undo goes through.
    _ok(cli("--actor", "bob", "undo", ENG))
    _ok(cli("undo", ENG))
    assert _statuses(engine) == {"first": ("todo", True), "then": ("todo", True)}
    _ok(cli("audit", ENG, "--verify"))


def test_undo_does_not_put_a_task_back_to_done_on_an_open_dependency(cli, engine, acme):
    _pair(cli)
    _ok(cli("task", "done", ENG, "first"))
    _ok(cli("task", "done", ENG, "then"))
    _ok(cli("task", "set", ENG, "then", "--status", "todo"))
    _ok(cli("--actor", "bob", "task", "set", ENG, "first", "--status", "in_progress"))
    message = _refused(cli, engine, "undo", ENG)
    assert "task 'then' would be done again" in message and "first (in progress)" in message
    assert _statuses(engine) == {"first": ("in_progress", True), "then": ("todo", True)}


def test_undo_of_a_removal_does_not_put_an_open_task_under_a_done_one(cli, engine, acme):
    _pair(cli)
    _ok(cli("--actor", "bob", "task", "set", ENG, "then", "--status", "skipped"))
    _ok(cli("task", "remove", ENG, "first", "--reason", "covered elsewhere"))
    _ok(cli("--actor", "bob", "task", "done", ENG, "then"))
    message = _refused(cli, engine, "undo", ENG)
    assert "task 'first' would be open again" in message
    assert _statuses(engine) == {"first": ("todo", False), "then": ("done", True)}


def test_undoing_both_changes_together_is_allowed(cli, engine, acme):
    """``--last 2`` undoes the dependent first: each step keeps the rule."""
    _pair(cli)
    _ok(cli("task", "done", ENG, "first"))
    _ok(cli("task", "done", ENG, "then"))
    _ok(cli("undo", ENG, "--last", "2"))
    assert _statuses(engine) == {"first": ("todo", True), "then": ("todo", True)}
    _ok(cli("audit", ENG, "--verify"))
