"""Access grants: grant/revoke/list, milestone expiries, review findings, CSV import, and
the access_provisioned gate, through the services and the CLI."""

from __future__ import annotations

from datetime import date

import pytest

from transition.errors import BadInput, NotFound, Refused
from transition.services import access, audit, gates, people, systems
from transition.services.common import get_engagement

ENG = "acme-helpdesk"


@pytest.fixture
def team(acme, cli):
    """acme with two systems, an incumbent leaving, a provider engineer and a client."""
    for args in (
        ("system", "add", acme, "Service Desk", "--tier", "1"),
        ("system", "add", acme, "CRM"),
        ("person", "add", acme, "Ann Old", "--side", "incumbent", "--release", "2026-12-15"),
        ("person", "add", acme, "Bob New", "--side", "provider", "--email", "bob@new.example"),
        ("person", "add", acme, "Cid Client", "--side", "client"),
    ):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
    return acme


def grants_json(cli, *extra):
    result = cli("access", "list", ENG, "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return result.json()


def audit_count(session_scope) -> int:
    with session_scope(write=False) as s:
        return audit.count(s, get_engagement(s, ENG).id)


def test_grant_list_and_revoke(team, cli, clock, monkeypatch):
    clock.pin(today="2026-11-10")
    r = cli(
        "access",
        "grant",
        ENG,
        "--person",
        "bob new",
        "--system",
        "CRM",
        "--role",
        "operator",
        "--expires",
        "2027-01-31",
        "--justification",
        "L2 support",
    )
    assert r.exit_code == 0, r.stderr
    assert "granted #1" in r.stdout
    [row] = grants_json(cli)
    assert row["person"] == "Bob New" and row["system"] == "CRM" and row["role"] == "operator"
    assert row["expires_on"] == "2027-01-31" and row["status"] == "active"
    assert row["approver"] == "tester" and row["revoked_at"] is None

    r = cli("access", "revoke", ENG, "1", "--reason", "moved to another team")
    assert r.exit_code == 0, r.stderr
    [row] = grants_json(cli)
    assert row["status"] == "revoked" and row["revoke_reason"] == "moved to another team"
    assert grants_json(cli, "--active") == []

    again = cli("access", "revoke", ENG, "1")
    assert again.exit_code == 1
    assert again.stderr.startswith("error: grant 1 was already revoked")


def test_active_and_expiring_filters(team, cli, clock, monkeypatch):
    clock.pin(today="2026-11-10")
    for system, expires in (("CRM", "2026-11-12"), ("Service Desk", "2026-12-31")):
        args = ["access", "grant", ENG, "--person", "Bob New", "--system", system]
        r = cli(*args, "--role", "operator", "--expires", expires)
        assert r.exit_code == 0, r.stderr
    r = cli("access", "grant", ENG, "--person", "Ann Old", "--system", "CRM", "--role", "reader",
            "--expires", "2026-11-01")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    statuses = {(g["person"], g["system"]): g["status"] for g in grants_json(cli)}
    assert statuses[("Ann Old", "CRM")] == "expired"
    assert {g["system"] for g in grants_json(cli, "--active")} == {"CRM", "Service Desk"}
    assert [g["system"] for g in grants_json(cli, "--expiring", "7")] == ["CRM"]
    assert len(grants_json(cli, "--expiring", "60")) == 2
    bad = cli("access", "list", ENG, "--expiring", "soon")
    assert bad.exit_code == 2 and "error:" in bad.stderr


def test_duplicate_grant_refused(team, cli):
    args = ("access", "grant", ENG, "--person", "Bob New", "--system", "CRM", "--role", "Operator")
    assert cli(*args).exit_code == 0
    r = cli("access", "grant", ENG, "--person", "bob-new", "--system", "crm", "--role", "operator")
    assert r.exit_code == 1 and "already holds" in r.stderr
    assert len(grants_json(cli)) == 1


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--person", "Nobody", "--system", "CRM", "--role", "x"), 2, "unknown person"),
        (("--person", "Bob New", "--system", "Mainframe", "--role", "x"), 2, "unknown system"),
        (
            ("--person", "Bob New", "--system", "CRM", "--role", "x", "--expires", "2026-02-30"),
            2,
            "invalid expiry",
        ),  # fmt: skip
        (
            ("--person", "Bob New", "--system", "CRM", "--role", "x", "--expires", "golive+3d"),
            2,
            "unknown milestone",
        ),  # fmt: skip
        (
            (
                "--person",
                "Bob New",
                "--system",
                "CRM",
                "--role",
                "x",
                "--justification",
                "password: hunter2",
            ),
            2,
            "credential",
        ),  # fmt: skip
    ],
)
def test_bad_grant_writes_nothing(team, cli, session_scope, args, code, message):
    before = audit_count(session_scope)
    r = cli("access", "grant", ENG, *args)
    assert r.exit_code == code
    assert r.stderr.startswith("error:") and message in r.stderr
    assert "Traceback" not in r.stderr
    assert audit_count(session_scope) == before
    assert grants_json(cli) == []


