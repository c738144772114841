"""Rules that had holes, each table-driven through a public interface (services with a real
database, or the CLI), on every backend:

- ``access_provisioned`` leaves released provider people out (they should hold no access);
- a grant recorded already expired, or to a released person, is recorded with a warning;
- admin-like roles are matched on words (``sysadmin``, ``dba``, ``sa``…), not substrings;
- reopening a task is refused while a task that depends on it is done;
- ``playbook validate`` reports a checklist or runbook template that does not exist;
- re-importing grants already in force is a refusal (exit 1) naming the lines, unlike a bad
  row (exit 2).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from transition.services import access
from transition.services.common import get_engagement

ENG = "acme-helpdesk"
TODAY = "2026-11-20"


def ok(result) -> None:
    assert result.exit_code == 0, result.stderr


TINY = """\
name: tiny
title: Tiny
phases:
  - key: access-setup
    title: Access setup
    duration: 2w
    tasks:
      - key: first
        title: First
      - key: second
        title: Second
        depends_on: [first]
    gate:
      - access_provisioned
"""


@pytest.fixture
def tiny(tmp_path) -> callable:
    """``tiny(name)``: a new engagement from a one-phase playbook (cheap to start, so each
    case of a table gets its own engagement)."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)

    def start(cli, name: str) -> str:
        ok(cli("engagement", "new", name, "--playbook", str(path), "--start", "2026-11-02"))
        return name.lower()

    return start


# --------------------------------------------------------------- access_provisioned gate

# (provider people: name → release date or None, grants in force: names,
#  grants revoked: names) → met, words expected in the reason
GATE_CASES = [
    ({"Bob": None}, ["Bob"], [], True, "all 1 provider"),
    ({"Bob": None}, [], ["Bob"], False, "no active grant for Bob"),
    # Released and revoked: nothing more is expected of them.
    ({"Bob": None, "Rita": "2026-11-10"}, ["Bob"], ["Rita"], True, "all 1 provider"),
    ({"Bob": None, "Rita": "2026-11-10"}, ["Bob"], [], True, "all 1 provider"),
    # Released on a later date: still here, still needs access.
    ({"Bob": None, "Rita": "2026-12-31"}, ["Bob"], ["Rita"], False, "no active grant for Rita"),
    # Released today: today is their last day, still here.
    ({"Rita": TODAY}, [], ["Rita"], False, "no active grant for Rita"),
    ({"Rita": "2026-11-10"}, [], ["Rita"], False, "every provider person"),
    ({}, [], [], False, "no provider person registered"),
]


def test_access_provisioned_ignores_released_provider_people(cli, tiny, clock, monkeypatch):
    for n, (people, active, revoked, met, reason) in enumerate(GATE_CASES):
        eng = tiny(cli, f"gate{n}")
        ok(cli("system", "add", eng, "CRM"))
        for name, release in people.items():
            extra = ["--release", release] if release else []
            ok(cli("person", "add", eng, name, "--side", "provider", *extra))
        clock.pin(today="2026-11-01")  # before anyone left
        for name in active + revoked:
            ok(cli("access", "grant", eng, "--person", name, "--system", "CRM", "--role",
                   "agent", "--expires", "2027-06-30"))  # fmt: skip
        for grant in cli("access", "list", eng, "--json").json():
            if grant["person"] in revoked:
                ok(cli("access", "revoke", eng, str(grant["id"]), "--reason", "left"))
        clock.pin(today=TODAY)
        status = cli("phase", "status", eng, "--json").json()
        (found,) = [
            c for p in status["phases"] for c in p["gate"] if c["name"] == "access_provisioned"
        ]
        assert found["met"] is met and reason in found["reason"], (n, found)


# --------------------------------------------------------------- grants recorded anyway

