"""System owners, SMEs and backups; a system's knowledge topics; KT sessions covering
topics and the coverage matrix of system × topic × kind."""

from __future__ import annotations

import json

import pytest

from transition.services import audit, kt_topics, system_people
from transition.services.common import get_engagement

ENG = "acme-helpdesk"


@pytest.fixture
def team(acme, cli):
    for args in (
        ("system", "add", acme, "CRM", "--tier", "3"),
        ("system", "add", acme, "Billing", "--tier", "3"),
        ("person", "add", acme, "Ann Old", "--side", "incumbent", "--release", "2026-11-20",
         "--email", "ann@old.example"),
        ("person", "add", acme, "Olaf Old", "--side", "incumbent", "--email", "olaf@old.example"),
        ("person", "add", acme, "Bob New", "--side", "provider", "--email", "bob@new.example"),
        ("person", "add", acme, "Bea New", "--side", "provider", "--email", "bea@new.example"),
    ):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
    return acme


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def events(session_scope) -> int:
    with session_scope(write=False) as s:
        return audit.count(s, get_engagement(s, ENG).id)


def verify_clean(cli):
    result = cli("audit", ENG, "--verify")
    assert result.exit_code == 0, result.stdout + result.stderr


def schedule(cli, *covers, topic="Month end", kind="walkthrough", presenter="Ann Old",
             attendee="Bob New", system="CRM"):  # fmt: skip
    args = ["kt", "schedule", ENG, "--system", system, "--topic", topic, "--presenter",
            presenter, "--attendee", attendee, "--at", "2026-11-16T10:00", "--kind", kind]  # fmt: skip
    for c in covers:
        args += ["--covers", c]
    out = ok(cli(*args)).stdout
    return out.split("#")[1].split(":")[0]


def matrix(cli):
    return {(r["system"], r["topic"]): r for r in ok(cli("kt", "coverage", ENG, "--json")).json()}


def kinds(row):
    return {c["kind"]: c["status"] for c in row["kinds"]}


def test_owners_are_added_removed_and_refused_plainly(team, cli, session_scope):
    out = ok(cli("system", "owner", ENG, "CRM", "Ann Old", "--as", "owner")).stdout
    assert "Ann Old (incumbent) is now owner of CRM" in out
    ok(cli("system", "owner", ENG, "CRM", "Bob New", "--as", "owner"))
    ok(cli("system", "owner", ENG, "CRM", "Olaf Old", "--as", "backup"))
    before = events(session_scope)
    again = cli("system", "owner", ENG, "CRM", "Ann Old", "--as", "owner")
    assert again.exit_code == 1 and again.stderr.count("error:") == 1
    assert "already an owner of system crm" in again.stderr
    for args, code in (
        (("CRM", "Ann Old", "--as", "boss"), 2),
        (("CRM", "Nobody", "--as", "sme"), 2),
        (("Nothing", "Ann Old", "--as", "sme"), 2),
        (("CRM", "Ann Old", "--as", "sme", "--remove"), 1),
    ):
        result = cli("system", "owner", ENG, *args)
        assert result.exit_code == code, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert events(session_scope) == before  # nothing written on a refusal
    ok(cli("system", "owner", ENG, "CRM", "Olaf Old", "--as", "backup", "--remove"))
    with session_scope(write=False) as s:
        held = system_people.holders(s, ENG)
    assert [(h.system, h.person, h.role, h.side) for h in held] == [
        ("CRM", "Ann Old", "owner", "incumbent"),
        ("CRM", "Bob New", "owner", "provider"),
    ]
    verify_clean(cli)
    # Undo gives the backup back (tests/test_undo_holdings.py has the rest).
    ok(cli("undo", ENG))
    with session_scope(write=False) as s:
        assert len(system_people.holders(s, ENG)) == 3


def test_removed_people_and_systems_drop_out_of_holders(team, cli, session_scope):
    ok(cli("system", "owner", ENG, "CRM", "Olaf Old", "--as", "sme"))
    ok(cli("system", "owner", ENG, "Billing", "Bob New", "--as", "owner"))
    ok(cli("person", "remove", ENG, "Olaf Old"))
    ok(cli("system", "remove", ENG, "Billing"))
    with session_scope(write=False) as s:
        assert system_people.holders(s, ENG) == []


