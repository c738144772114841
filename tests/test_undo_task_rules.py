"""Undo keeps the task rules ``task set`` keeps: a done task never rests on an open one,
whoever changed the tasks around it since (refused, exit 1, nothing written)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from safety import audit_count, refused_unwritten
from sqlalchemy import select

from transition import db
from transition.models import Engagement, Task

ENG = "acme-helpdesk"


def _ok(result):
    assert result.exit_code == 0, result.stderr
    return result


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
    message = refused_unwritten(cli, engine, "undo", ENG)
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
    message = refused_unwritten(cli, engine, "undo", ENG)
    assert "task 'then' would be done again" in message and "first (in progress)" in message
    assert _statuses(engine) == {"first": ("in_progress", True), "then": ("todo", True)}


def test_undo_of_a_removal_does_not_put_an_open_task_under_a_done_one(cli, engine, acme):
    _pair(cli)
    _ok(cli("--actor", "bob", "task", "set", ENG, "then", "--status", "skipped"))
    _ok(cli("task", "remove", ENG, "first", "--reason", "covered elsewhere"))
    _ok(cli("--actor", "bob", "task", "done", ENG, "then"))
    message = refused_unwritten(cli, engine, "undo", ENG)
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


# --------------------------------------------------------------------------- property

_SEQ = iter(range(1, 10_000))
_CHAIN = ("first", "then", "last")  # then depends on first, last on then


def _invariant(engine, slug: str) -> None:
    """No task in the plan that is done depends on one in the plan that is open."""
    from sqlalchemy.orm import aliased

    from transition.models import TaskDependency

    dep = aliased(Task)
    with db.session_scope(engine, write=False) as s:
        broken = s.execute(
            select(Task.key, dep.key)
            .join(TaskDependency, TaskDependency.task_id == Task.id)
            .join(dep, dep.id == TaskDependency.depends_on_id)
            .join(Engagement, Engagement.id == Task.engagement_id)
            .where(
                Engagement.slug == slug,
                Task.status == "done",
                Task.removed_at.is_(None),
                dep.removed_at.is_(None),
                dep.status.in_(("todo", "in_progress", "blocked")),
            )
        ).all()
    assert not broken, broken


def _statuses_of(engine, slug: str) -> dict[str, str | None]:
    """Each chain task's status, None once removed."""
    with db.session_scope(engine, write=False) as s:
        rows = s.execute(
            select(Task.key, Task.status, Task.removed_at)
            .join(Engagement)
            .where(Engagement.slug == slug, Task.key.in_(_CHAIN))
        ).all()
    return {key: (status if removed is None else None) for key, status, removed in rows}


@settings(
    max_examples=int(os.environ.get("TRANSITION_UNDO_EXAMPLES", "5")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.sampled_from(("advance", "reopen", "skip", "remove", "undo")), min_size=1, max_size=12
    ),
    first=st.sampled_from(("alice", "bob")),
)
@example(steps=["advance", "advance", "undo"], first="alice")  # reopening under bob's done
@example(steps=["skip", "remove", "advance", "undo"], first="alice")
def test_no_mix_of_edits_and_undos_leaves_a_done_task_on_an_open_one(cli, engine, steps, first):
    """Two users take turns on a chain of dependent tasks: closing the next open one,
    reopening the last done one, removing one, or undoing their own newest change."""
    slug = f"deps-{next(_SEQ)}"
    _ok(cli("engagement", "new", slug, "--playbook", "managed-service-onboarding"))
    for key, after in zip(_CHAIN, (None, *_CHAIN), strict=False):
        extra = ("--depends-on", after) if after else ()
        _ok(cli("task", "add", slug, "--phase", "discovery", "--key", key, "--title", key, *extra))
    actors = (first, "bob" if first == "alice" else "alice")
    for turn, op in enumerate(steps):
        live = {k: v for k, v in _statuses_of(engine, slug).items() if v is not None}
        open_ = [k for k in _CHAIN if live.get(k) in ("todo", "in_progress", "blocked")]
        done = [k for k in _CHAIN if live.get(k) in ("done", "skipped")]
        if op == "undo":
            args: tuple[str, ...] = ("undo", slug)
        elif op in ("advance", "skip") and open_:
            status = "done" if op == "advance" else "skipped"
            args = ("task", "set", slug, open_[0], "--status", status)
        elif op == "reopen" and done:
            args = ("task", "set", slug, done[-1], "--status", "todo")
        elif op == "remove" and live:
            args = ("task", "remove", slug, sorted(live)[turn % len(live)], "--reason", "gone")
        else:
            continue
        before = audit_count(engine)
        result = cli("--actor", actors[turn % 2], *args)
        assert result.exit_code in (0, 1), (args, result.stderr)
        if result.exit_code:
            assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
            assert audit_count(engine) == before
        _invariant(engine, slug)
