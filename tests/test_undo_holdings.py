"""``undo`` of a system's people and topics: an owner, SME or backup added or removed, a
topic added or removed, is reverted by writing the inverse change (audited); refused,
with nothing written, when what the change left is not so any more."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from transition.models import AuditEvent

ENG = "acme-helpdesk"


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def team(acme, cli):
    for args in (
        ("system", "add", acme, "CRM", "--tier", "3"),
        ("person", "add", acme, "Ann Old", "--side", "incumbent"),
        ("person", "add", acme, "Bob New", "--side", "provider"),
    ):
        ok(cli(*args))
    return acme


def holders(session_scope) -> set[tuple[str, str]]:
    from transition.services import system_people
    from transition.services.common import get_engagement

    with session_scope(write=False) as s:
        return {(h.person, h.role) for h in system_people.holders(s, get_engagement(s, ENG))}


def topics(session_scope) -> list[str]:
    from transition.services import system_people
    from transition.services.common import get_engagement

    with session_scope(write=False) as s:
        return [t.title for t in system_people.topics_for(s, get_engagement(s, ENG))]


def events(session_scope) -> int:
    with session_scope(write=False) as s:
        return s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def verify_clean(cli) -> None:
    data = ok(cli("audit", ENG, "--verify", "--json")).json()
    assert data["intact"] and data["problems"] == [], data


@pytest.mark.parametrize("role", ["owner", "sme", "backup"])
def test_owner_added_and_removed_are_undone(team, cli, session_scope, role):
    ok(cli("system", "owner", ENG, "CRM", "Ann Old", "--as", role))
    assert holders(session_scope) == {("Ann Old", role)}
    done = ok(cli("undo", ENG)).stdout
    assert f"system crm {role}: Ann Old → (none)" in done
    assert holders(session_scope) == set()
    ok(cli("system", "owner", ENG, "CRM", "Bob New", "--as", role))
    ok(cli("system", "owner", ENG, "CRM", "Bob New", "--as", role, "--remove"))
    ok(cli("undo", ENG))
    assert holders(session_scope) == {("Bob New", role)}
    with session_scope(write=False) as s:
        undo = s.execute(
            select(AuditEvent.field, AuditEvent.before, AuditEvent.after).where(
                AuditEvent.action == "undo", AuditEvent.entity == "system"
            )
        ).all()
    assert [tuple(u) for u in undo] == [(role, "Ann Old", None), (role, None, "Bob New")]
    verify_clean(cli)


def test_topics_added_and_removed_are_undone(team, cli, session_scope):
    defaults = topics(session_scope)
    ok(cli("system", "topic", ENG, "CRM", "add", "Month-end close"))
    assert topics(session_scope) == [*defaults, "Month-end close"]
    ok(cli("undo", ENG))
    assert topics(session_scope) == defaults
    ok(cli("system", "topic", ENG, "CRM", "remove", defaults[0]))
    assert topics(session_scope) == defaults[1:]
    ok(cli("undo", ENG, "--dry-run"))
    assert topics(session_scope) == defaults[1:]
    ok(cli("undo", ENG))
    assert topics(session_scope) == defaults
    # The topic undone can be added again.
    ok(cli("system", "topic", ENG, "CRM", "add", "month end close"))
    verify_clean(cli)


def test_undo_is_refused_when_the_system_changed_since(team, cli, session_scope):
    ok(cli("system", "owner", ENG, "CRM", "Ann Old", "--as", "owner"))
    # Another user gives the system a topic: the ownership change is no longer the last word.
    ok(cli("--actor", "someone-else", "system", "topic", ENG, "CRM", "add", "Billing runs"))
    before = events(session_scope)
    result = cli("undo", ENG)
    assert result.exit_code == 1 and result.stderr.startswith("error:")
    assert "someone-else" in result.stderr and "nothing undone" in result.stderr
    assert events(session_scope) == before
    assert holders(session_scope) == {("Ann Old", "owner")}


def test_undo_is_refused_when_the_person_is_gone(team, cli, session_scope):
    ok(cli("person", "add", ENG, "Zed Temp", "--side", "incumbent"))
    ok(cli("system", "owner", ENG, "CRM", "Zed Temp", "--as", "sme"))
    ok(cli("system", "owner", ENG, "CRM", "Zed Temp", "--as", "sme", "--remove"))
    ok(cli("--actor", "someone-else", "person", "remove", ENG, "Zed Temp"))
    before = events(session_scope)
    result = cli("undo", ENG)
    assert result.exit_code == 1 and "not a person of the engagement now" in result.stderr
    assert events(session_scope) == before