def test_topics_default_to_required_runbooks_and_the_team_adds_more(team, cli, session_scope):
    with session_scope(write=False) as s:
        eng = get_engagement(s, ENG)
        from transition.playbooks import from_json

        required = from_json(eng.playbook_json).required_runbooks(3)
        topics = system_people.topics_for(s, eng)
    assert required
    crm = [t for t in topics if t.system == "CRM"]
    assert [t.title for t in crm] == required and {t.source for t in crm} == {"runbook"}
    assert all(t.id is None for t in crm)  # nothing stored until referred to
    out = ok(cli("system", "topic", ENG, "CRM", "add", "Month-end close")).stdout
    assert "added topic 'Month-end close' of CRM" in out
    before = events(session_scope)
    dup = cli("system", "topic", ENG, "CRM", "add", "month end  CLOSE")
    assert dup.exit_code == 1 and "already has the topic 'Month-end close'" in dup.stderr
    bad = cli("system", "topic", ENG, "CRM", "rename", "x")
    assert bad.exit_code == 2
    gone = cli("system", "topic", ENG, "CRM", "remove", "No such topic")
    assert gone.exit_code == 2
    assert events(session_scope) == before
    ok(cli("system", "topic", ENG, "CRM", "remove", required[0]))
    ok(cli("system", "topic", ENG, "CRM", "remove", "Month-end close"))
    with session_scope(write=False) as s:
        titles = [t.title for t in system_people.topics_for(s, ENG) if t.system == "CRM"]
    assert titles == required[1:]
    ok(cli("system", "topic", ENG, "CRM", "add", "Month-end close"))  # comes back
    with session_scope(write=False) as s:
        titles = [t.title for t in system_people.topics_for(s, ENG) if t.system == "CRM"]
    assert titles == [*required[1:], "Month-end close"]
    verify_clean(cli)


def test_sessions_cover_topics_and_the_matrix_shows_holders_and_receivers(
    team, cli, session_scope, clock
):
    clock.pin(today="2026-11-10")
    ok(cli("system", "topic", ENG, "CRM", "add", "Month-end close"))
    ok(cli("system", "owner", ENG, "Billing", "Olaf Old", "--as", "sme"))
    first = schedule(cli, "Month-end close", "incident-response")
    ok(cli("kt", "hold", ENG, first))
    ok(cli("kt", "signoff", ENG, first, "--by", "Bob New"))
    # No --covers: the topic titled like the session's own topic text.
    schedule(cli, topic="Month end close", kind="shadow", attendee="Bea New")
    # Nothing alike: it covers no topic and shows under (other sessions).
    schedule(cli, topic="Printers", kind="qa")
    rows = matrix(cli)
    month = rows[("CRM", "Month-end close")]
    assert kinds(month) == {
        "walkthrough": "signed_off", "shadow": "planned", "reverse-shadow": "missing",
        "qa": "missing",
    }  # fmt: skip
    assert month["holders"] == ["Ann Old"] and month["received"] == ["Bob New"]
    assert month["source"] == "team" and month["missing"] == ["shadow", "reverse-shadow"]
    # Ann is the only holder and is being released: flagged.
    assert month["at_risk"] == "Ann Old"
    assert kinds(rows[("CRM", "incident-response")])["walkthrough"] == "signed_off"
    assert kinds(rows[("CRM", kt_topics.OTHER)])["qa"] == "planned"
    billing = [r for (system, _), r in rows.items() if system == "Billing"]
    assert billing and all(r["holders"] == ["Olaf Old"] for r in billing)
    assert all(r["at_risk"] is None for r in billing)  # Olaf has no release date
    table = ok(cli("kt", "coverage", ENG)).stdout
    assert "Month-end close" in table and "! only Ann Old (incumbent, leaving)" in table
    # A second holder clears the flag.
    ok(cli("system", "owner", ENG, "CRM", "Olaf Old", "--as", "sme"))
    assert matrix(cli)[("CRM", "Month-end close")]["at_risk"] is None
    verify_clean(cli)