# (person's release date, --expires) → warning fragments on stderr (exit 0 in every case)
WARN_CASES = [
    (None, "2027-06-30", []),
    (None, None, []),
    (None, TODAY, []),  # expires today: still in force today
    (None, "2026-11-19", ["expired on 2026-11-19 already"]),
    ("2026-11-19", "2027-06-30", ["was released on 2026-11-19"]),
    (TODAY, "2027-06-30", []),  # leaves today: still here
    ("2026-12-31", "2027-06-30", []),
    ("2026-11-01", "2026-11-02", ["was released on 2026-11-01", "expired on 2026-11-02"]),
]


def test_grants_recorded_expired_or_to_released_people_warn(
    cli, tiny, clock, monkeypatch, tmp_path
):
    clock.pin(today=TODAY)
    for n, (release, expires, warnings) in enumerate(WARN_CASES):
        eng = tiny(cli, f"warn{n}")
        ok(cli("system", "add", eng, "CRM"))
        ok(cli("person", "add", eng, "Rita", "--side", "provider",
               *(["--release", release] if release else [])))  # fmt: skip
        args = ["--expires", expires] if expires else []
        r = cli("access", "grant", eng, "--person", "Rita", "--system", "CRM", "--role", "agent",
                *args)  # fmt: skip
        ok(r)
        lines = [line for line in r.stderr.splitlines() if line]
        assert len(lines) == len(warnings), (n, lines)
        for fragment in warnings:
            assert any(fragment in line for line in lines), (n, fragment, lines)
        assert all(line.startswith("warning: grant #") for line in lines), (n, lines)
        # The same row through the CSV import warns the same, with its line number.
        csv = tmp_path / f"g{n}.csv"
        csv.write_text(
            f"person,system,role,expires,justification\nRita,CRM,reader,{expires or ''},\n"
        )
        r = cli("access", "import", eng, str(csv))
        ok(r)
        lines = [line for line in r.stderr.splitlines() if line]
        assert len(lines) == len(warnings), (n, lines)
        assert all(line.startswith(f"warning: {csv}:2: ") for line in lines), (n, lines)
        assert len(cli("access", "list", eng, "--json").json()) == 2


# --------------------------------------------------------------- admin-like roles

ADMIN_ROLES = [
    "admin", "Administrator", "Domain Admins", "domain_admin", "Global Admin",
    "Global Administrator", "sysadmin", "SysAdmin", "sys-admin", "superadmin",
    "Super User", "superuser", "root", "ROOT access", "owner", "Owners", "db_owner",
    "DbOwner", "DBA", "dba team", "sa", "SA", "sa-account", "sudo", "Tenant Admin",
    "Salesforce Admin", "enterprise admins", "webadmin",
]  # fmt: skip
PLAIN_ROLES = [
    "reader", "operator", "agent", "sales", "Sales Ops", "salesforce-user", "visa-clerk",
    "usage-analyst", "dbadvisor", "Domain Reader", "saas-viewer", "rota", "L2 support",
    "Reporting", "auditor", "essay-writer",
]  # fmt: skip


@pytest.mark.parametrize(
    ("role", "admin"), [(r, True) for r in ADMIN_ROLES] + [(r, False) for r in PLAIN_ROLES]
)
def test_admin_like_roles_are_matched_on_words(role, admin):
    assert access.is_admin_like(role, access.admin_role_words(None)) is admin


@pytest.mark.parametrize(
    ("custom", "role", "admin"),
    [
        ("sa", "sales", False),
        ("sa", "SA", True),
        ("ops", "devops", False),  # short words match whole words only
        ("ops", "DevOps", True),  # camelCase parts are words
        ("operator", "SysOperator", True),  # longer ones also at the end of a word
        ("break-glass", "Break Glass account", True),
        ("break-glass", "glass-break", False),
    ],
)
def test_custom_admin_words_match_the_same_way(role, custom, admin, setting, monkeypatch):
    setting("TRANSITION_ADMIN_ROLES", custom)
    assert access.is_admin_like(role, access.admin_role_words(None)) is admin


