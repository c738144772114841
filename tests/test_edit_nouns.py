"""Editing and retiring the nouns: ``engagement set|archive|unarchive|delete``, ``person
set|remove``, ``system set``. Every change is audited field by field and leaves
``audit --verify`` clean; every refusal writes nothing; a stale form is refused naming who
changed the row."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from transition.errors import Conflict
from transition.models import AuditEvent, Engagement, Person
from transition.services import engagements, people, systems

ENG = "acme-helpdesk"


def ok(result) -> str:
    assert result.exit_code == 0, result.stderr
    return result.stdout


def refused(result, code: int, *words: str) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    return result.stderr


def events(cli, eng: str = ENG) -> int:
    return len(cli("audit", eng, "--json").json())


def verified(cli, eng: str = ENG) -> None:
    out = ok(cli("audit", eng, "--verify"))
    assert "intact" in out, out


@pytest.fixture
def team(cli, acme) -> str:
    ok(cli("person", "add", ENG, "Ann Lee", "--side", "incumbent", "--role", "DBA"))
    ok(cli("person", "add", ENG, "Bob Ray", "--side", "provider", "--email", "bob@new.example"))
    ok(cli("system", "add", ENG, "CRM", "--tier", "1"))
    ok(cli("system", "add", ENG, "Payroll"))
    return ENG


# ------------------------------------------------------------------------ engagement set


def test_engagement_set_changes_fields_and_prints_them(cli, acme):
    out = ok(
        cli(
            "engagement", "set", ENG, "--client", "Acme Corp", "--model", "Project",
            "--location", "nearshore", "--calendar", "gb-eng", "--timezone", "Europe/London",
            "--workweek", "sun-thu",
        )
    )  # fmt: skip
    assert "client: Acme → Acme Corp" in out
    assert "model: managed-service → project" in out
    assert "location: onshore → nearshore" in out
    assert "calendar: (none) → GB-ENG" in out
    assert "timezone: (none) → Europe/London" in out
    assert "workweek: 0,1,2,3,4 → 6,0,1,2,3" not in out  # stored sorted
    assert "workweek: 0,1,2,3,4 → 0,1,2,3,6" in out
    shown = cli("engagement", "show", ENG, "--json").json()
    assert (shown["client"], shown["model"], shown["location"]) == (
        "Acme Corp",
        "project",
        "nearshore",
    )
    assert "nothing changed" in ok(cli("engagement", "set", ENG, "--client", "Acme Corp"))
    out = ok(cli("engagement", "set", ENG, "--calendar", "none", "--timezone", "none"))
    assert "calendar: GB-ENG → (none)" in out and "timezone: Europe/London → (none)" in out
    logged = [e for e in cli("audit", ENG, "--json").json() if e["action"] == "update"]
    assert {e["field"] for e in logged} >= {"client", "model", "calendar", "timezone", "workweek"}
    verified(cli)


def test_engagement_rename_changes_the_slug_and_refuses_a_taken_one(cli, acme):
    ok(cli("engagement", "new", "Beta Ops", "--playbook", "managed-service-onboarding"))
    out = ok(cli("engagement", "set", ENG, "--name", "Acme Service Desk"))
    assert "slug: acme-helpdesk → acme-service-desk" in out
    assert ok(cli("engagement", "show", "acme-service-desk"))
    refused(cli("engagement", "show", ENG), 2, "unknown engagement")
    before = events(cli, "acme-service-desk")
    refused(cli("engagement", "set", "acme-service-desk", "--name", "BETA ops"), 1, "'Beta Ops'")
    assert events(cli, "acme-service-desk") == before
    # Changing only the case keeps the slug.
    out = ok(cli("engagement", "set", "acme-service-desk", "--name", "ACME Service Desk"))
    assert "name: Acme Service Desk → ACME Service Desk" in out and "slug" not in out
    verified(cli, "acme-service-desk")


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--calendar", "XX-NOPE", "unknown calendar"),
        ("--timezone", "Mars/Olympus", "unknown time zone"),
        ("--workweek", "mon-funday", "invalid work week"),
        ("--model", "outsourcing", "invalid engagement model"),
        ("--location", "moon", "invalid location"),
        ("--name", "  ", "name"),
        ("--client", "bad\x07bell", "client"),
    ],
)
def test_engagement_set_bad_values_exit_2_and_change_nothing(cli, acme, option, value, words):
    before = cli("engagement", "show", ENG, "--json").json()
    count = events(cli)
    refused(cli("engagement", "set", ENG, option, value), 2, words)
    assert cli("engagement", "show", ENG, "--json").json() == before
    assert events(cli) == count


# ------------------------------------------------------------------- archive and delete


def test_archived_engagements_leave_lists_but_stay_readable_and_frozen(cli, team):
    ok(cli("engagement", "new", "Beta Ops", "--playbook", "managed-service-onboarding"))
    assert "archived engagement acme-helpdesk" in ok(cli("engagement", "archive", ENG))
    listed = [e["slug"] for e in cli("engagement", "list", "--json").json()]
    assert listed == ["beta-ops"]
    archived = cli("engagement", "list", "--archived", "--json").json()
    assert [e["slug"] for e in archived] == [ENG] and archived[0]["archived_at"]
    assert [e["slug"] for e in cli("engagement", "list", "--all", "--json").json()] == [
        ENG,
        "beta-ops",
    ]
    assert "ARCHIVED" in ok(cli("engagement", "list", "--all"))
    # Reachable by name: show, lists, report, export, audit.
    assert cli("engagement", "show", ENG, "--json").json()["archived_at"]
    assert len(cli("person", "list", ENG, "--json").json()) == 2
    ok(cli("report", ENG))
    ok(cli("export", ENG))
    verified(cli)
    count = events(cli)
    for args in (
        ("engagement", "set", ENG, "--client", "X"),
        ("person", "add", ENG, "Cy", "--side", "client"),
        ("person", "set", ENG, "Ann Lee", "--role", "Lead"),
        ("person", "remove", ENG, "Bob Ray"),
        ("system", "add", ENG, "Mail"),
        ("system", "set", ENG, "CRM", "--tier", "3"),
        ("system", "remove", ENG, "Payroll"),
        ("task", "done", ENG, "kickoff"),
        ("access", "grant", ENG, "--person", "Bob Ray", "--system", "CRM", "--role", "r"),
        ("engagement", "archive", ENG),
    ):
        refused(cli(*args), 1, "archived")
    assert events(cli) == count
    assert "unarchive it first" in cli("system", "add", ENG, "Mail").stderr
    assert "unarchived engagement acme-helpdesk" in ok(cli("engagement", "unarchive", ENG))
    refused(cli("engagement", "unarchive", ENG), 1, "not archived")
    ok(cli("engagement", "set", ENG, "--client", "Acme again"))
    assert len(cli("engagement", "list", "--json").json()) == 2
    actions = [e["action"] for e in cli("audit", ENG, "--json").json()]
    assert "archive" in actions and "unarchive" in actions
    verified(cli)


def test_delete_needs_archive_and_the_slug_then_leaves_a_final_export(cli, team, db_url, tmp_path):
    ok(cli("access", "grant", ENG, "--person", "Bob Ray", "--system", "CRM", "--role", "reader"))
    ok(cli("engagement", "new", "Beta Ops", "--playbook", "managed-service-onboarding"))
    refused(cli("engagement", "delete", ENG, "--confirm", ENG), 1, "not archived", "archive")
    ok(cli("engagement", "archive", ENG))
    refused(cli("engagement", "delete", ENG, "--confirm", "acme"), 1, "does not match", ENG)
    refused(cli("engagement", "delete", "nope", "--confirm", "nope"), 2, "unknown engagement")
    assert cli("engagement", "show", ENG, "--json").json()["slug"] == ENG
    expected = cli("export", ENG).json()["engagements"][0]

    out = ok(cli("engagement", "delete", ENG, "--confirm", ENG))
    assert "deleted engagement acme-helpdesk" in out
    path = Path(out.split("final export: ", 1)[1].strip())
    folder = tmp_path if db_url.startswith("sqlite") else tmp_path / "xdg-data" / "transition"
    assert path.parent == folder and path.name.startswith("acme-helpdesk-deleted-")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    exported = json.loads(path.read_text())["engagements"][0]
    assert exported["engagement"] == expected["engagement"]
    for section in ("people", "systems", "tasks", "access_grants", "handover_items"):
        assert exported[section] == expected[section]

    refused(cli("engagement", "show", ENG), 2, "unknown engagement")
    assert [e["slug"] for e in cli("engagement", "list", "--all", "--json").json()] == ["beta-ops"]
    verified(cli, "beta-ops")
    # The final export brings it back.
    assert "imported 1 engagement: acme-helpdesk" in ok(cli("import", str(path)))
    assert len(cli("person", "list", ENG, "--json").json()) == 2


def test_delete_keeps_the_log_with_a_delete_event(session_scope, tmp_path):
    from transition.playbooks import resolve_playbook

    playbook, raw, _ = resolve_playbook("managed-service-onboarding")
    with session_scope() as s:
        eng = engagements.create(s, name="Gone Soon", playbook=playbook, raw=raw)
        people.add(s, eng, "Ann", side="client")
        eid = eng.id
    with session_scope() as s:
        engagements.archive(s, "gone-soon")
    with session_scope() as s:
        gone = engagements.delete(s, "gone-soon", confirm="gone-soon")
    assert gone.rows > 50 and Path(gone.export_path).is_file()
    with session_scope(write=False) as s:
        assert s.get(Engagement, eid) is None
        assert not s.execute(select(Person).where(Person.engagement_id == eid)).all()
        actions = s.execute(
            select(AuditEvent.action).where(AuditEvent.engagement_id == eid).order_by(AuditEvent.id)
        ).scalars()
        assert list(actions)[-1] == "delete"


# --------------------------------------------------------------------------- person set


def test_person_set_changes_fields(cli, team):
    out = ok(
        cli(
            "person", "set", ENG, "Ann Lee", "--role", "Lead DBA", "--email", "ann@old.example",
            "--release", "2027-01-15", "--timezone", "Asia/Kolkata",
        )
    )  # fmt: skip
    assert "role: DBA → Lead DBA" in out
    assert "email: (none) → ann@old.example" in out
    assert "release_date: (none) → 2027-01-15" in out
    assert "timezone: (none) → Asia/Kolkata" in out
    (ann,) = [p for p in cli("person", "list", ENG, "--json").json() if p["slug"] == "ann-lee"]
    assert (ann["role"], ann["release_date"], ann["timezone"]) == (
        "Lead DBA",
        "2027-01-15",
        "Asia/Kolkata",
    )
    out = ok(cli("person", "set", ENG, "ann-lee", "--release", "none", "--email", ""))
    assert "release_date: 2027-01-15 → (none)" in out and "email: ann@old.example → (none)" in out
    assert "nothing changed" in ok(cli("person", "set", ENG, "Ann Lee", "--role", "Lead DBA"))
    verified(cli)


def test_person_rename_follows_into_the_checklist_and_the_log(cli, team):
    ok(cli("access", "grant", ENG, "--person", "Ann Lee", "--system", "CRM", "--role", "admin"))
    out = ok(cli("person", "set", ENG, "Ann Lee", "--name", "Ann Smith"))
    assert "name: Ann Lee → Ann Smith" in out and "slug: ann-lee → ann-smith" in out
    titles = [i["title"] for i in cli("handover", "show", ENG, "--json").json()]
    assert "Revoke admin access to CRM for Ann Smith" in titles
    assert not any("Ann Lee" in t for t in titles)
    refused(cli("person", "set", ENG, "Ann Lee", "--role", "x"), 2, "unknown person")
    refused(cli("person", "set", ENG, "Ann Smith", "--name", "BOB RAY"), 1, "'Bob Ray'")
    verified(cli)


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--side", "vendor", "invalid side"),
        ("--release", "2027-02-30", "release date"),
        ("--timezone", "Nowhere/City", "unknown time zone"),
        ("--email", "not-an-email", "email"),
        ("--name", "", "name"),
    ],
)
def test_person_set_bad_values_exit_2(cli, team, option, value, words):
    count = events(cli)
    refused(cli("person", "set", ENG, "Ann Lee", option, value), 2, words)
    assert events(cli) == count


def test_side_change_with_access_warns(cli, team):
    ok(cli("access", "grant", ENG, "--person", "Ann Lee", "--system", "CRM", "--role", "admin"))
    result = cli("person", "set", ENG, "Ann Lee", "--side", "provider")
    assert result.exit_code == 0
    assert "side: incumbent → provider" in result.stdout
    assert "warning: Ann Lee moved from the incumbent to the provider side" in result.stderr


# ------------------------------------------------------------------------ person remove


def test_person_remove_is_refused_while_they_hold_access_or_planned_kt(cli, team):
    ok(cli("access", "grant", ENG, "--person", "Ann Lee", "--system", "CRM", "--role", "admin"))
    ok(
        cli(
            "kt", "schedule", ENG, "--system", "CRM", "--topic", "Backups", "--presenter",
            "Bob Ray", "--at", "2026-12-01T10:00",
        )
    )  # fmt: skip
    count = events(cli)
    refused(cli("person", "remove", ENG, "Ann Lee"), 1, "ann-lee", "grant 1", "admin on CRM")
    refused(cli("person", "remove", ENG, "Bob Ray"), 1, "bob-ray", "KT session 1", "Backups")
    assert events(cli) == count
    ok(cli("access", "revoke", ENG, "1", "--reason", "moved on"))
    assert "removed person ann-lee" in ok(cli("person", "remove", ENG, "Ann Lee"))
    assert [p["slug"] for p in cli("person", "list", ENG, "--json").json()] == ["bob-ray"]
    refused(cli("person", "remove", ENG, "Ann Lee"), 2, "unknown person")
    refused(
        cli("access", "grant", ENG, "--person", "Ann Lee", "--system", "CRM", "--role", "r"),
        2,
        "unknown person",
    )
    # Her history stays; adding the name again brings her back, the same row.
    assert any("Ann Lee" in i["title"] for i in cli("handover", "show", ENG, "--json").json())
    ok(cli("person", "add", ENG, "Ann Lee", "--side", "client"))
    (ann,) = [p for p in cli("person", "list", ENG, "--json").json() if p["slug"] == "ann-lee"]
    assert ann["side"] == "client"
    removed = [e for e in cli("audit", ENG, "--json").json() if e["action"] == "remove"]
    assert removed and removed[-1]["entity"] == "person" and removed[-1]["field"] == "removed_at"
    verified(cli)


def test_a_removed_persons_name_cannot_be_taken_by_a_rename(cli, team):
    ok(cli("person", "remove", ENG, "Ann Lee"))
    refused(cli("person", "set", ENG, "Bob Ray", "--name", "ann lee"), 1, "removed person")


# --------------------------------------------------------------------------- system set


def test_system_set_renames_retiers_and_keeps_the_checklist_in_step(cli, team):
    ok(cli("access", "grant", ENG, "--person", "Bob Ray", "--system", "CRM", "--role", "reader"))
    out = ok(
        cli("system", "set", ENG, "CRM", "--name", "CRM Cloud", "--tier", "2",
            "--description", "Sales CRM")
    )  # fmt: skip
    assert "name: CRM → CRM Cloud" in out and "tier: 1 → 2" in out
    assert "description: (none) → Sales CRM" in out
    titles = [i["title"] for i in cli("handover", "show", ENG, "--json").json()]
    assert "Reverse KT of CRM Cloud to the successor" in titles
    assert "Revoke reader access to CRM Cloud for Bob Ray" in titles
    assert not any("CRM " in t and "CRM Cloud" not in t for t in titles)
    assert [s["slug"] for s in cli("system", "list", ENG, "--json").json()] == [
        "crm-cloud",
        "payroll",
    ]
    refused(cli("system", "set", ENG, "CRM Cloud", "--name", "payroll"), 1, "'Payroll'")
    refused(cli("system", "set", ENG, "CRM Cloud", "--tier", "4"), 2, "invalid tier")
    refused(cli("system", "set", ENG, "CRM", "--tier", "3"), 2, "unknown system")
    refused(cli("system", "set", ENG, "CRM Cloud", "--description", "a\x00b"), 2)
    assert "nothing changed" in ok(cli("system", "set", ENG, "crm-cloud", "--tier", "2"))
    verified(cli)


# ---------------------------------------------------------------- optimistic locking


def test_a_stale_version_is_refused_naming_who_changed_the_row(session_scope, team):
    with session_scope(write=False) as s:
        eng_version = engagements.detail(s, ENG).version
        (ann,) = [p for p in people.list_people(s, ENG) if p.slug == "ann-lee"]
        crm = next(x for x in systems.coverage(s, ENG) if x.slug == "crm")
    with session_scope(actor="alice") as s:
        engagements.update(s, ENG, client="Alice Co", expected_version=eng_version)
        people.update(s, ENG, "Ann Lee", role="Lead", expected_version=ann.version)
        systems.update(s, ENG, "CRM", tier=3, expected_version=crm.version)
    for change in (
        lambda s: engagements.update(s, ENG, client="Mine", expected_version=eng_version),
        lambda s: engagements.archive(s, ENG, expected_version=eng_version),
        lambda s: people.update(s, ENG, "Ann Lee", role="Mine", expected_version=ann.version),
        lambda s: people.remove(s, ENG, "Ann Lee", expected_version=ann.version),
        lambda s: systems.update(s, ENG, "CRM", tier=1, expected_version=crm.version),
    ):
        with pytest.raises(Conflict, match="alice"), session_scope(actor="bob") as s:
            change(s)
    with session_scope(write=False) as s:
        assert engagements.detail(s, ENG).client == "Alice Co"
        bobs = s.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.actor == "bob")
        ).scalar_one()
        assert bobs == 0


def test_unarchive_and_delete_refuse_bad_states_at_the_service(session_scope, team):
    from transition.errors import Refused

    with pytest.raises(Refused, match="not archived"), session_scope() as s:
        engagements.delete(s, ENG, confirm=ENG)
    with session_scope() as s:
        engagements.archive(s, ENG)
    with pytest.raises(Refused, match="archived"), session_scope() as s:
        people.add(s, ENG, "Cy", side="client")


def test_an_empty_list_says_how_many_are_archived(cli, acme):
    ok(cli("engagement", "archive", ENG))
    assert "1 archived: list them with --archived" in ok(cli("engagement", "list"))
    assert cli("engagement", "list", "--json").json() == []
    ok(cli("engagement", "unarchive", ENG))
    assert "no archived engagements" in ok(cli("engagement", "list", "--archived"))