def test_covers_refusals_and_changing_what_a_session_covers(team, cli, session_scope):
    before = events(session_scope)
    bad = cli("kt", "schedule", ENG, "--system", "CRM", "--topic", "x", "--presenter", "Ann Old",
              "--at", "2026-11-16T10:00", "--covers", "Unknown topic")  # fmt: skip
    assert bad.exit_code == 2 and "has no topic 'Unknown topic'" in bad.stderr
    assert events(session_scope) == before
    ok(cli("kt", "list", ENG))
    assert ok(cli("kt", "list", ENG, "--json")).json() == []
    sid = schedule(cli, "incident-response")
    ok(cli("kt", "hold", ENG, sid))
    ok(cli("kt", "signoff", ENG, sid, "--by", "Bob New"))
    # A signed-off session's topics can still be corrected.
    ok(cli("kt", "set", ENG, sid, "--covers", "service-restart"))
    rows = matrix(cli)
    assert kinds(rows[("CRM", "service-restart")])["walkthrough"] == "signed_off"
    assert kinds(rows[("CRM", "incident-response")])["walkthrough"] == "missing"
    # But not its title: that stays refused for a session no longer planned.
    assert cli("kt", "set", ENG, sid, "--topic", "New title").exit_code != 0
    ok(cli("kt", "cancel", ENG, schedule(cli), "--reason", "merged"))
    verify_clean(cli)


def test_a_runbook_skeleton_names_the_systems_people(team, cli, tmp_path):
    ok(cli("person", "add", ENG, "Ivy Old", "--side", "incumbent", "--email", "ivy@old.example",
           "--role", "Incumbent lead"))  # fmt: skip
    ok(cli("system", "owner", ENG, "CRM", "Olaf Old", "--as", "owner"))
    ok(cli("system", "owner", ENG, "CRM", "Bea New", "--as", "backup"))
    ok(cli("system", "owner", ENG, "CRM", "Bob New", "--as", "sme"))
    text = ok(cli("runbook", "new", ENG, "--system", "CRM", "--template", "incident-response",
                  "--dry-run")).stdout  # fmt: skip
    assert "| Incumbent owner | Olaf Old (olaf@old.example) |" in text
    assert "| Provider owner | Bob New (bob@new.example) |" in text  # an SME before a backup
    escalation = text[text.index("| Level |") :]
    assert "Olaf Old" in escalation and "Bob New" in escalation and "Bea New" in escalation
    assert "Ivy Old" not in escalation  # the engagement's other people are not listed
    assert escalation.index("Olaf Old") < escalation.index("Bob New") < escalation.index("Bea New")
    # A system without people keeps the engagement's people.
    other = ok(cli("runbook", "new", ENG, "--system", "Billing", "--template",
                   "incident-response", "--dry-run")).stdout  # fmt: skip
    assert "| Incumbent owner | Ivy Old (ivy@old.example) |" in other


def test_key_person_risk_counts_owners(team, cli, clock):
    clock.pin(today="2026-11-10")  # Ann leaves in 10 days
    ok(cli("system", "owner", ENG, "Billing", "Ann Old", "--as", "owner"))
    risky = {r["name"]: r for r in ok(cli("system", "list", ENG, "--json")).json()}
    assert risky["Billing"]["key_person_risk"]
    assert "only knowledge holder(s) Ann Old" in risky["Billing"]["key_person_risk_reason"]
    ok(cli("system", "owner", ENG, "Billing", "Bob New", "--as", "sme"))
    risky = {r["name"]: r for r in ok(cli("system", "list", ENG, "--json")).json()}
    assert not risky["Billing"]["key_person_risk"]


