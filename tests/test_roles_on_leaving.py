"""Playbook roles of people who leave or change side: a release ends every role the
person holds, a move to the provider ends their incumbent roles; both in the same
transaction as the release or move, audited, and given back by ``undo``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from transition.models import AuditEvent, Person, RoleAssignment

ENG = "acme-helpdesk"


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def team(acme, cli, clock):
    """Ann (incumbent, leaving, owner of CRM: not ready) holds incumbent-lead and kt-lead; Ivan (incumbent) holds
    incumbent-lead and tooling-engineer; Bob (provider) holds transition-manager."""
    clock.pin(today="2026-12-01")
    for args in (
        ("system", "add", acme, "CRM"),
        ("person", "add", acme, "Ann Old", "--side", "incumbent", "--release", "2026-12-10"),
        ("person", "add", acme, "Ivan Stay", "--side", "incumbent"),
        ("person", "add", acme, "Bob New", "--side", "provider"),
        ("access", "grant", acme, "--person", "Ann Old", "--system", "CRM", "--role", "reader",
         "--expires", "2026-12-31", "--justification", "operations"),
        ("system", "owner", acme, "CRM", "Ann Old", "--as", "owner"),
        ("role", "assign", acme, "incumbent-lead", "Ann Old"),
        ("role", "assign", acme, "kt-lead", "Ann Old"),
        ("role", "assign", acme, "incumbent-lead", "Ivan Stay"),
        ("role", "assign", acme, "tooling-engineer", "Ivan Stay"),
        ("role", "assign", acme, "transition-manager", "Bob New"),
    ):  # fmt: skip
        ok(cli(*args))
    return acme


def roles(session_scope) -> set[tuple[str, str]]:
    with session_scope(write=False) as s:
        return set(
            s.execute(
                select(Person.slug, RoleAssignment.role).join(
                    Person, Person.id == RoleAssignment.person_id
                )
            ).all()
        )


def verify_clean(cli) -> None:
    data = ok(cli("audit", ENG, "--verify", "--json")).json()
    assert data["intact"] and data["problems"] == [], data


BEFORE = {
    ("ann-old", "incumbent-lead"),
    ("ann-old", "kt-lead"),
    ("ivan-stay", "incumbent-lead"),
    ("ivan-stay", "tooling-engineer"),
    ("bob-new", "transition-manager"),
}


def test_a_release_ends_the_persons_roles_in_the_same_change(team, cli, session_scope):
    result = ok(cli("person", "release", ENG, "Ann Old", "--override", "contract ends"))
    assert "role(s) ended: incumbent-lead, kt-lead" in result.stdout
    assert roles(session_scope) == BEFORE - {("ann-old", "incumbent-lead"), ("ann-old", "kt-lead")}
    with session_scope(write=False) as s:
        changes = {
            (e.entity, e.action): e.change_id
            for e in s.execute(
                select(AuditEvent).where(AuditEvent.change_id.is_not(None))
            ).scalars()
        }
    # One change: the release, its revocation and the roles ending.
    assert changes[("role_assignment", "remove")] == changes[("person", "release")]
    assert changes[("access_grant", "revoke")] == changes[("person", "release")]
    listed = {(r["role"], r["person"]) for r in ok(cli("role", "list", ENG, "--json")).json()}
    assert ("kt-lead", None) in listed or all(p != "Ann Old" for _, p in listed)
    verify_clean(cli)
    ok(cli("undo", ENG))
    assert roles(session_scope) == BEFORE
    verify_clean(cli)


def test_a_release_refused_ends_no_role(team, cli, session_scope):
    result = cli("person", "release", ENG, "Ann Old")
    assert result.exit_code == 1 and result.stderr.startswith("error:")
    assert roles(session_scope) == BEFORE


def test_a_move_ends_incumbent_roles_and_keeps_the_others(team, cli, session_scope):
    result = ok(cli("person", "move", ENG, "Ivan Stay", "--to", "provider"))
    assert "role(s) ended: incumbent-lead" in result.stdout
    assert roles(session_scope) == BEFORE - {("ivan-stay", "incumbent-lead")}
    verify_clean(cli)
    ok(cli("undo", ENG))
    assert roles(session_scope) == BEFORE
    verify_clean(cli)


def test_a_move_without_incumbent_roles_says_nothing_of_roles(acme, cli, clock):
    clock.pin(today="2026-12-01")
    ok(cli("person", "add", ENG, "Ida Old", "--side", "incumbent"))
    ok(cli("role", "assign", ENG, "kt-lead", "Ida Old"))
    result = ok(cli("person", "move", ENG, "Ida Old", "--to", "provider"))
    assert "role" not in result.stdout
    assert [r["person"] for r in ok(cli("role", "list", ENG, "--json")).json()
            if r["role"] == "kt-lead"] == ["Ida Old"]  # fmt: skip


def _export(cli, tmp_path, name):
    path = tmp_path / name
    ok(cli("export", ENG, "-o", str(path)))
    data = path.read_text(encoding="utf-8")
    return data[: data.index('"exported_at"')] + data[data.index('"engagements"') :]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("role", "assign", ENG, "kt-lead", "Ann Old"), "cannot take a role"),
        (("role", "assign", ENG, "Brand-new role", "Ann Old"), "cannot take a role"),
        (("system", "owner", ENG, "CRM", "Ann Old", "--as", "sme"), "cannot become an SME"),
        (("system", "owner", ENG, "CRM", "Ann Old", "--as", "backup"), "cannot become a backup"),
    ],
)
def test_a_released_person_takes_no_new_role_nor_system_role(team, cli, tmp_path, args, words):
    """Released, a person's roles ended with them: giving them one again, on the
    engagement or on a system, is refused (exit 1) with nothing written."""
    ok(cli("person", "release", ENG, "Ann Old", "--override", "contract ends"))
    before = _export(cli, tmp_path, "before.json")
    result = cli(*args)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: Ann Old was released on 2026-12-01")
    assert words in result.stderr and result.stdout == ""
    assert _export(cli, tmp_path, "after.json") == before
    # what they held can still be taken away
    ok(cli("system", "owner", ENG, "CRM", "Ann Old", "--as", "owner", "--remove"))