def test_unknown_or_invalid_grant_id(team, cli, session_scope):
    before = audit_count(session_scope)
    for ident in ("42", "abc"):
        r = cli("access", "revoke", ENG, ident)
        assert r.exit_code == 2 and r.stderr.startswith("error:")
    assert audit_count(session_scope) == before


def test_milestone_expiry_follows_the_milestone(team, session_scope, clock, monkeypatch):
    clock.pin(today="2026-11-20")
    with session_scope() as s:
        eng = get_engagement(s, ENG)
        g = access.grant(
            s, eng, person="Bob New", system="CRM", role="operator", expires="discovery.end+2d"
        )
        fixed = access.grant(
            s, eng, person="Ann Old", system="CRM", role="reader", expires="2027-03-01"
        )
        gid, fid = g.id, fixed.id
        assert g.expires_rule == "discovery.end+2d"
        planned = g.expires_on
        assert planned == date(2026, 11, 25)  # discovery (3 weeks from 2026-11-02) + 2 days
    with session_scope() as s:
        eng = get_engagement(s, ENG)
        gates.advance(s, eng, override="moving on early for the test")
    with session_scope(write=False) as s:
        eng = get_engagement(s, ENG)
        rows = {r.id: r for r in access.list_grants(s, eng)}
        # discovery ended on "today" (2026-11-20): the expiry moved with it.
        assert rows[gid].expires_on == date(2026, 11, 22)
        assert rows[fid].expires_on == date(2027, 3, 1)
        events = [
            e
            for e in audit.events(s, eng)
            if e.entity == "access_grant" and e.action == "reschedule"
        ]
        assert [(e.entity_id, e.before) for e in events] == [(gid, planned.isoformat())]


def test_review_findings(team, session_scope, clock, monkeypatch):
    clock.pin(today="2026-12-20")  # Ann Old left on 2026-12-15
    with session_scope() as s:
        eng = get_engagement(s, ENG)
        admin = access.grant(s, eng, person="Ann Old", system="CRM", role="Domain Admin",
                             expires="2027-01-31")  # fmt: skip
        justified = access.grant(s, eng, person="Bob New", system="CRM", role="root",
                                 expires="2027-01-31", justification="on-call")  # fmt: skip
        open_ended = access.grant(s, eng, person="Cid Client", system="CRM", role="reader")
        expired = access.grant(s, eng, person="Bob New", system="Service Desk",
                               role="agent", expires="2026-12-01")  # fmt: skip
        revoked = access.grant(s, eng, person="Cid Client", system="Service Desk", role="owner")
        access.revoke(s, eng, revoked.id)
        people.add(s, eng, "Dee Provider", side="provider")
        from transition.dates import parse_datetime
        from transition.services import kt

        kt.schedule(s, eng, system="Service Desk", topic="Queues", presenters=["Ann Old"],
                    attendees=["Dee Provider", "Bob New"],
                    at=parse_datetime("2026-12-02T10:00"))  # fmt: skip
        ids = (admin.id, justified.id, open_ended.id, expired.id)
    with session_scope(write=False) as s:
        eng = get_engagement(s, ENG)
        found = {(f.kind, f.grant_id, f.person) for f in access.review(s, eng)}
        severities = {f.kind: f.severity for f in access.review(s, eng)}
        high = access.high_findings(s, eng)
    a, j, o, e = ids
    assert found == {
        ("admin_without_justification", a, "Ann Old"),
        ("released_person", a, "Ann Old"),
        ("no_expiry", o, "Cid Client"),
        ("expired_not_revoked", e, "Bob New"),
        # Both provider attendees lack an active grant on Service Desk (Bob's expired).
        ("missing_access", None, "Dee Provider"),
        ("missing_access", None, "Bob New"),
    }
    assert severities == {
        "admin_without_justification": "high",
        "released_person": "high",
        "expired_not_revoked": "high",
        "no_expiry": "medium",
        "missing_access": "medium",
    }
    assert {f.kind for f in high} == {
        "admin_without_justification",
        "released_person",
        "expired_not_revoked",
    }