def test_gate_judges_by_topic_once_sessions_cover_topics(team, cli, session_scope):
    from transition.services import gates

    def kt_gate():
        with session_scope(write=False) as s:
            eng = get_engagement(s, ENG)
            facts = gates.gather(s, eng)
            phase = next(p for p in facts.phases if any(
                c.name == "kt_coverage" for c in gates.criteria(p)))  # fmt: skip
            crit = next(c for c in gates.criteria(phase) if c.name == "kt_coverage")
            return crit, gates.judge(crit, phase, facts)

    crit, (passed, why) = kt_gate()
    assert not passed and "system(s)" in why and "topic" not in why  # per system as before
    sid = schedule(cli, "incident-response")
    crit, (passed, why) = kt_gate()
    assert not passed and "CRM: incident-response" in why and "CRM: service-restart" in why
    assert "Billing (" in why  # Billing's KT is not organised by topic: judged per system
    ok(cli("kt", "hold", ENG, sid))
    ok(cli("kt", "signoff", ENG, sid, "--by", "Bob New"))
    crit, (passed, why) = kt_gate()
    if crit.kinds == ["walkthrough"]:
        assert "CRM: incident-response" not in why


def drop(cli):
    ok(cli("engagement", "archive", ENG))
    ok(cli("engagement", "delete", ENG, "--confirm", ENG))


def test_export_import_carries_owners_topics_and_covers(team, cli, db_url, tmp_path):
    ok(cli("system", "owner", ENG, "CRM", "Ann Old", "--as", "owner"))
    ok(cli("system", "topic", ENG, "CRM", "add", "Month-end close"))
    schedule(cli, "Month-end close", "incident-response")
    path = tmp_path / "acme.json"
    ok(cli("export", ENG, "-o", path))
    bundle = json.loads(path.read_text())["engagements"][0]
    assert len(bundle["system_people"]) == 1 and len(bundle["kt_topics"]) == 2
    assert {t["title"] for t in bundle["system_topics"]} == {"Month-end close", "incident-response"}
    before = matrix(cli)
    drop(cli)
    ok(cli("import", path))
    assert matrix(cli) == before
    # An older file without the new sections still imports.
    data = json.loads(path.read_text())
    for name in ("system_people", "system_topics", "kt_topics"):
        del data["engagements"][0][name]
    older = tmp_path / "older.json"
    older.write_text(json.dumps(data))
    drop(cli)
    ok(cli("import", older))
    # A file whose session covers another system's topic is refused.
    data = json.loads(path.read_text())
    billing = next(s["id"] for s in data["engagements"][0]["systems"] if s["name"] == "Billing")
    data["engagements"][0]["system_topics"][0]["system_id"] = billing
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    drop(cli)
    result = cli("import", bad)
    assert result.exit_code == 2 and "not one of the session's system" in result.stderr


def test_coverage_takes_a_bounded_number_of_queries(team, cli, session_scope, count_queries):
    def count() -> int:
        with count_queries() as q, session_scope(write=False) as s:
            kt_topics.coverage_matrix(s, ENG)
        return q.count

    schedule(cli, "incident-response")
    ok(cli("system", "owner", ENG, "CRM", "Ann Old", "--as", "owner"))
    few = count()
    for i in range(8):
        ok(cli("system", "add", ENG, f"Extra {i}"))
        ok(cli("system", "owner", ENG, f"Extra {i}", "Olaf Old", "--as", "sme"))
        ok(cli("system", "topic", ENG, f"Extra {i}", "add", f"Topic {i}"))
        schedule(cli, f"Topic {i}", system=f"Extra {i}")
    assert count() == few <= 8


def test_undo_keeps_a_person_or_system_that_owns_or_has_topics(team, cli):
    ok(cli("person", "add", ENG, "Zed Temp", "--side", "incumbent"))
    ok(cli("system", "add", ENG, "Ledger"))
    ok(cli("system", "owner", ENG, "Ledger", "Zed Temp", "--as", "owner"))
    ok(cli("system", "topic", ENG, "Ledger", "add", "Closing"))
    ok(cli("system", "add", ENG, "Spare"))
    ok(cli("undo", ENG))  # Spare goes: nothing refers to it
    assert "spare" not in {s["slug"] for s in ok(cli("system", "list", ENG, "--json")).json()}
    ok(cli("undo", ENG, "--last", "2"))  # the topic, then the ownership
    # Ledger keeps its (removed) topic: undoing its creation is refused, nothing written.
    refused = cli("undo", ENG)
    assert refused.exit_code == 1 and "its topics" in refused.stderr
    verify_clean(cli)
