"""``transition demo``: a realistic sample, deterministic under TRANSITION_TODAY."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from transition.cli.main import app

TODAY = "2026-11-23"


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSITION_TODAY", TODAY)


def test_demo_loads_once_and_tells_a_consistent_story(cli) -> None:
    first = cli("demo", "--no-tui")
    assert first.exit_code == 0, first.stderr
    assert (
        "loaded the demo engagements northwind-service-desk, tailspin-mobile-app, wingtip-payroll"
        in first.stdout
    )
    again = cli("demo", "--no-tui")
    assert again.exit_code == 0 and "already in" in again.stdout

    rows = {e["slug"]: e for e in cli("engagement", "list", "--json").json()}
    assert set(rows) == {"northwind-service-desk", "tailspin-mobile-app", "wingtip-payroll"}
    assert rows["wingtip-payroll"]["current_phase"] == "cutover"
    gate = cli("phase", "status", "wingtip-payroll", "--json").json()["phases"][4]["gate"]
    assert {c["name"]: c["met"] for c in gate} == {
        "tasks_done": False,
        "exercises": True,
        "go_decision": True,
    }
    assert cli("golive", "show", "wingtip-payroll", "--json").json()["latest"]["decision"] == "go"
    held = cli("exercise", "list", "northwind-service-desk", "--json").json()
    assert [(e["key"], e["held"], len(e["findings"])) for e in held] == [
        ("key-person-departure", True, 1)
    ]
    nw = rows["northwind-service-desk"]
    assert nw["current_phase"] == "ramp-up" and nw["start_date"] == "2026-10-05"
    assert nw["tasks_overdue"] >= 1 and nw["tasks_blocked"] >= 1
    assert rows["tailspin-mobile-app"]["model"] == "dedicated-team"

    phases = cli("phase", "status", "northwind-service-desk", "--json").json()
    decisions = {p["key"]: p["gate_decision"] for p in phases["phases"]}
    assert decisions["discovery"] == "passed" and decisions["access-setup"] == "overridden"
    risks = phases["key_person_risks"]
    assert [r["system"] for r in risks] == ["SAP ERP"]
    assert risks[0]["presenters"] == ["Sofia Novak"] and 0 <= risks[0]["days_left"] <= 14

    people = cli("person", "list", "northwind-service-desk", "--json").json()
    assert 10 <= len(people) <= 14
    assert {p["side"] for p in people} == {"client", "incumbent", "provider"}
    tiers = [s["tier"] for s in cli("system", "list", "northwind-service-desk", "--json").json()]
    assert 6 <= len(tiers) <= 8 and set(tiers) == {1, 2, 3}

    statuses = {t["status"] for t in cli("task", "list", "northwind-service-desk", "--json").json()}
    assert {"done", "in_progress", "blocked", "todo"} <= statuses

    expiring = cli("access", "list", "northwind-service-desk", "--expiring", "14", "--json").json()
    assert len(expiring) >= 2
    findings = cli("access", "review", "northwind-service-desk", "--json").json()
    assert any(f["severity"] == "high" and "justification" in f["message"] for f in findings)

    kt = cli("kt", "list", "northwind-service-desk", "--json").json()
    assert {s["status"] for s in kt} == {"planned", "held", "signed_off"}
    runbooks = cli("runbook", "list", "northwind-service-desk", "--json").json()
    assert {r["status"] for r in runbooks} == {"drafted", "reviewed", "validated", "accepted"}
    items = cli("handover", "show", "northwind-service-desk", "--json").json()
    assert sum(1 for i in items if i["status"] == "done") == 2

    # Tailspin's incumbent has notice and exit dates: items due, some overdue, a readiness.
    ts = cli("engagement", "show", "tailspin-mobile-app", "--json").json()
    assert ts["notice_date"] < ts["start_date"] < ts["exit_date"]
    items = cli("handover", "show", "tailspin-mobile-app", "--json").json()
    assert any(i["overdue"] for i in items)
    assert any(i["status"] == "done" and i["due_date"] for i in items)
    shown = cli("handover", "show", "tailspin-mobile-app").stdout
    assert "OVERDUE" in shown and "exit readiness: 1 of " in shown
    # Wingtip's runbook is validated by a pass during its parallel run, then accepted.
    (payroll,) = cli("runbook", "list", "wingtip-payroll", "--json").json()
    assert payroll["status"] == "accepted" and payroll["passed_in_parallel_run"]
    assert payroll["accepted_by"] == "Tomás Ruiz" and payroll["warning"] is None


def test_demo_is_deterministic_for_a_pinned_day(tmp_path: Path) -> None:
    def snapshot(name: str) -> list:
        url = f"sqlite:///{tmp_path / name}"
        runner = CliRunner()
        assert runner.invoke(app, ["--db", url, "demo", "--no-tui"]).exit_code == 0
        out = runner.invoke(app, ["--db", url, "task", "list", "northwind-service-desk", "--json"])
        import json

        return [
            (t["key"], t["status"], t["due_date"], t["assignee"], (t["completed_at"] or "")[:10])
            for t in json.loads(out.stdout)
        ]

    assert snapshot("a.db") == snapshot("b.db")


def test_demo_defaults_to_its_own_database(tmp_path: Path) -> None:
    from transition import db, dburl

    result = CliRunner().invoke(app, ["demo", "--no-tui"])
    assert result.exit_code == 0, result.stderr
    demo_file = Path(dburl.demo_url().removeprefix("sqlite:///"))
    assert demo_file.is_file() and str(demo_file) in result.stdout
    default_file = Path(dburl.default_url().removeprefix("sqlite:///"))
    assert not default_file.exists()
    db.reset_engines()


def test_demo_releases_one_incumbent_on_an_override_and_moves_another(cli) -> None:
    assert cli("demo", "--no-tui").exit_code == 0
    (lucas,) = cli("person", "readiness", "tailspin-mobile-app", "--json").json()
    assert lucas["person"] == "lucas-moreau" and lucas["state"] == "released"
    assert lucas["release_override"].startswith("Contract ended early")
    assert lucas["topics"] and lucas["grants"] == []  # released with KT not signed off
    people = {p["slug"]: p for p in cli("person", "list", "tailspin-mobile-app", "--json").json()}
    assert people["omar-haddad"]["side"] == "provider"
    grants = cli("access", "list", "tailspin-mobile-app", "--json").json()
    by_person = {g["person"]: g["status"] for g in grants}
    assert by_person["Lucas Moreau"] == "revoked" and by_person["Omar Haddad"] == "active"
    items = cli("handover", "show", "tailspin-mobile-app", "--json").json()
    assert any(i["status"] == "resolved" and "Lucas Moreau" in i["title"] for i in items)
    verified = cli("audit", "tailspin-mobile-app", "--verify", "--json").json()
    assert verified["problems"] == []


def test_demo_meetings_follow_the_plan_its_story_backdated(cli, session_scope) -> None:
    """The demo moves its phases to the days its story says; the cadence's meetings
    follow, as after any re-plan: none the plan wants is left dropped, and a past weekly
    review is there, held."""
    from transition.services import meetings

    assert cli("demo", "--no-tui").exit_code == 0
    for slug in ("northwind-service-desk", "tailspin-mobile-app", "wingtip-payroll"):
        with session_scope() as s:
            changed = meetings.sync(s, slug)
            s.rollback()
        assert (changed.added, changed.moved, changed.dropped, changed.restored) == (0, 0, 0, 0)
    listed = cli("meeting", "list", "northwind-service-desk", "--json").json()
    past = [m for m in listed if m["starts_at"] < f"{TODAY}T00:00"]
    assert any(m["cadence"] == "weekly-ops" and m["status"] == "held" for m in past)
