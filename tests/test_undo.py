"""``transition undo``: reverting the acting user's changes, and every refusal (exit 1,
nothing written)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from transition import db
from transition.models import (
    AccessGrant,
    AuditEvent,
    Engagement,
    HandoverItem,
    KTSession,
    Person,
    Task,
)

ENG = "acme-helpdesk"


def _ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def _events(engine) -> int:
    with db.session_scope(engine, write=False) as s:
        return s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def _task(engine, key: str) -> Task:
    with db.session_scope(engine, write=False) as s:
        return s.execute(
            select(Task).join(Engagement).where(Task.key == key, Engagement.slug == ENG)
        ).scalar_one()


def _refused(cli, engine, *args: str) -> str:
    """Run ``transition ARGS``: refused with exit 1, one error line, nothing written."""
    before = _events(engine)
    result = cli(*args)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
    assert _events(engine) == before
    return result.stderr


def _verified(cli, slug: str = ENG) -> None:
    _ok(cli("audit", slug, "--verify"))


def test_undo_reverts_a_task_status_and_marks_its_events(cli, engine, acme):
    _ok(cli("task", "done", ENG, "kickoff-workshop", "--note", "minutes"))
    out = _ok(cli("undo", ENG)).stdout
    assert "task kickoff-workshop status: done → todo" in out
    assert "task kickoff-workshop note: minutes → (none)" in out
    task = _task(engine, "kickoff-workshop")
    assert (task.status, task.note, task.completed_by, task.completed_at) == (
        "todo",
        None,
        None,
        None,
    )
    with db.session_scope(engine, write=False) as s:
        done, undo = (
            s.execute(
                select(AuditEvent.change_id, AuditEvent.undoes)
                .where(AuditEvent.entity == "task")
                .order_by(AuditEvent.id)
            ).all()[i]
            for i in (0, -1)
        )
    assert undo.undoes == done.change_id and undo.change_id != done.change_id
    _verified(cli)
    # The undo is not undone in turn, and the change is not undone twice: next comes the
    # previous change of the user, the engagement's creation, which cannot be undone.
    assert "cannot take that back" in _refused(cli, engine, "undo", ENG)


def test_dry_run_lists_and_writes_nothing(cli, engine, acme):
    _ok(cli("person", "add", ENG, "Priya Shah", "--side", "provider"))
    _ok(cli("task", "assign", ENG, "kickoff-workshop", "Priya Shah"))
    before = _events(engine)
    out = _ok(cli("undo", ENG, "--dry-run", "--last", "2")).stdout
    assert out.splitlines() == [
        "would undo:",
        f"  change of {out.split('change of ')[1][:16]} by tester in {ENG} (task assign):",
        "    task kickoff-workshop assignee: Priya Shah → (none)",
        f"  change of {out.split('change of ')[2][:16]} by tester in {ENG} (person create):",
        "    person priya-shah: removed (the change created it)",
        "nothing written (dry run)",
    ]
    assert _events(engine) == before
    assert _task(engine, "kickoff-workshop").assignee_id is not None
    data = _ok(cli("undo", ENG, "--last", "2", "--json")).json()
    assert data["dry_run"] is False
    assert [c["actions"] for c in data["changes"]] == [["task assign"], ["person create"]]
    with db.session_scope(engine, write=False) as s:
        assert s.execute(select(Person.id)).first() is None
    _verified(cli)


def test_someone_elses_change_since_refuses_naming_them(cli, engine, acme):
    _ok(cli("--actor", "alice", "task", "done", ENG, "kickoff-workshop"))
    _ok(cli("--actor", "bob", "task", "set", ENG, "kickoff-workshop", "--status", "blocked"))
    message = _refused(cli, engine, "--actor", "alice", "undo", ENG)
    assert message.startswith("error: task kickoff-workshop was changed by bob at ")
    assert "(status: done → blocked; " in message and message.rstrip().endswith(
        "since; nothing undone"
    )
    # Once bob undoes his change, alice's comes back within reach.
    _ok(cli("--actor", "bob", "undo", ENG))
    _ok(cli("--actor", "alice", "undo", ENG))
    assert _task(engine, "kickoff-workshop").status == "todo"
    _verified(cli)


def test_last_n_is_all_or_nothing(cli, engine, acme):
    _ok(cli("--actor", "alice", "task", "done", ENG, "kickoff-workshop"))
    _ok(cli("--actor", "alice", "person", "add", ENG, "Ann Old", "--side", "incumbent"))
    _ok(cli("--actor", "bob", "task", "set", ENG, "kickoff-workshop", "--status", "todo"))
    # The newest (person add) could be undone, the one before cannot: neither is.
    assert "changed by bob" in _refused(cli, engine, "--actor", "alice", "undo", "--last", "2")
    with db.session_scope(engine, write=False) as s:
        assert s.execute(select(Person.name)).scalars().all() == ["Ann Old"]
    assert "only 1 change(s) left" not in _refused(cli, engine, "undo", ENG)


def test_a_changed_value_refuses_even_without_an_event(cli, engine, acme):
    _ok(cli("task", "done", ENG, "kickoff-workshop"))
    with db.session_scope(engine) as s:  # behind the tool's back
        s.execute(update(Task).where(Task.key == "kickoff-workshop").values(status="blocked"))
    message = _refused(cli, engine, "undo", ENG)
    assert "task kickoff-workshop has status 'blocked' now, not 'done'" in message


def test_gate_decisions_cannot_be_undone(cli, engine, acme):
    _ok(cli("phase", "advance", ENG, "--override", "agreed with the client"))
    assert "a gate decision" in _refused(cli, engine, "undo", ENG)


def test_nothing_left_and_unknown_changes(cli, engine, acme):
    assert "no change left to undo" in _refused(cli, engine, "--actor", "zoe", "undo", ENG)
    assert "no change left to undo" in _refused(cli, engine, "--actor", "zoe", "undo")
    result = cli("undo", ENG, "--last", "0")
    assert result.exit_code == 2 and result.stderr.startswith("error: --last")
    result = cli("undo", "no-such-engagement")
    assert result.exit_code == 2 and "unknown engagement" in result.stderr


def test_changes_made_before_change_ids_cannot_be_undone(cli, engine, acme):
    _ok(cli("task", "done", ENG, "kickoff-workshop"))
    with db.session_scope(engine) as s:
        s.execute(update(AuditEvent).where(AuditEvent.entity == "task").values(change_id=None))
    assert "before changes were grouped" in _refused(cli, engine, "undo", ENG)


def test_without_an_engagement_the_newest_change_anywhere(cli, engine, acme):
    _ok(cli("engagement", "new", "Other", "--playbook", "managed-service-onboarding"))
    _ok(cli("task", "done", ENG, "kickoff-workshop"))
    _ok(cli("person", "add", "other", "Ann Old", "--side", "incumbent"))
    assert "in other (person create)" in _ok(cli("undo")).stdout
    assert "in acme-helpdesk (task update)" in _ok(cli("undo")).stdout
    assert _task(engine, "kickoff-workshop").status == "todo"


def test_a_grant_is_undone_by_revoking_it(cli, engine, acme):
    _ok(cli("person", "add", ENG, "Bob New", "--side", "provider"))
    _ok(cli("system", "add", ENG, "CRM"))
    _ok(cli("access", "grant", ENG, "--person", "Bob New", "--system", "CRM", "--role", "op"))
    out = _ok(cli("undo", ENG)).stdout
    assert "revoked_at: (none) → now (reason: undo)" in out
    with db.session_scope(engine, write=False) as s:
        grant = s.execute(select(AccessGrant)).scalar_one()
        item = s.execute(
            select(HandoverItem).where(HandoverItem.key == f"grant:{grant.id}:revoke")
        ).scalar_one()
    assert (grant.revoke_reason, grant.revoked_by, item.status) == ("undo", "tester", "resolved")
    _verified(cli)
    # The person and system are used by the grant now: their creation stays.
    assert "used by grants" in _refused(cli, engine, "undo", ENG, "--last", "3")


def test_a_revocation_is_undone(cli, engine, acme):
    _ok(cli("person", "add", ENG, "Bob New", "--side", "provider"))
    _ok(cli("system", "add", ENG, "CRM"))
    _ok(cli("access", "grant", ENG, "--person", "Bob New", "--system", "CRM", "--role", "op"))
    _ok(cli("--actor", "sec", "access", "revoke", ENG, "1", "--reason", "left"))
    _ok(cli("--actor", "sec", "undo", ENG))
    with db.session_scope(engine, write=False) as s:
        grant = s.execute(select(AccessGrant)).scalar_one()
        item = s.execute(select(HandoverItem).where(HandoverItem.key == "grant:1:revoke")).one()
    assert (grant.revoked_at, grant.revoked_by, grant.revoke_reason) == (None, None, None)
    assert (item[0].status, item[0].resolved_at, item[0].resolved_by) == ("open", None, None)
    _verified(cli)


def test_a_kt_session_scheduled_is_taken_away(cli, engine, acme):
    _ok(cli("person", "add", ENG, "Ann Old", "--side", "incumbent"))
    _ok(cli("person", "add", ENG, "Bob New", "--side", "provider"))
    _ok(cli("system", "add", ENG, "CRM"))
    args = ("--system", "CRM", "--topic", "Jobs", "--presenter", "Ann Old")
    _ok(cli("kt", "schedule", ENG, *args, "--attendee", "Bob New", "--at", "2026-12-01T15:00"))
    _ok(cli("undo", ENG))
    with db.session_scope(engine, write=False) as s:
        assert s.execute(select(KTSession.id)).first() is None
    _verified(cli)
    # Scheduled again (SQLite reuses the id), held, then the hold undone: the log replays.
    _ok(cli("kt", "schedule", ENG, *args, "--attendee", "Bob New", "--at", "2026-12-02T15:00"))
    _ok(cli("person", "add", ENG, "Priya Shah", "--side", "provider"))
    sid = "2" if "postgres" in str(engine.url) else "1"
    _ok(cli("kt", "hold", ENG, sid, "--attendee", "Priya Shah"))
    _ok(cli("undo", ENG))
    _verified(cli)
    with db.session_scope(engine, write=False) as s:
        assert s.execute(select(KTSession.status)).scalar_one() == "planned"


def test_a_person_used_since_stays(cli, engine, acme):
    _ok(cli("--actor", "alice", "person", "add", ENG, "Ann Old", "--side", "incumbent"))
    _ok(cli("--actor", "bob", "task", "assign", ENG, "kickoff-workshop", "Ann Old"))
    message = _refused(cli, engine, "--actor", "alice", "undo", ENG)
    assert "person ann-old is used by tasks since" in message


def test_a_system_removed_comes_back(cli, engine, acme):
    _ok(cli("system", "add", ENG, "CRM"))
    _ok(cli("system", "remove", ENG, "CRM"))
    _ok(cli("undo", ENG))
    with db.session_scope(engine, write=False) as s:
        item = s.execute(select(HandoverItem).where(HandoverItem.source_kind == "system")).one()
    assert item[0].status == "open"
    _ok(cli("undo", ENG))  # and its creation: the system and its item are gone
    with db.session_scope(engine, write=False) as s:
        assert (
            s.execute(select(HandoverItem).where(HandoverItem.source_kind == "system")).first()
            is None
        )
    _verified(cli)


def test_undo_change_service_refusals(engine, acme):
    from transition.errors import NotFound, Refused
    from transition.services import audit, tasks, undo

    with db.session_scope(engine, actor="tester") as s:
        tasks.set_status(s, ENG, "kickoff-workshop", "done")
        made = audit.current_change(s)
    assert made
    with db.session_scope(engine, actor="tester") as s:
        done = undo.undo_change(s, made)
        mine = audit.current_change(s)
    assert done.change_id == made and [f.field for f in done.fields][-1] == "status"
    with db.session_scope(engine, actor="tester") as s, pytest.raises(Refused, match="already"):
        undo.undo_change(s, made)
    with db.session_scope(engine, actor="tester") as s, pytest.raises(Refused, match="an undo"):
        undo.undo_change(s, mine)
    with db.session_scope(engine, actor="tester") as s, pytest.raises(NotFound):
        undo.undo_change(s, "0" * 32)
    with db.session_scope(engine, actor="tester") as s, pytest.raises(Refused, match="left"):
        undo.undo_newest(s, [])
    with db.session_scope(engine, actor="tester") as s, pytest.raises(Refused):
        undo.undo_newest(s, [made])


def test_an_undo_costs_the_same_queries_however_long_the_log(cli, count_queries, acme):
    counts = []
    for round_ in range(2):
        if round_:  # a longer log, and more changes of the same rows undone before
            for _ in range(15):
                _ok(cli("task", "done", ENG, "kickoff-workshop"))
                _ok(cli("undo", ENG))
        _ok(cli("task", "done", ENG, "kickoff-workshop", "--note", "minutes"))
        with count_queries() as q:
            _ok(cli("undo", ENG))
        counts.append(q.count)
    assert counts[0] == counts[1] and counts[0] <= 15, counts


def test_a_replan_moving_grant_expiries_is_undone(cli, engine, acme):
    """A replan as the phase edits write it: phase dates as field events, and milestone
    expiries of grants re-resolved, in one change."""
    from datetime import timedelta

    from transition.models import Phase
    from transition.services import access
    from transition.services.common import apply_changes, get_engagement

    _ok(cli("person", "add", ENG, "Bob New", "--side", "provider"))
    _ok(cli("system", "add", ENG, "CRM"))
    args = ("--person", "Bob New", "--system", "CRM", "--role", "op")
    _ok(cli("access", "grant", ENG, *args, "--expires", "cutover+30d"))
    with db.session_scope(engine, write=False) as s:
        before = s.execute(select(AccessGrant.expires_on)).scalar_one()
    with db.session_scope(engine, actor="tester") as s:
        eng = get_engagement(s, ENG)
        phase = s.execute(select(Phase).where(Phase.key == "cutover")).scalar_one()
        week = timedelta(days=7)
        values = {
            "planned_start": phase.planned_start + week,
            "planned_end": phase.planned_end + week,
        }
        apply_changes(s, phase, eng.id, "phase", values, action="replan")
        assert access.on_milestones_changed(s, eng) == 1
    out = _ok(cli("undo", ENG)).stdout
    assert "phase cutover planned_start" in out and "  grant 1 expires_on: " in out
    with db.session_scope(engine, write=False) as s:
        assert s.execute(select(AccessGrant.expires_on)).scalar_one() == before
    _verified(cli)


def test_a_rename_is_undone_with_its_slug(cli, engine, acme):
    from transition.models import System
    from transition.services.common import apply_changes, get_engagement

    _ok(cli("system", "add", ENG, "CRM"))
    with db.session_scope(engine, actor="tester") as s:  # as a rename writes it
        system = s.execute(select(System)).scalar_one()
        system.slug = "customer-db"
        apply_changes(s, system, get_engagement(s, ENG).id, "system", {"name": "Customer DB"})
    assert "system customer-db name: Customer DB → CRM" in _ok(cli("undo", ENG)).stdout
    with db.session_scope(engine, write=False) as s:
        assert s.execute(select(System.name, System.slug)).one() == ("CRM", "crm")
    _verified(cli)


def test_an_adhoc_task_and_a_note_created_are_taken_away(cli, engine, acme):
    """Created as ``task add`` and ``task note`` write them: a row and its ``create``
    events in one change."""
    from transition.dates import utcnow
    from transition.models import Phase, TaskNote
    from transition.services import audit
    from transition.services.common import get_engagement

    with db.session_scope(engine, actor="tester") as s:
        eng = get_engagement(s, ENG)
        phase = s.execute(select(Phase).where(Phase.key == "discovery")).scalar_one()
        task = Task(
            engagement_id=eng.id, phase_id=phase.id, position=99, key="vpn", title="VPN",
            origin="adhoc",
        )  # fmt: skip
        s.add(task)
        s.flush()
        audit.record_fields(s, eng.id, "task", task.id, {"title": (None, "VPN")}, action="create")
    with db.session_scope(engine, actor="tester") as s:
        note = TaskNote(engagement_id=eng.id, task_id=task.id, at=utcnow(), author="t", text="hi")
        s.add(note)
        s.flush()
        audit.record(s, eng.id, "task_note", note.id, "create", "text", None, "hi")
    out = _ok(cli("undo", ENG, "--last", "2")).stdout  # the note first, then its task
    assert "task note 1: removed (the change created it)" in out
    assert "task vpn: removed" in out
    with db.session_scope(engine, write=False) as s:
        assert s.execute(select(Task.id).where(Task.key == "vpn")).first() is None
    _verified(cli)
    # A playbook task is never taken away.
    with db.session_scope(engine, actor="tester") as s:
        row = s.execute(select(Task).where(Task.key == "kickoff-workshop")).scalar_one()
        audit.record(s, eng.id, "task", row.id, "create", "title", None, row.title)
    assert "only ad-hoc tasks" in _refused(cli, engine, "undo", ENG)


def test_a_savepoint_neither_splits_a_change_nor_ends_an_undo(session_scope):
    """``begin_nested`` (a savepoint, as a verb guarding a unique constraint takes) inside
    a transaction keeps its change id and its undo mark; only a real commit ends them."""
    from transition.models import AuditEvent
    from transition.services import audit

    with session_scope() as s:
        audit.mark_undo(s, "c0ffee")
        audit.record(s, None, "engagement", 1, "update", "name", "a", "b")
        with s.begin_nested():
            pass
        audit.record(s, None, "engagement", 1, "update", "name", "b", "c")
    with session_scope(write=False) as s:
        rows = s.execute(select(AuditEvent.change_id, AuditEvent.undoes)).all()
    assert len(rows) == 2 and len(set(rows)) == 1 and rows[0].undoes == "c0ffee"