def test_review_flags_sysadmin_and_dba_but_not_sales(acme, cli):
    ok(cli("system", "add", acme, "CRM"))
    ok(cli("person", "add", acme, "Bob", "--side", "provider"))
    for role in ("sysadmin", "DBA", "sa", "sales"):
        ok(cli("access", "grant", acme, "--person", "Bob", "--system", "CRM", "--role", role,
               "--expires", "2027-06-30"))  # fmt: skip
    findings = cli("access", "review", acme, "--json").json()
    flagged = {f["role"] for f in findings if f["kind"] == "admin_without_justification"}
    assert flagged == {"sysadmin", "DBA", "sa"}


# --------------------------------------------------------------- reopening a task

# first ← second (depends on it). (second's status, first's new status) → exit code
REOPEN_CASES = [
    ("done", "todo", 1),
    ("done", "in_progress", 1),
    ("done", "blocked", 1),
    ("done", "skipped", 0),  # still closed: the dependent still rests on a closed task
    ("skipped", "todo", 0),
    ("in_progress", "todo", 0),
    ("todo", "blocked", 0),
]


def test_reopening_is_refused_while_a_dependent_task_is_done(cli, tiny):
    for n, (dependent, new, code) in enumerate(REOPEN_CASES):
        eng = tiny(cli, f"reopen{n}")
        ok(cli("task", "done", eng, "first"))
        ok(cli("task", "set", eng, "second", "--status", dependent))
        before = cli("task", "list", eng, "--json").json()
        r = cli("task", "set", eng, "first", "--status", new)
        assert r.exit_code == code, (n, r.stderr)
        if code:
            assert r.stderr.startswith("error: task 'first' cannot be reopened"), r.stderr
            assert "second" in r.stderr
            assert cli("task", "list", eng, "--json").json() == before  # nothing changed
            # Reopening the dependent first, then the task, is the way.
            ok(cli("task", "set", eng, "second", "--status", "todo"))
            ok(cli("task", "set", eng, "first", "--status", new))


# --------------------------------------------------------------- playbook references

SHIPPED = Path(__file__).resolve().parent.parent / "playbooks" / "managed-service-onboarding.yaml"

# (text replaced, replacement, error fragments; none when valid)
REFERENCE_CASES = [
    ("handover: standard-exit", "handover: no-such-exit", ["handover: unknown exit checklist"]),
    ("runbooks: [incident-response,", "runbooks: [incident-responce,",
     ["runbooks[0]: unknown runbook template 'incident-responce'"]),
    ("runbooks: [incident-response,", "runbooks: [my-own-template, incident-response,", []),
    ("runbooks: [incident-response,", "runbooks: [ghost, phantom,",
     ["runbooks[0]: unknown runbook template 'ghost'",
      "runbooks[1]: unknown runbook template 'phantom'"]),
    ("tier_runbooks:\n", "tier_runbooks:\n  3: [nowhere]\n",
     ["tier_runbooks[3][0]: unknown runbook template 'nowhere'"]),
    ("handover: standard-exit", "handover: my-exit", []),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "errors"), REFERENCE_CASES)
