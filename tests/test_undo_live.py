"""Undo does not bring access or a planned KT session back to life for a person or a
system removed since (``person remove`` and ``system remove`` refuse while those are
live): refused, exit 1, nothing written. Undoing the removal itself still works."""

from __future__ import annotations

import json

import pytest
from safety import refused_unwritten

ENG = "acme-helpdesk"


def _ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def _grant(cli, person: str, system: str) -> int:
    _ok(
        cli(
            "access", "grant", ENG, "--person", person, "--system", system,
            "--role", "reader", "--expires", "2027-01-31", "--justification", "audit",
        )
    )  # fmt: skip
    return max(g["id"] for g in json.loads(_ok(cli("access", "list", ENG, "--json")).stdout))


def _active(cli) -> list[int]:
    rows = json.loads(_ok(cli("access", "list", ENG, "--active", "--json")).stdout)
    return [g["id"] for g in rows]


@pytest.fixture
def scope(cli, acme):
    _ok(cli("system", "add", ENG, "Ledger"))
    _ok(cli("person", "add", ENG, "Nia Obi", "--side", "incumbent"))
    _ok(cli("person", "add", ENG, "Lea New", "--side", "provider"))


def test_a_revocation_is_not_undone_for_a_person_removed_since(cli, engine, scope):
    grant = _grant(cli, "Nia Obi", "Ledger")
    _ok(cli("access", "revoke", ENG, str(grant), "--reason", "left the team"))
    _ok(cli("--actor", "bob", "person", "remove", ENG, "Nia Obi"))
    message = refused_unwritten(cli, engine, "undo", ENG)
    assert f"grant {grant} would be active again for person Nia Obi" in message
    assert grant not in _active(cli)


def test_a_revocation_is_not_undone_for_a_system_removed_since(cli, engine, scope):
    grant = _grant(cli, "Lea New", "Ledger")
    _ok(cli("access", "revoke", ENG, str(grant), "--reason", "not needed"))
    _ok(cli("--actor", "bob", "system", "remove", ENG, "Ledger"))
    message = refused_unwritten(cli, engine, "undo", ENG)
    assert "system Ledger" in message
    assert grant not in _active(cli)
    checklist = json.loads(_ok(cli("handover", "show", ENG, "--json")).stdout)
    item = next(i for i in checklist if i["key"] == f"grant:{grant}:revoke")
    assert item["status"] != "open"


def test_a_cancelled_session_is_not_planned_again_with_a_person_removed_since(cli, engine, scope):
    _ok(
        cli(
            "kt", "schedule", ENG, "--system", "Ledger", "--topic", "Month end",
            "--presenter", "Nia Obi", "--attendee", "Lea New", "--at", "2026-12-08T10:00",
        )
    )  # fmt: skip
    session_id = json.loads(_ok(cli("kt", "list", ENG, "--json")).stdout)[-1]["id"]
    _ok(cli("kt", "cancel", ENG, str(session_id), "--reason", "merged"))
    _ok(cli("--actor", "bob", "person", "remove", ENG, "Nia Obi"))
    message = refused_unwritten(cli, engine, "undo", ENG)
    assert f"KT session {session_id} would be planned again with Nia Obi" in message


def test_removing_a_system_with_its_access_is_still_undone_whole(cli, engine, scope):
    grant = _grant(cli, "Lea New", "Ledger")
    _ok(cli("system", "remove", ENG, "Ledger", "--revoke-access", "out of scope"))
    _ok(cli("undo", ENG))
    assert grant in _active(cli)
    assert "ledger" in _ok(cli("system", "list", ENG)).stdout
    _ok(cli("audit", ENG, "--verify"))
