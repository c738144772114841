"""Engagements: started from a playbook with real dates, found by slug, listed with progress."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.core_books import SMALL, write_small
from transition.errors import BadInput, NotFound, Refused
from transition.models import AuditEvent, Engagement, Phase, Task, TaskDependency
from transition.playbooks import content_hash, load_playbook, resolve_playbook
from transition.services import engagements
from transition.services.common import get_engagement
from transition.services.plan import phase_end, task_due
from transition.workdays import Calendar


@pytest.fixture
def small(tmp_path):
    return write_small(tmp_path)


def start(session_scope, path, name="Small Co", start=date(2026, 11, 2), **extra):
    pb = load_playbook(path)
    with session_scope() as s:
        eng = engagements.create(
            s, name=name, playbook=pb, raw=path.read_bytes(), start=start, **extra
        )
        return eng.slug


def test_phases_are_laid_end_to_end_from_the_start(session_scope, small):
    slug = start(session_scope, small)
    with session_scope() as s:
        eng = get_engagement(s, slug)
        phases = s.execute(
            select(
                Phase.key, Phase.status, Phase.planned_start, Phase.planned_end, Phase.actual_start
            )
            .where(Phase.engagement_id == eng.id)
            .order_by(Phase.position)
        ).all()
    assert [tuple(p) for p in phases] == [
        ("discovery", "active", date(2026, 11, 2), date(2026, 11, 16), date(2026, 11, 2)),
        ("ramp-up", "pending", date(2026, 11, 16), date(2026, 11, 26), None),
        ("cutover", "pending", date(2026, 11, 26), date(2026, 12, 3), None),
    ]


def test_task_due_is_phase_start_plus_offset(session_scope, small):
    slug = start(session_scope, small)
    with session_scope() as s:
        eng = get_engagement(s, slug)
        due = dict(
            s.execute(select(Task.key, Task.due_date).where(Task.engagement_id == eng.id)).all()
        )
    assert due == {
        "kickoff": date(2026, 11, 5),  # +3d
        "inventory": date(2026, 11, 9),  # +1w
        "risks": date(2026, 11, 16),  # 2w = 14 days
        "shadowing": date(2026, 11, 18),  # ramp-up starts 11-16, +2d
        "go-no-go": date(2026, 11, 26),  # no offset: the phase's first day
    }


def test_shipped_playbook_dates_follow_its_offsets(session_scope):
    pb, raw, _ = resolve_playbook("managed-service-onboarding")
    with session_scope() as s:
        eng = engagements.create(s, name="Acme", playbook=pb, raw=raw, start=date(2026, 1, 5))
        rows = s.execute(
            select(Task.key, Task.due_date, Phase.key, Phase.planned_start, Phase.planned_end)
            .join(Phase, Phase.id == Task.phase_id)
            .where(Task.engagement_id == eng.id)
        ).all()
    specs = {t.key: (p, t) for p, t in pb.tasks()}
    assert len(rows) == len(specs) >= 30
    phase_start = date(2026, 1, 5)
    starts = {}
    for phase in pb.phases:
        starts[phase.key] = phase_start
        phase_start = phase_end(Calendar(), phase_start, phase.span)
    for key, due, phase_key, planned_start, planned_end in rows:
        phase, task = specs[key]
        assert phase_key == phase.key
        assert planned_start == starts[phase.key]
        assert planned_end == phase_end(Calendar(), planned_start, phase.duration)
        assert due == task_due(Calendar(), planned_start, task.due)


def test_dependencies_are_instantiated(session_scope, small):
    slug = start(session_scope, small)
    with session_scope() as s:
        eng = get_engagement(s, slug)
        ids = dict(s.execute(select(Task.id, Task.key).where(Task.engagement_id == eng.id)).all())
        edges = {
            (ids[a], ids[b])
            for a, b in s.execute(select(TaskDependency.task_id, TaskDependency.depends_on_id))
        }
    assert edges == {
        ("inventory", "kickoff"),
        ("shadowing", "inventory"),
        ("shadowing", "risks"),
        ("go-no-go", "shadowing"),
    }


def test_engagement_remembers_its_playbook(session_scope, small):
    slug = start(session_scope, small)
    with session_scope() as s:
        eng = get_engagement(s, slug)
        assert (eng.playbook_name, eng.playbook_version) == ("small", 3)
        assert eng.playbook_hash == content_hash(SMALL.encode())
        assert eng.created_by == "tester"
        events = s.execute(
            select(AuditEvent.action, AuditEvent.entity, AuditEvent.after).where(
                AuditEvent.engagement_id == eng.id, AuditEvent.entity == "engagement"
            )
        ).all()
    assert ("create", "engagement", f"small v3 ({eng.playbook_hash[:12]})") in [
        tuple(e) for e in events
    ]


def test_default_start_is_today(session_scope, small, clock, monkeypatch):
    clock.pin(today="2027-03-01")
    slug = start(session_scope, small, start=None)
    with session_scope() as s:
        assert get_engagement(s, slug).start_date == date(2027, 3, 1)


def test_names_match_case_insensitively_on_slug(session_scope, small):
    slug = start(session_scope, small, name="ACME Helpdesk")
    assert slug == "acme-helpdesk"
    with session_scope() as s:
        for name in ("acme-helpdesk", "Acme Helpdesk", "  acme   HELPDESK ", "acme_helpdesk"):
            assert get_engagement(s, name).slug == "acme-helpdesk"
        with pytest.raises(NotFound, match="unknown engagement 'acme'"):
            get_engagement(s, "acme")


def test_duplicate_engagement_is_refused(session_scope, small):
    start(session_scope, small, name="Acme Helpdesk")
    with pytest.raises(Refused, match="already exists"):
        start(session_scope, small, name="acme helpdesk")
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Engagement)).scalar_one() == 1


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"model": "outsourcing"}, "invalid engagement model"),
        ({"location": "moon"}, "invalid location"),
        ({"name": "   "}, "must not be empty"),
        ({"name": "!!!"}, "has no letters or digits"),
        ({"name": "bad\x07name"}, "control characters"),
    ],
)
def test_bad_values_change_nothing(session_scope, small, extra, message):
    with pytest.raises(BadInput, match=message):
        start(session_scope, small, **{"name": "Fine", **extra})
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Engagement)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(Task)).scalar_one() == 0


def test_model_and_location_are_normalised(session_scope, small):
    slug = start(session_scope, small, model="Staff Augmentation", location="NEARSHORE")
    with session_scope() as s:
        eng = get_engagement(s, slug)
        assert (eng.model, eng.location) == ("staff-augmentation", "nearshore")


def test_summaries_count_progress(session_scope, small, clock, monkeypatch):
    clock.pin(today="2026-11-10")
    slug = start(session_scope, small)
    from transition.services import tasks

    with session_scope() as s:
        eng = get_engagement(s, slug)
        tasks.set_status(s, eng, "kickoff", "done")
        tasks.set_status(s, eng, "risks", "blocked")
    with session_scope() as s:
        (row,) = engagements.summaries(s)
    assert row.tasks_total == 5
    assert row.tasks_done == 1
    assert row.tasks_blocked == 1
    assert row.tasks_overdue == 1  # inventory, due 11-09
    assert row.current_phase == "discovery"
    assert row.cutover_date == date(2026, 11, 26)
    assert row.days_to_cutover == 16


def test_milestones(session_scope, small):
    slug = start(session_scope, small)
    with session_scope() as s:
        eng = get_engagement(s, slug)
        phases = list(
            s.execute(
                select(Phase).where(Phase.engagement_id == eng.id).order_by(Phase.position)
            ).scalars()
        )
    m = engagements.milestone
    assert m(phases, "cutover") == date(2026, 11, 26)
    assert m(phases, "cutover+30d") == date(2026, 11, 26) + timedelta(days=30)
    assert m(phases, "ramp-up.end") == date(2026, 11, 26)
    assert m(phases, "ramp-up.start-1w") == date(2026, 11, 9)
    with pytest.raises(BadInput, match="unknown milestone"):
        m(phases, "golive")
    with pytest.raises(BadInput, match="invalid milestone"):
        m(phases, "cutover+")


# --- the command line --------------------------------------------------------------------


def test_engagement_new_from_a_path_and_list(cli, small, clock, monkeypatch):
    clock.pin(today="2026-11-03")
    result = cli(
        "engagement", "new", "Small Co", "--playbook", small, "--start", "2026-11-02",
        "--client", "Client", "--incumbent", "Old", "--provider", "New",
        "--model", "dedicated-team", "--location", "offshore",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "created engagement small-co from small v3: 3 phases, 5 tasks\n"
    listed = cli("engagement", "list", "--json")
    assert listed.exit_code == 0 and listed.stderr == ""
    (row,) = listed.json()
    expected_types = {
        "name": str, "slug": str, "client": str, "incumbent": str, "provider": str,
        "model": str, "location": str, "start_date": str, "status": str, "playbook": str,
        "playbook_version": int, "playbook_hash": str, "current_phase": str, "phases": list,
        "phase_index": int, "tasks_total": int, "tasks_done": int, "tasks_overdue": int,
        "tasks_blocked": int, "cutover_date": str, "days_to_cutover": int, "version": int,
    }  # fmt: skip
    assert set(row) >= set(expected_types)
    for key, kind in expected_types.items():
        assert isinstance(row[key], kind), key
    assert row["slug"] == "small-co"
    assert (row["model"], row["location"]) == ("dedicated-team", "offshore")
    assert row["start_date"] == "2026-11-02" and row["cutover_date"] == "2026-11-26"
    assert row["days_to_cutover"] == 23
    text = cli("engagement", "list")
    assert text.exit_code == 0 and "small-co" in text.stdout and "0/5" in text.stdout


def test_engagement_list_empty(cli):
    assert cli("engagement", "list", "--json").json() == []
    text = cli("engagement", "list")
    assert text.exit_code == 0 and "no engagements yet" in text.stdout


def test_engagement_show_json(cli, acme):
    result = cli("engagement", "show", "ACME helpdesk", "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["slug"] == acme and data["client"] == "Acme"
    assert [p["key"] for p in data["phases"]] == [
        "discovery", "access-setup", "ramp-up", "parallel-run", "cutover", "hypercare"
    ]  # fmt: skip
    phase = data["phases"][0]
    assert set(phase) == {
        "key", "title", "status", "planned_start", "planned_end", "baseline_start",
        "baseline_end", "slip_days", "actual_start", "actual_end", "gate_decision",
        "tasks_total", "tasks_open",
    }  # fmt: skip
    assert phase["planned_start"] == "2026-11-02" and isinstance(phase["tasks_total"], int)
    text = cli("engagement", "show", acme)
    assert text.exit_code == 0 and "Acme Helpdesk (acme-helpdesk)" in text.stdout


def test_duplicate_engagement_exits_1(cli, acme):
    result = cli("engagement", "new", "acme HELPDESK", "--playbook", "managed-service-onboarding")
    assert result.exit_code == 1
    assert result.stderr == "error: engagement 'acme-helpdesk' already exists\n"


def test_dates_past_year_9999_are_bad_input_not_a_crash(session_scope, tmp_path):
    lines = ["name: long", "title: Long", "phases:"]
    for i in range(60):
        lines += [f"  - key: p{i}", f"    title: Phase {i}", "    duration: 9999w"]
    path = tmp_path / "long.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(BadInput, match="past the last date the tool accepts"):
        start(session_scope, path, start=date(2026, 1, 1))
    with pytest.raises(BadInput, match="past the last date the tool accepts"):
        start(session_scope, write_small(tmp_path), start=date(9999, 12, 1))
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Engagement)).scalar_one() == 0


def test_create_takes_the_playbook_by_name_and_the_start_as_typed(session_scope, clock):
    clock.pin(today="2026-11-10")
    with session_scope() as s:
        eng = engagements.create(
            s, name="Typed Co", playbook="managed-service-onboarding", start="2026-12-01"
        )
        dated = (eng.start_date, eng.model, eng.location, eng.playbook_name)
        undated = engagements.create(s, name="Today Co", playbook="managed-service-onboarding")
        assert undated.start_date == date(2026, 11, 10)
    assert dated == (
        date(2026, 12, 1),
        "managed-service",
        "onshore",
        "managed-service-onboarding",
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": " "}, "name"),
        ({"playbook": "no-such-playbook"}, "playbook"),
        ({"start": "2026-02-30"}, "start"),
        ({"start": "1899-12-31"}, "start"),
        ({"model": "outsourcing"}, "model"),
        ({"location": "moon"}, "location"),
        ({"client": "a\x00b"}, "client"),
    ],
)
def test_create_errors_name_the_argument_they_are_about(session_scope, values, field):
    given = {"name": "Field Co", "playbook": "managed-service-onboarding", **values}
    with pytest.raises(BadInput) as caught, session_scope() as s:
        engagements.create(s, **given)
    assert caught.value.field == field
    with session_scope(write=False) as s:
        assert s.execute(select(func.count()).select_from(Engagement)).scalar_one() == 0


def test_a_duplicate_name_is_refused_about_the_name(session_scope):
    with session_scope() as s:
        engagements.create(s, name="Dup Co", playbook="managed-service-onboarding")
    with pytest.raises(Refused) as caught, session_scope() as s:
        engagements.create(s, name="dup co", playbook="managed-service-onboarding")
    assert caught.value.field == "name"


def test_detail_is_the_list_row_with_its_phases(session_scope, small):
    slug = start(session_scope, small)
    with session_scope(write=False) as s:
        detail = engagements.detail(s, slug)
        (row,) = engagements.summaries(s)
    assert detail.slug == row.slug == slug
    assert [p.key for p in detail.phases] == row.phases == ["discovery", "ramp-up", "cutover"]
