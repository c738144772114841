"""Undo reads the people its events name as they were named then: a person renamed since,
whose old name someone else took, is still the one put back (or checked)."""

from __future__ import annotations

import json

ENG = "acme-helpdesk"
TASK = "stakeholder-map"


def _ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def _assignee(cli) -> str | None:
    return json.loads(_ok(cli("task", "show", ENG, TASK, "--json")).stdout)["assignee"]


def _rename_and_reuse(cli, old: str, new: str, side: str = "client") -> None:
    """Someone else renames ``old`` to ``new`` and adds another person called ``old``."""
    _ok(cli("--actor", "bob", "person", "set", ENG, old, "--name", new))
    _ok(cli("--actor", "bob", "person", "add", ENG, old, "--side", side))


def test_undo_puts_back_the_assignee_it_replaced_not_their_namesake(cli, acme):
    _ok(cli("person", "add", ENG, "Sam Ode", "--side", "provider"))
    _ok(cli("person", "add", ENG, "Ann Lee", "--side", "provider"))
    _ok(cli("--actor", "bob", "task", "assign", ENG, TASK, "Sam Ode"))
    _ok(cli("task", "assign", ENG, TASK, "Ann Lee"))
    _rename_and_reuse(cli, "Sam Ode", "Samuel Ode")
    _ok(cli("undo", ENG))
    assert _assignee(cli) == "Samuel Ode"
    _ok(cli("audit", ENG, "--verify"))


def test_undo_of_an_assignment_to_someone_renamed_since_is_not_refused(cli, acme):
    _ok(cli("person", "add", ENG, "Tom Ray", "--side", "provider"))
    _ok(cli("task", "assign", ENG, TASK, "Tom Ray"))
    _rename_and_reuse(cli, "Tom Ray", "Tim Ray")
    out = _ok(cli("undo", ENG)).stdout
    assert "assignee: Tom Ray → (none)" in out
    assert _assignee(cli) is None


def test_undo_of_a_kt_attendee_follows_the_person_not_the_name(cli, acme):
    for name, side in (("Kai Old", "incumbent"), ("Lea New", "provider"), ("Max New", "provider")):
        _ok(cli("person", "add", ENG, name, "--side", side))
    _ok(cli("system", "add", ENG, "CRM"))
    _ok(
        cli(
            "kt", "schedule", ENG, "--system", "CRM", "--topic", "Batch", "--presenter",
            "Kai Old", "--attendee", "Lea New", "--at", "2026-12-08T10:00",
        )
    )  # fmt: skip
    session_id = str(json.loads(_ok(cli("kt", "list", ENG, "--json")).stdout)[-1]["id"])
    _ok(cli("kt", "set", ENG, session_id, "--add-attendee", "Max New"))
    _rename_and_reuse(cli, "Max New", "Maxime New", side="provider")
    _ok(cli("undo", ENG))
    [session] = [s for s in json.loads(_ok(cli("kt", "list", ENG, "--json")).stdout)]
    assert session["attendees"] == ["Lea New"]


def test_undo_gives_a_role_back_to_the_person_it_was_taken_from(cli, acme):
    _ok(cli("person", "add", ENG, "Wes Hale", "--side", "provider"))
    _ok(cli("role", "assign", ENG, "tooling-engineer", "Wes Hale"))
    _ok(cli("role", "assign", ENG, "tooling-engineer", "Wes Hale", "--remove"))
    _rename_and_reuse(cli, "Wes Hale", "Wesley Hale")
    _ok(cli("undo", ENG))
    roles = _ok(cli("role", "list", ENG)).stdout
    [line] = [row for row in roles.splitlines() if row.startswith("tooling-engineer")]
    assert "Wesley Hale" in line


def test_undo_gives_a_system_back_to_the_owner_it_was_taken_from(cli, acme):
    _ok(cli("system", "add", ENG, "CRM"))
    _ok(cli("person", "add", ENG, "Ola Berg", "--side", "incumbent"))
    _ok(cli("system", "owner", ENG, "CRM", "Ola Berg", "--as", "owner"))
    _ok(cli("system", "owner", ENG, "CRM", "Ola Berg", "--as", "owner", "--remove"))
    _rename_and_reuse(cli, "Ola Berg", "Olaug Berg", side="incumbent")
    _ok(cli("undo", ENG))
    [crm] = json.loads(_ok(cli("system", "list", ENG, "--json")).stdout)
    assert crm["owners"] == ["Olaug Berg (owner)"]