def test_admin_roles_are_configurable(team, cli, setting, monkeypatch):
    r = cli("access", "grant", ENG, "--person", "Bob New", "--system", "CRM", "--role", "deployer")
    assert r.exit_code == 0
    kinds = lambda res: {f["kind"] for f in res.json()}  # noqa: E731
    assert "admin_without_justification" not in kinds(cli("access", "review", ENG, "--json"))
    assert "admin_without_justification" in kinds(
        cli("access", "review", ENG, "--json", "--admin-roles", "deployer,sysadmin")
    )
    setting("TRANSITION_ADMIN_ROLES", "deployer")
    assert "admin_without_justification" in kinds(cli("access", "review", ENG, "--json"))
    text = cli("access", "review", ENG)
    assert text.exit_code == 0 and "admin_without_justification" in text.stdout


def test_access_provisioned_gate_end_to_end(team, cli, clock, monkeypatch):
    clock.pin(today="2026-11-10")

    def criterion():
        data = cli("phase", "status", ENG, "--json").json()
        return next(
            c for p in data["phases"] for c in p["gate"] if c["name"] == "access_provisioned"
        )

    first = criterion()
    assert not first["met"] and "Bob New" in first["reason"]
    assert cli("access", "grant", ENG, "--person", "Bob New", "--system", "CRM", "--role",
               "admin", "--expires", "cutover+30d").exit_code == 0  # fmt: skip
    blocked = criterion()
    assert not blocked["met"] and "high access-review finding" in blocked["reason"]
    assert cli("access", "revoke", ENG, "1").exit_code == 0
    assert cli("access", "grant", ENG, "--person", "Bob New", "--system", "CRM", "--role",
               "admin", "--expires", "cutover+30d", "--justification", "CAB approved").exit_code == 0  # fmt: skip
    assert criterion()["met"]


# ------------------------------------------------------------------------- CSV import


def write(tmp_path, text: str, name: str = "grants.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_import_csv_any_column_order_with_bom(team, cli, tmp_path, session_scope):
    path = write(
        tmp_path,
        "\ufeffRole,person,system,justification,expires\r\n"
        "operator,Bob New,CRM,L2 support,cutover+30d\r\n"
        "\r\n"
        'reader,Ann Old,Service Desk,"handover, reading only",2027-01-31\r\n',
    )
    r = cli("access", "import", ENG, path)
    assert r.exit_code == 0, r.stderr
    assert "imported 2 grant(s)" in r.stdout
    rows = {g["person"]: g for g in grants_json(cli)}
    assert rows["Bob New"]["expires_rule"] == "cutover+30d"
    assert rows["Ann Old"]["justification"] == "handover, reading only"
    with session_scope(write=False) as s:
        from transition.services import handover

        items = handover.show(s, get_engagement(s, ENG))
    revoke = [i for i in items if i.source_kind == "grant"]
    assert len(revoke) == 2 and all(i.status == "open" for i in revoke)


def test_import_reports_every_bad_row_and_imports_nothing(team, cli, tmp_path, session_scope):
    path = write(
        tmp_path,
        "person,system,role,expires,justification\n"
        "Bob New,CRM,operator,2027-01-31,ok\n"  # line 2: fine
        "Nobody,CRM,operator,,\n"  # line 3: unknown person
        "Bob New,Mainframe,operator,,\n"  # line 4: unknown system
        "Bob New,CRM,operator,2027-02-30,\n"  # line 5: bad date (and same as line 2)
        "Ann Old,CRM,,,\n"  # line 6: no role
        "Ann Old,CRM,reader,,token: abcdef123\n"  # line 7: secret
        "Ann Old,CRM\n",  # line 8: short row
    )
    before = audit_count(session_scope)
    r = cli("access", "import", ENG, path)
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert all(line.startswith("error: ") for line in lines)
    assert "nothing was imported" in lines[0]
    body = "\n".join(lines[1:])
    for line_no in (3, 4, 5, 6, 7, 8):
        assert f"{path}:{line_no}: " in body, line_no
    assert f"{path}:2: " not in body
    assert "unknown person 'Nobody'" in body and "unknown system 'Mainframe'" in body
    assert "same person, system and role as line 2" in body
    assert grants_json(cli) == []
    assert audit_count(session_scope) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("person,system,role,expires\n", "missing column(s): justification"),
        ("person,system,role,expires,justification,team\n", "unknown column(s): team"),
        ("person,system,role,role,expires,justification\n", "duplicate column(s): role"),
        ("", "empty file"),
        ("person,system,role,expires,justification\n", "no grant rows"),
    ],
)
def test_import_header_problems(team, cli, tmp_path, text, message):
    r = cli("access", "import", ENG, write(tmp_path, text))
    assert r.exit_code == 2
    assert message in r.stderr and r.stderr.startswith("error:")