def test_playbook_validate_reports_missing_checklists_and_templates(
    tmp_path, setting, monkeypatch, old, new, errors
):
    from typer.testing import CliRunner

    from transition.cli.main import app

    def cli(*args):  # no database needed: one SQLite file, whatever the backends
        return CliRunner().invoke(app, ["--db", f"sqlite:///{tmp_path / 'pb.db'}", *args])

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "my-own-template.md.j2").write_text("# {{ system.name }}\n")
    setting("TRANSITION_TEMPLATES", str(templates))
    playbooks = tmp_path / "books"
    (playbooks / "handover").mkdir(parents=True)
    exit_list = SHIPPED.parent / "handover" / "standard-exit.yaml"
    (playbooks / "handover" / "my-exit.yaml").write_text(
        exit_list.read_text().replace("name: standard-exit", "name: my-exit")
    )
    setting("TRANSITION_PLAYBOOKS", str(playbooks))
    text = SHIPPED.read_text()
    assert old in text
    path = tmp_path / "pb.yaml"
    path.write_text(text.replace(old, new, 1))
    r = cli("playbook", "validate", str(path))
    if not errors:
        assert r.exit_code == 0, r.stderr
        return
    assert r.exit_code == 2, r.stdout
    lines = r.stderr.splitlines()
    assert len(lines) == len(errors), lines
    for line, fragment in zip(lines, errors, strict=True):
        assert line.startswith(f"error: {path}:"), line
        assert fragment in line, (fragment, line)
    # The same file cannot start an engagement (its gate could never be met).
    started = cli("engagement", "new", "Never", "--playbook", str(path))
    assert started.exit_code == 2 and errors[0] in started.stderr


# --------------------------------------------------------------- re-importing grants


def test_reimporting_grants_in_force_is_a_refusal_naming_the_lines(acme, cli, tmp_path):
    ok(cli("system", "add", acme, "CRM"))
    ok(cli("person", "add", acme, "Bob", "--side", "provider"))
    csv = tmp_path / "g.csv"
    csv.write_text(
        "person,system,role,expires,justification\n"
        "Bob,CRM,agent,2027-06-30,triage\n"
        "Bob,CRM,reader,2027-06-30,reports\n"
    )
    ok(cli("access", "import", acme, str(csv)))
    again = cli("access", "import", acme, str(csv))
    assert again.exit_code == 1, again.stderr  # a duplicate is a refusal
    assert again.stderr.splitlines() == [
        f"error: {csv}: 2 row(s) duplicate a grant in force; nothing was imported",
        f"error: {csv}:2: Bob already holds agent on CRM (grant 1)",
        f"error: {csv}:3: Bob already holds reader on CRM (grant 2)",
    ]
    # A file that repeats a row is bad input (exit 2), like any other bad row.
    csv.write_text(
        "person,system,role,expires,justification\n"
        "Bob,CRM,operator,2027-06-30,\n"
        "bob,crm,OPERATOR,2027-06-30,\n"
    )
    twice = cli("access", "import", acme, str(csv))
    assert twice.exit_code == 2 and f"{csv}:3: same person, system and role as line 2" in (
        twice.stderr
    )
    # A bad row makes the file bad input; duplicates of grants in force are listed with it.
    csv.write_text(
        "person,system,role,expires,justification\n"
        "Bob,CRM,agent,2027-06-30,\n"
        "Bob,CRM,viewer,2027-02-30,\n"
    )
    bad = cli("access", "import", acme, str(csv))
    assert bad.exit_code == 2, bad.stderr
    assert f"{csv}:2: Bob already holds agent" in bad.stderr and f"{csv}:3: " in bad.stderr
    assert len(cli("access", "list", acme, "--json").json()) == 2


def test_grant_duplicates_are_compared_on_the_folded_role(acme, cli, session_scope):
    ok(cli("system", "add", acme, "CRM"))
    ok(cli("person", "add", acme, "Bob", "--side", "provider"))
    grant = ("access", "grant", acme, "--person", "Bob", "--system", "CRM", "--role")
    ok(cli(*grant, "Domain Admin", "--justification", "x"))
    for same in ("domain_admin", "DOMAIN-ADMIN", "Domain  Admin", "dömain admin"):
        r = cli(*grant, same, "--justification", "x")
        assert r.exit_code == 1 and "already holds Domain Admin" in r.stderr, (same, r.stderr)
    ok(cli(*grant, "Domain Admins", "--justification", "x"))
    with session_scope(write=False) as s:
        keys = [g.role for g in access.list_grants(s, get_engagement(s, ENG))]
    assert sorted(keys) == ["Domain Admin", "Domain Admins"]
