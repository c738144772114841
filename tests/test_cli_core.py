"""The core command line: exit codes, `error:` lines, JSON shapes, the actor, and a database
left exactly as it was by any bad input."""

from __future__ import annotations

import json

import pytest

from tests.core_books import SMALL
from tests.safety import assert_clean_error, dump, run_cli


def _error_lines(result) -> list[str]:
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("error: ") for line in lines), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return lines


BAD_PLAYBOOK = SMALL.replace("duration: 2w", "duration: fortnight")


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["engagement", "new", "Other", "--playbook", "{bad}"],
            "{bad}:7:15: phases[0].duration: invalid duration 'fortnight'",
        ),
        (
            ["engagement", "new", "Other", "--playbook", "{missing}"],
            "playbook file {missing} not found",
        ),
        (
            ["engagement", "new", "Other", "--playbook", "nonesuch"],
            "unknown playbook 'nonesuch' (known: ",
        ),
        (
            ["engagement", "new", "Other", "--playbook", "managed-service-onboarding", "--start", "2026-02-30"],
            "invalid start date '2026-02-30': expected an ISO date such as 2026-12-01",
        ),
        (
            ["engagement", "new", "Other", "--playbook", "managed-service-onboarding", "--model", "x"],
            "invalid engagement model 'x'",
        ),
        (["engagement", "show", "Nobody Inc"], "unknown engagement 'Nobody Inc'"),
        (["phase", "status", "nobody"], "unknown engagement 'nobody'"),
        (["phase", "advance", "nobody", "--override", "why"], "unknown engagement 'nobody'"),
        (["task", "list", "nobody", "--json"], "unknown engagement 'nobody'"),
        (["task", "done", "nobody", "kickoff-workshop"], "unknown engagement 'nobody'"),
        (["system", "list", "nobody", "--json"], "unknown engagement 'nobody'"),
        (["system", "add", "acme-helpdesk", "CRM", "--tier", "5"], "invalid tier '5'"),
        (["person", "list", "nobody"], "unknown engagement 'nobody'"),
        (
            ["person", "add", "acme-helpdesk", "Ann", "--side", "provider", "--release", "2026-13-01"],
            "invalid release date '2026-13-01'",
        ),
        (["person", "add", "acme-helpdesk", "Ann", "--side", "vendor"], "invalid side 'vendor'"),
        (
            ["person", "add", "acme-helpdesk", "Ann", "--side", "client", "--email", "ann"],
            "invalid email address 'ann'",
        ),
        (["audit", "nobody", "--json"], "unknown engagement 'nobody'"),
        (["task", "list", "acme-helpdesk", "--status", "late"], "invalid task status 'late'"),
        (["task", "frobnicate"], "No such command 'frobnicate'"),
        (["engagement", "new", "X"], "Missing option '--playbook'"),
    ],
)  # fmt: skip
def test_bad_input_is_one_error_exit_2_and_nothing_changes(
    cli, acme, db_url, tmp_path, args, message
):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_PLAYBOOK, encoding="utf-8")
    paths = {"bad": bad, "missing": tmp_path / "missing.yaml"}
    args = [a.format(**paths) for a in args]
    before = dump(db_url)
    result = cli(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = _error_lines(result)
    assert len(lines) == 1, lines
    assert message.format(**paths) in lines[0]
    assert result.stdout == ""
    assert dump(db_url) == before


@pytest.mark.parametrize(
    "args, message",
    [
        (["phase", "advance", "acme-helpdesk"], "gate of phase 'discovery' not met"),
        (["task", "done", "acme-helpdesk", "stakeholder-map"], "depends on open task(s)"),
        (
            ["engagement", "new", "ACME Helpdesk", "--playbook", "managed-service-onboarding"],
            "already exists",
        ),
        (["system", "add", "acme-helpdesk", "service desk"], "already exists"),
        (["person", "add", "acme-helpdesk", "ann lee", "--side", "client"], "already exists"),
    ],
)
def test_refusals_exit_1_and_change_nothing(cli, acme, db_url, args, message):
    assert cli("system", "add", acme, "Service Desk").exit_code == 0
    assert cli("person", "add", acme, "Ann Lee", "--side", "provider").exit_code == 0
    before = dump(db_url)
    result = cli(*args)
    assert result.exit_code == 1, result.stderr
    assert message in _error_lines(result)[0]
    assert dump(db_url) == before


def test_a_real_process_prints_no_traceback(db_url):
    result = run_cli("--db", db_url, "engagement", "new", "X", "--playbook", "ms", "--start", "x")
    assert_clean_error(result, 2)
    assert result.stderr.count("\n") == 1


def test_actor_is_recorded_in_the_audit_log(cli, acme, monkeypatch):
    assert cli("--actor", "Jo Bloggs", "system", "add", acme, "CRM", "--tier", "1").exit_code == 0
    monkeypatch.setenv("TRANSITION_ACTOR", "env-actor")
    assert cli("task", "done", acme, "kickoff-workshop").exit_code == 0
    events = cli("audit", acme, "--json").json()
    assert events[0]["actor"] == "tester"  # the engagement was created by the fixture
    assert any(e["entity"] == "system" and e["actor"] == "Jo Bloggs" for e in events)
    assert any(e["entity"] == "task" and e["actor"] == "env-actor" for e in events)


def test_audit_json_shape_and_text(cli, acme):
    cli("task", "set", acme, "kickoff-workshop", "--status", "in_progress")
    result = cli("audit", acme, "--json")
    assert result.exit_code == 0 and result.stderr == ""
    events = result.json()
    assert isinstance(events, list) and len(events) >= 2
    ids = [e["id"] for e in events]
    assert ids == sorted(ids)
    for event in events:
        assert set(event) >= {
            "id", "at", "actor", "action", "entity", "entity_id", "field", "before", "after"
        }  # fmt: skip
        assert isinstance(event["id"], int) and isinstance(event["at"], str)
    last = events[-1]
    assert (last["entity"], last["field"], last["before"], last["after"]) == (
        "task",
        "status",
        "todo",
        "in_progress",
    )
    newest = cli("audit", acme, "--json", "--limit", "1").json()
    assert newest == [last]
    text = cli("audit", acme)
    assert text.exit_code == 0 and "in_progress" in text.stdout


def test_system_list_json_shape(cli, acme):
    assert cli("system", "add", acme, "Service Desk", "--tier", "1").exit_code == 0
    assert cli("system", "add", "acme HELPDESK", "Billing", "--tier", "3").exit_code == 0
    result = cli("system", "list", acme, "--json")
    assert result.exit_code == 0 and result.stderr == ""
    rows = result.json()
    assert [r["slug"] for r in rows] == ["service-desk", "billing"]  # by tier
    types = {
        "name": str, "slug": str, "tier": int, "runbooks_total": int,
        "runbooks_required": int, "runbooks_accepted": int, "runbooks_missing": list,
        "access_active": int, "kt_signed_off": list, "kt_open": int, "kt_missing": list,
        "ready": bool, "key_person_risk": bool, "version": int,
    }  # fmt: skip
    for key, kind in types.items():
        assert isinstance(rows[0][key], kind), key
    assert rows[0]["runbooks_required"] == 6  # four for everyone, two more for tier 1
    assert rows[1]["runbooks_required"] == 4
    assert rows[0]["ready"] is False
    empty = cli("system", "list", acme, "--json")
    assert empty.exit_code == 0
    text = cli("system", "list", acme)
    assert "service-desk" in text.stdout


def test_person_list_json_shape(cli, acme):
    result = cli(
        "person", "add", acme, "Ann Lee", "--side", "incumbent", "--email", "ann@old.example",
        "--role", "DBA", "--release", "2027-01-31",
    )  # fmt: skip
    assert (result.exit_code, result.stdout) == (0, "added incumbent person ann-lee\n")
    cli("person", "add", acme, "Bo", "--side", "provider")
    rows = cli("person", "list", acme, "--json").json()
    assert [r["slug"] for r in rows] == ["ann-lee", "bo"]
    assert rows[0] == {
        "id": rows[0]["id"],
        "name": "Ann Lee",
        "slug": "ann-lee",
        "side": "incumbent",
        "email": "ann@old.example",
        "role": "DBA",
        "release_date": "2027-01-31",
        "timezone": None,
        "version": 1,
    }
    assert isinstance(rows[0]["id"], int)
    assert rows[1]["email"] is None and rows[1]["release_date"] is None


def test_empty_lists_are_empty_json(cli, acme):
    for args in (("system", "list", acme), ("person", "list", acme)):
        result = cli(*args, "--json")
        assert (result.exit_code, result.json()) == (0, [])
        text = cli(*args)
        assert text.exit_code == 0 and text.stdout.startswith("no ")


def test_json_output_is_only_json(cli, acme):
    for args in (
        ("engagement", "list"),
        ("engagement", "show", acme),
        ("phase", "status", acme),
        ("task", "list", acme),
        ("system", "list", acme),
        ("person", "list", acme),
        ("playbook", "list"),
        ("playbook", "show", "dedicated-team-onboarding"),
        ("audit", acme),
    ):
        result = cli(*args, "--json")
        assert result.exit_code == 0, (args, result.stderr)
        json.loads(result.stdout)
        assert result.stderr == ""


def test_help_and_no_subcommand(offline_cli):
    result = offline_cli("--help")
    assert result.exit_code == 0
    for name in ("init", "playbook", "engagement", "phase", "task", "system", "person", "audit"):
        assert f"\n  {name} " in result.stdout
    group = offline_cli("task")
    assert group.exit_code in (0, 2) and "list" in group.stdout