def test_import_not_utf8(team, cli, tmp_path):
    path = write(
        tmp_path, "person,system,role,expires,justification\nJosé,CRM,x,,\n", encoding="latin-1"
    )
    r = cli("access", "import", ENG, path)
    assert r.exit_code == 2 and f"{path}:2: not valid UTF-8" in r.stderr


def test_import_create_missing(team, cli, tmp_path):
    path = write(
        tmp_path,
        "person,system,role,expires,justification\n"
        "Eve Newhire,Data Warehouse,analyst,2027-01-31,reporting\n"
        "Eve Newhire,CRM,reader,2027-01-31,reporting\n",
    )
    assert cli("access", "import", ENG, path).exit_code == 2
    r = cli("access", "import", ENG, path, "--create-missing")
    assert r.exit_code == 0, r.stderr
    assert "created 1 person(s) on the provider side" in r.stdout
    people_rows = {p["name"]: p for p in cli("person", "list", ENG, "--json").json()}
    assert people_rows["Eve Newhire"]["side"] == "provider"
    assert "Data Warehouse" in {s["name"] for s in cli("system", "list", ENG, "--json").json()}
    # Importing the same file again would duplicate grants in force: refused, row by row.
    again = cli("access", "import", ENG, path, "--create-missing")
    assert again.exit_code == 1 and f"{path}:2: " in again.stderr and f"{path}:3: " in again.stderr


def test_import_is_bulk(team, tmp_path, session_scope, count_queries):
    rows = ["person,system,role,expires,justification"]
    rows += [f"Person {i},System {i % 7},operator,cutover+30d,support" for i in range(400)]
    path = write(tmp_path, "\n".join(rows) + "\n")
    with count_queries() as q, session_scope() as s:
        result = access.import_csv(s, get_engagement(s, ENG), path, create_missing=True)
    assert result.imported == 400
    assert q.count <= 25, q.statements


def test_service_errors_are_the_tools_own(team, session_scope):
    with session_scope() as s:
        eng = get_engagement(s, ENG)
        with pytest.raises(NotFound):
            access.revoke(s, eng, 999)
        with pytest.raises(BadInput):
            access.grant(s, eng, person="Bob New", system="CRM", role="  ")
        with pytest.raises(BadInput, match="file not found"):
            access.import_csv(s, eng, "/nonexistent/grants.csv")
        systems.remove(s, eng, "CRM")
        with pytest.raises(NotFound):
            access.grant(s, eng, person="Bob New", system="CRM", role="x")
        g = access.grant(s, eng, person="Bob New", system="Service Desk", role="x")
        access.revoke(s, eng, g.id)
        with pytest.raises(Refused):
            access.revoke(s, eng, g.id)
