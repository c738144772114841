"""Phase gates: each criterion judged with its reason, advance refused while one is unmet,
an override recorded with its written reason."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.core_books import write_small
from tests.safety import dump
from transition.errors import BadInput, Refused
from transition.models import AuditEvent, Phase
from transition.playbooks import load_playbook
from transition.services import engagements, gates, systems, tasks
from transition.services.common import get_engagement


@pytest.fixture
def small(session_scope, tmp_path, clock, monkeypatch) -> str:
    clock.pin(today="2026-11-10")
    path = write_small(tmp_path)
    with session_scope() as s:
        eng = engagements.create(
            s,
            name="Small Co",
            playbook=load_playbook(path),
            raw=path.read_bytes(),
            start=date(2026, 11, 2),
        )
        return eng.slug


def _phase(session, slug: str, key: str) -> Phase:
    eng = get_engagement(session, slug)
    return session.execute(
        select(Phase).where(Phase.engagement_id == eng.id, Phase.key == key)
    ).scalar_one()


def _audit_count(session) -> int:
    return session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def _finish_discovery(session_scope, slug: str) -> None:
    with session_scope() as s:
        eng = get_engagement(s, slug)
        for key in ("kickoff", "inventory"):
            tasks.set_status(s, eng, key, "done")
        tasks.set_status(s, eng, "risks", "skipped")
        systems.add(s, eng, "Service Desk", tier=1)


def test_status_judges_every_criterion_with_a_reason(session_scope, small):
    with session_scope() as s:
        data = gates.status(s, small)  # the engagement by the user's name
    assert data.current_phase == "discovery"
    first = data.phases[0]
    assert first.gate_met is False
    assert [r.model_dump() for r in first.gate] == [
        {
            "criterion": "tasks_done",
            "name": "tasks_done",
            "met": False,
            "reason": "3 of 3 tasks open: kickoff, inventory, risks",
        },
        {
            "criterion": "systems_registered",
            "name": "systems_registered",
            "met": False,
            "reason": "no system registered yet",
        },
    ]
    _finish_discovery(session_scope, small)
    with session_scope() as s:
        first = gates.status(s, get_engagement(s, small)).phases[0]
    assert first.gate_met is True
    assert [(r.met, r.reason) for r in first.gate] == [
        (True, "all 3 tasks done or skipped"),
        (True, "1 system(s) registered"),
    ]


def test_advance_is_refused_listing_each_unmet_criterion(session_scope, small, db_url):
    with session_scope() as s:
        eng = get_engagement(s, small)
        tasks.set_status(s, eng, "kickoff", "done")
    before = dump(db_url)
    with session_scope() as s, pytest.raises(Refused) as info:
        gates.advance(s, get_engagement(s, small))
    assert info.value.exit_code == 1
    assert info.value.message == "gate of phase 'discovery' not met: 2 of 2 criteria unmet"
    assert info.value.details[:2] == [
        "unmet: tasks_done: 2 of 3 tasks open: inventory, risks",
        "unmet: systems_registered: no system registered yet",
    ]
    assert dump(db_url) == before


def test_override_records_the_reason(session_scope, small, monkeypatch):
    with session_scope(actor="maria") as s:
        before = _audit_count(s)
        result = gates.advance(
            s, get_engagement(s, small), override="Steering committee accepted the risk"
        )
    assert result.left == "discovery" and result.entered == "ramp-up"
    assert result.decision == "overridden"
    assert [u.name for u in result.unmet] == ["tasks_done", "systems_registered"]
    with session_scope() as s:
        done, following = _phase(s, small, "discovery"), _phase(s, small, "ramp-up")
        assert (done.status, done.gate_decision, done.gate_decided_by) == (
            "done",
            "overridden",
            "maria",
        )
        assert done.gate_reason == "Steering committee accepted the risk"
        assert done.actual_end == date(2026, 11, 10)
        assert (following.status, following.actual_start) == ("active", date(2026, 11, 10))
        events = s.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.field, AuditEvent.after)
            .where(AuditEvent.entity == "phase")
            .order_by(AuditEvent.id)
        ).all()
        assert _audit_count(s) > before
    assert ("maria", "advance", "gate_decision", "overridden") in events
    assert ("maria", "advance", "gate_reason", "Steering committee accepted the risk") in events
    assert ("maria", "advance", "status", "active") in events


def test_a_met_gate_passes_without_override(session_scope, small):
    _finish_discovery(session_scope, small)
    with session_scope() as s:
        result = gates.advance(s, get_engagement(s, small))
    assert (result.decision, result.unmet, result.reason) == ("passed", [], None)
    with session_scope() as s:
        phase = _phase(s, small, "discovery")
        assert (phase.gate_decision, phase.gate_reason) == ("passed", None)


@pytest.mark.parametrize(
    "reason, message",
    [
        ("   ", "an override needs a written reason"),
        ("", "an override needs a written reason"),
        ("agreed, password: hunter2", "looks like it contains a password"),
    ],
)
def test_override_needs_a_clean_written_reason(session_scope, small, db_url, reason, message):
    before = dump(db_url)
    with session_scope() as s, pytest.raises(BadInput, match=message):
        gates.advance(s, get_engagement(s, small), override=reason)
    assert dump(db_url) == before


def test_walking_every_phase_completes_the_engagement(session_scope, small):
    for _ in range(3):
        with session_scope() as s:
            gates.advance(s, get_engagement(s, small), override="test walk-through")
    with session_scope() as s:
        eng = get_engagement(s, small)
        assert eng.status == "completed"
        data = gates.status(s, eng)
        assert data.current_phase is None and data.active() is None
        assert [p.status for p in data.phases] == ["done", "done", "done"]
    with session_scope() as s, pytest.raises(Refused, match="no active phase"):
        gates.advance(s, get_engagement(s, small), override="again")


def test_later_criteria_explain_what_is_missing(session_scope, acme):
    with session_scope() as s:
        data = gates.status(s, get_engagement(s, acme))
    reasons = {(p.key, r.name): (r.met, r.reason) for p in data.phases for r in p.gate}
    assert reasons[("access-setup", "access_provisioned")] == (
        False,
        "no provider person registered",
    )
    assert reasons[("ramp-up", "kt_coverage")] == (False, "no system in scope to cover")
    assert reasons[("parallel-run", "runbooks_accepted")] == (False, "no system in scope")


# --- the command line --------------------------------------------------------------------


def test_cli_advance_refused_exit_1_with_each_unmet_criterion(cli, acme, db_url):
    before = dump(db_url)
    result = cli("phase", "advance", acme)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert all(line.startswith("error: ") for line in lines)
    assert lines[0] == "error: gate of phase 'discovery' not met: 2 of 2 criteria unmet"
    assert lines[1].startswith("error: unmet: tasks_done: 11 of 11 tasks open: kickoff-workshop")
    assert lines[2] == "error: unmet: systems_registered: no system registered yet"
    assert "Traceback" not in result.stderr
    assert dump(db_url) == before


def test_cli_override_then_audit(cli, acme, clock):
    clock.pin(today="2026-12-01")  # the replan starts today
    result = cli("--actor", "Maria Lopez", "phase", "advance", acme, "--override", "CAB approved")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "advanced discovery → access-setup (gate overridden: CAB approved)\n"
        "replanned from 2026-12-01 (8 day(s) later): access-setup, ramp-up, parallel-run, "
        "cutover, hypercare; 42 open task(s) moved\n"
    )
    status = cli("phase", "status", acme, "--json").json()
    first = status["phases"][0]
    assert (first["gate_decision"], first["gate_reason"], first["gate_decided_by"]) == (
        "overridden",
        "CAB approved",
        "Maria Lopez",
    )
    assert status["current_phase"] == "access-setup"
    events = cli("audit", acme, "--json").json()
    assert {
        "actor": "Maria Lopez",
        "action": "advance",
        "entity": "phase",
        "field": "gate_reason",
        "before": None,
        "after": "CAB approved",
    }.items() <= next(e for e in events if e["field"] == "gate_reason").items()
    text = cli("phase", "status", acme)
    assert "gate overridden by Maria Lopez: CAB approved" in text.stdout


def test_cli_phase_status_json_shape(cli, acme):
    result = cli("phase", "status", "Acme HELPDESK", "--json")
    assert result.exit_code == 0 and result.stderr == ""
    data = result.json()
    assert set(data) >= {"engagement", "status", "current_phase", "phases", "key_person_risks"}
    assert data["engagement"] == acme and isinstance(data["key_person_risks"], list)
    phase = data["phases"][0]
    types = {
        "key": str, "title": str, "position": int, "status": str, "planned_start": str,
        "planned_end": str, "tasks_total": int, "tasks_open": int, "gate_met": bool,
        "gate": list, "version": int,
    }  # fmt: skip
    for key, kind in types.items():
        assert isinstance(phase[key], kind), key
    for key in ("actual_end", "gate_decision", "gate_decided_by", "gate_decided_at"):
        assert key in phase and phase[key] is None
    for result in phase["gate"]:
        assert set(result) == {"criterion", "name", "met", "reason"}
        assert isinstance(result["met"], bool) and result["reason"]


def test_cli_passing_gate(cli, acme, session_scope):
    with session_scope() as s:
        eng = get_engagement(s, acme)
        for row in tasks.list_tasks(s, eng, phase="discovery"):
            tasks.set_status(s, eng, row.key, "skipped")
    assert cli("system", "add", acme, "Service Desk", "--tier", "1").exit_code == 0
    result = cli("phase", "advance", acme)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("advanced discovery → access-setup (gate passed)\n")


@pytest.mark.parametrize(
    "override, error",
    [(None, Refused), ("", BadInput), ("  ", BadInput), ("ok, password: hunter2", BadInput)],
)
def test_advance_errors_are_about_the_override_argument(session_scope, small, override, error):
    """A form shows them beside the override reason, whatever their words."""
    with session_scope() as s, pytest.raises(error) as info:
        gates.advance(s, small, override=override)
    assert info.value.field == "override"


def test_the_gate_ahead_and_the_display_order(session_scope, small):
    with session_scope() as s:
        gate = gates.ahead(s, small)
        steps = gates.steps(s, small)
    assert (gate.engagement, gate.phase.key, gate.next.key) == (small, "discovery", "ramp-up")
    assert [c.name for c in gate.phase.gate] == ["tasks_done", "systems_registered"]
    assert [(p.key, p.status, p.tasks_open, p.tasks_total) for p in steps] == [
        ("discovery", "active", 3, 3),
        ("ramp-up", "pending", 1, 1),
        ("cutover", "pending", 1, 1),
    ]
    assert gates.phase_order(steps) == ["discovery", "ramp-up", "cutover"]
    with session_scope() as s:
        eng = get_engagement(s, small)
        tasks.set_status(s, eng, "kickoff", "done")
        result = gates.advance(s, eng, override="moving on")
    assert (result.left, result.entered, result.decision) == ("discovery", "ramp-up", "overridden")
    with session_scope() as s:
        gate = gates.ahead(s, small)
        status = gates.status(s, small)
    assert (gate.phase.key, gate.next.key) == ("ramp-up", "cutover")
    assert gates.phase_order(status.phases) == ["ramp-up", "cutover", "discovery"]
    assert status.phases[0].tasks_open == 2
    for _ in range(2):
        with session_scope() as s:
            gates.advance(s, small, override="walk through")
    with session_scope() as s:
        gate = gates.ahead(s, small)
        steps = gates.steps(s, small)
    assert (gate.phase, gate.next) == (None, None)
    assert gates.phase_order(steps) == ["discovery", "ramp-up", "cutover"]


def test_key_person_risks_become_read_models(session_scope, small, monkeypatch):
    """Whatever ``kt.key_person_risks`` hands over (mappings or read models)."""
    from transition.services import kt

    risk = {
        "system": "Mail",
        "presenters": ["Ann"],
        "release_date": date(2026, 11, 20),
        "days_left": 10,
        "missing": ["runbook"],
        "reason": "Ann leaves in 10 days",
    }
    monkeypatch.setattr(kt, "key_person_risks", lambda session, engagement: [risk])
    with session_scope() as s:
        (got,) = gates.status(s, small).key_person_risks
    assert got.model_dump() == risk


@pytest.mark.parametrize("book", ["small", "acme"])
def test_the_gate_ahead_is_judged_as_the_whole_status_judges_it(session_scope, request, book):
    """``ahead`` (the dashboard, the TUI's gate dialog) reads only what the phase in
    progress and the next one ask for (the shipped playbook's gates ask for KT coverage
    and access in some phases only), and judges them as ``phase status`` does, phase
    after phase."""
    small = request.getfixturevalue(book)
    for _ in range(8):
        with session_scope(write=False) as s:
            whole = gates.status(s, small)
            near = gates.ahead(s, small)
        active = whole.active()
        assert near.phase == active
        after = [p for p in whole.phases if active and p.position == active.position + 1]
        assert near.next == (after[0] if after else None)
        if active is None:
            break
        _finish_phase(session_scope, small, active.key)


def _finish_phase(session_scope, slug: str, key: str) -> None:
    with session_scope() as s:
        for task in tasks.list_tasks(s, slug):
            if task.phase == key and task.status not in ("done", "skipped"):
                tasks.set_status(s, slug, task.key, "done")
        gates.advance(s, slug, override="moving on to check the next gate")


def test_stored_parts_read_what_the_whole_playbook_says():
    """Gates and topics read the runbooks each tier requires, and the KPIs, off the stored
    playbook without its phases; they agree with the whole playbook."""
    from transition.playbook_stored import parts_of
    from transition.playbooks import from_json, playbook_names, resolve_playbook

    for name in playbook_names():
        playbook, _raw, _path = resolve_playbook(name)
        text = playbook.model_dump_json()
        parts, whole = parts_of(text), from_json(text)
        assert parts.scorecard == whole.scorecard
        for tier in (1, 2, 3):
            assert parts.required_runbooks(tier) == whole.required_runbooks(tier)
