"""``engagement new NAME --exit-of ENG --playbook exit-to-successor``: the exit of a running
engagement, started in one audited transaction: people with their sides re-cast, systems,
owners and topics carried over, every grant in force and every runbook an item of the
exit's checklist; one exit per engagement."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from sqlalchemy import select

from tests.conftest import ROOT
from tests.safety import assert_clean_error
from transition.models import Engagement, HandoverItem, Person, SystemPerson, SystemTopic
from transition.services import audit, exit_start
from transition.services.common import get_engagement

ENG = "acme-helpdesk"
EXIT = "acme-exit"


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def running(cli, tmp_path, grants: int = 1) -> None:
    """Acme with people of every side, a system with an owner and a topic, grants (one
    revoked) and a runbook; notice given."""
    ok(cli("person", "add", ENG, "Ann Old", "--side", "incumbent"))
    ok(cli("person", "add", ENG, "Bob New", "--side", "provider", "--role", "Engineer"))
    ok(cli("person", "add", ENG, "Chiyo 千代", "--side", "client"))
    ok(cli("person", "add", ENG, "Dan Gone", "--side", "provider"))
    ok(cli("person", "remove", ENG, "Dan Gone"))
    ok(cli("system", "add", ENG, "CRM", "--tier", "1"))
    ok(cli("system", "owner", ENG, "CRM", "Bob New", "--as", "owner"))
    ok(cli("system", "owner", ENG, "CRM", "Ann Old", "--as", "sme"))
    ok(cli("system", "topic", ENG, "CRM", "add", "Month end"))
    for n in range(grants):
        ok(cli("access", "grant", ENG, "--person", "Bob New", "--system", "CRM",
               "--role", f"role{n}"))  # fmt: skip
    ok(cli("access", "grant", ENG, "--person", "Chiyo 千代", "--system", "CRM", "--role", "x"))
    ok(cli("access", "revoke", ENG, str(grants + 1), "--reason", "left"))
    ok(cli("runbook", "new", ENG, "--system", "CRM", "--template", "incident-response",
           "--out", tmp_path / "rb"))  # fmt: skip
    ok(cli("engagement", "set", ENG, "--notice", "2027-02-01", "--exit", "2027-04-30"))


def test_the_exit_carries_people_systems_and_items_over(cli, acme, tmp_path, session_scope):
    running(cli, tmp_path)
    result = ok(cli("engagement", "new", "Acme exit", "--exit-of", ENG, "--playbook",
                    "exit-to-successor", "--provider", "NextCo"))  # fmt: skip
    assert "NewCo handing over to NextCo" in result.stdout
    shown = ok(cli("engagement", "show", EXIT, "--json")).json()
    assert (shown["client"], shown["incumbent"], shown["provider"]) == ("Acme", "NewCo", "NextCo")
    assert (shown["exit_of"], shown["notice_date"], shown["exit_date"]) == (
        ENG,
        "2027-02-01",
        "2027-04-30",
    )
    assert shown["start_date"] == "2027-02-01"  # from the notice
    assert ok(cli("engagement", "show", ENG, "--json")).json()["exit_engagement"] == EXIT
    with session_scope(write=False) as s:
        new = get_engagement(s, EXIT)
        people = {
            p.name: p for p in s.scalars(select(Person).where(Person.engagement_id == new.id))
        }
        assert {n: p.side for n, p in people.items()} == {
            "Bob New": "incumbent",
            "Chiyo 千代": "client",
        }
        assert people["Bob New"].release_date == date(2027, 4, 30)  # leaves by the exit
        assert people["Bob New"].role == "Engineer"
        owners = s.scalars(select(SystemPerson).where(SystemPerson.engagement_id == new.id))
        assert [(o.person_id, o.role) for o in owners] == [(people["Bob New"].id, "owner")]
        topics = s.scalars(select(SystemTopic.title).where(SystemTopic.engagement_id == new.id))
        assert "Month end" in set(topics)
        items = {
            i.key: i
            for i in s.scalars(select(HandoverItem).where(HandoverItem.engagement_id == new.id))
        }
        carried = sorted(k for k, i in items.items() if i.source == "carried")
        assert carried == ["hand-back-runbook-1", "revoke-grant-1"]  # the revoked one is not
        assert items["revoke-grant-1"].title == "Terminate Bob New's role0 access on CRM"
        assert items["revoke-grant-1"].due_rule == "exit"
        assert any(i.source_kind == "system" for i in items.values())  # reverse KT derived
        events = audit.count(s, new.id)
        assert events > len(items)
    rows = ok(cli("handover", "show", EXIT, "--json")).json()
    due = {r["key"]: r["due_date"] for r in rows}
    assert (due["revoke-grant-1"], due["hand-back-runbook-1"]) == ("2027-04-30", "2027-04-16")
    assert ok(cli("handover", "done", EXIT, "revoke-grant-1", "--note", "disabled"))
    assert ok(cli("audit", EXIT, "--verify"))
    assert ok(cli("audit", ENG, "--verify"))


def test_without_a_successor_the_client_takes_the_service_back(cli, acme, session_scope):
    ok(cli("engagement", "new", "Acme exit", "--exit-of", ENG, "--playbook", "exit-to-successor"))
    shown = ok(cli("engagement", "show", EXIT, "--json")).json()
    assert (shown["incumbent"], shown["provider"]) == ("NewCo", "Acme")


def test_refusals_change_nothing(cli, acme, session_scope):
    def engagements() -> int:
        with session_scope(write=False) as s:
            return len(s.scalars(select(Engagement.id)).all())

    new = ("engagement", "new", "Acme exit", "--playbook", "exit-to-successor")
    assert_clean_error(cli(*new, "--exit-of", "nope"), 2)
    assert_clean_error(cli(*new, "--exit-of", ENG, "--model", "project"), 2)
    assert_clean_error(cli(*new, "--exit-of", ENG, "--incumbent", "X"), 2)
    assert_clean_error(cli(*new, "--exit-of", ENG, "--playbook", "no-such-book"), 2)
    onboarding = cli(*new, "--exit-of", ENG, "--playbook", "managed-service-onboarding")
    assert_clean_error(onboarding, 2)
    assert "'managed-service-onboarding' is not an exit playbook" in onboarding.stderr
    assert engagements() == 1
    ok(cli(*new, "--exit-of", ENG))
    second = cli("engagement", "new", "Acme exit two", "--playbook", "exit-to-successor",
                 "--exit-of", ENG)  # fmt: skip
    assert_clean_error(second, 1)
    assert "has an exit engagement already: acme-exit" in second.stderr
    assert engagements() == 2


def test_an_exit_starts_from_any_playbook_of_kind_exit(cli, acme, tmp_path):
    shipped = (ROOT / "playbooks" / "exit-to-successor.yaml").read_text(encoding="utf-8")
    assert "\nkind: exit\n" in shipped
    mine = tmp_path / "our-exit.yaml"
    mine.write_text(shipped.replace("name: exit-to-successor", "name: our-exit"), "utf-8")
    ok(cli("engagement", "new", "Acme exit", "--exit-of", ENG, "--playbook", str(mine)))
    unmarked = tmp_path / "unmarked-exit.yaml"
    unmarked.write_text(shipped.replace("\nkind: exit\n", "\n"), "utf-8")
    refused = cli("engagement", "new", "Acme exit 2", "--exit-of", ENG, "--playbook", str(unmarked))
    assert_clean_error(refused, 2)
    assert "(kind: onboarding)" in refused.stderr


def test_one_exit_per_engagement_is_a_database_promise(cli, acme, session_scope):
    from transition.errors import Refused

    ok(cli("engagement", "new", "Acme exit", "--exit-of", ENG, "--playbook", "exit-to-successor"))
    ok(cli("engagement", "new", "Other", "--playbook", "exit-to-successor"))
    with pytest.raises(Refused), session_scope() as s:
        other = get_engagement(s, "other")
        other.exit_of_id = get_engagement(s, ENG).id
        s.add(other)
        s.flush()


@pytest.mark.parametrize("grants", [1, 12])
def test_starting_the_exit_takes_a_bounded_number_of_queries(
    cli, acme, tmp_path, session_scope, count_queries, grants
):
    running(cli, tmp_path, grants)
    with session_scope() as s, count_queries() as q:
        made = exit_start.start_exit(s, name="Acme exit", exit_of=ENG, provider="NextCo")
    assert made.grant_items == grants
    assert q.count <= 80, q.count


def test_an_export_keeps_the_exit_link_when_both_come_along(cli, acme, tmp_path):
    ok(cli("engagement", "new", "Acme exit", "--exit-of", ENG, "--playbook", "exit-to-successor"))
    whole, alone = tmp_path / "all.json", tmp_path / "exit.json"
    ok(cli("export", "-o", whole))
    ok(cli("export", EXIT, "-o", alone))
    for slug in (ENG, EXIT):
        ok(cli("engagement", "archive", slug))
        ok(cli("engagement", "delete", slug, "--confirm", slug))
        if slug == ENG:  # the exit stays, without a link to an id that may be reused
            assert ok(cli("engagement", "show", EXIT, "--json")).json()["exit_of"] is None
    ok(cli("import", alone))  # its running engagement is not there: no link
    assert ok(cli("engagement", "show", EXIT, "--json")).json()["exit_of"] is None
    ok(cli("engagement", "archive", EXIT))
    ok(cli("engagement", "delete", EXIT, "--confirm", EXIT))
    ok(cli("import", whole))
    assert ok(cli("engagement", "show", EXIT, "--json")).json()["exit_of"] == ENG
    assert ok(cli("engagement", "show", ENG, "--json")).json()["exit_engagement"] == EXIT


def shown(cli) -> list[tuple]:
    """The exit's checklist as `handover show` gives it, row ids aside (an import renumbers
    the rows, and a derived item's key holds its source's id)."""
    rows = ok(cli("handover", "show", EXIT, "--json")).json()
    fields = ("title", "source", "status", "due_date", "note", "resolved_by")
    return sorted(tuple(r[f] for f in fields) for r in rows)


def test_an_exit_with_carried_items_travels_through_export_and_import(cli, acme, tmp_path):
    """The items an exit carries over (a revocation per grant in force, a hand-back per
    runbook) are restored by `import` as they were exported."""
    running(cli, tmp_path)
    ok(cli("engagement", "new", "Acme exit", "--exit-of", ENG, "--playbook",
           "exit-to-successor", "--provider", "NextCo"))  # fmt: skip
    ok(cli("handover", "done", EXIT, "revoke-grant-1", "--note", "disabled"))
    first, again = tmp_path / "first.json", tmp_path / "again.json"
    ok(cli("export", "-o", first))
    before = shown(cli)
    for slug in (EXIT, ENG):
        ok(cli("engagement", "archive", slug))
        ok(cli("engagement", "delete", slug, "--confirm", slug))
    ok(cli("import", first))
    assert shown(cli) == before
    ok(cli("export", "-o", again))
    exported = [json.loads(p.read_text())["engagements"] for p in (first, again)]
    # A derived item's key holds its source's id, which an import renumbers.
    items = [
        sorted(
            (re.sub(r"^(\w+):\d+:", r"\1:#:", i["key"]), i["source"], i["status"])
            for e in x
            for i in e["handover_items"]
        )
        for x in exported
    ]
    assert items[0] == items[1]
    assert ("revoke-grant-1", "carried", "done") in items[0]


def _slugs(session_scope) -> list[str]:
    with session_scope(write=False) as s:
        return s.scalars(select(Engagement.slug).order_by(Engagement.slug)).all()


def _handed_to_itself(cli, session_scope, source: str, *successor: str) -> None:
    before = _slugs(session_scope)
    refused = cli("engagement", "new", "Handed to itself", "--exit-of", source, "--playbook",
                  "exit-to-successor", *successor)  # fmt: skip
    assert_clean_error(refused, 2)
    assert "is the outgoing provider of" in refused.stderr and "--provider" in refused.stderr
    assert _slugs(session_scope) == before


def test_the_outgoing_provider_is_not_named_its_own_successor(cli, acme, session_scope):
    _handed_to_itself(cli, session_scope, ENG, "--provider", "newco")
    ok(cli("engagement", "new", "Acme exit", "--exit-of", ENG, "--playbook",
           "exit-to-successor", "--provider", "NextCo"))  # fmt: skip


def test_the_exit_of_an_exit_back_in_house_names_a_successor(cli, acme, session_scope):
    """The client took the service back (it is the exit's provider): exiting that exit
    without a successor would hand the service from the client to the client."""
    ok(cli("engagement", "new", "Acme exit", "--exit-of", ENG, "--playbook", "exit-to-successor"))
    _handed_to_itself(cli, session_scope, EXIT)
    result = ok(cli("engagement", "new", "Acme re-exit", "--exit-of", EXIT, "--playbook",
                    "exit-to-successor", "--provider", "LaterCo"))  # fmt: skip
    assert "Acme handing over to LaterCo" in result.stdout
