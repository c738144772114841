"""Adding a removed person or system again brings it back: each field it comes back with
is audited from what it had, and undo takes it off again, as it was."""

from __future__ import annotations

import json

from safety import audit_count
from sqlalchemy import select

from transition import db
from transition.models import AuditEvent, System

ENG = "acme-helpdesk"


def _ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def _state(cli) -> dict:
    """The engagement's rows and exit checklist, without versions, timestamps of the
    checklist's reconciliation or the log."""
    data = json.loads(_ok(cli("export", ENG)).stdout)["engagements"][0]
    data.pop("audit_events")
    for item in data["handover_items"]:
        item.pop("resolved_at")
    text = json.dumps(data, sort_keys=True)
    return json.loads(text, object_hook=lambda d: {k: v for k, v in d.items() if k != "version"})


def test_a_system_brought_back_is_audited_field_by_field(cli, engine, acme):
    _ok(cli("system", "add", ENG, "Fax Line", "--tier", "3", "--description", "old"))
    _ok(cli("system", "remove", ENG, "Fax Line"))
    _ok(cli("system", "add", ENG, "FAX LINE", "--tier", "1", "--description", "new"))
    with db.session_scope(engine, write=False) as s:
        system = s.execute(select(System).where(System.slug == "fax-line")).scalar_one()
        assert (system.name, system.tier, system.description, system.removed_at) == (
            "FAX LINE",
            1,
            "new",
            None,
        )
        events = {
            e.field: (e.before, e.after)
            for e in s.execute(
                select(AuditEvent)
                .where(AuditEvent.entity == "system", AuditEvent.entity_id == system.id)
                .order_by(AuditEvent.id)
            ).scalars()
            if e.action == "create"
        }
    assert events["name"] == ("Fax Line", "FAX LINE")
    assert events["tier"] == ("3", "1")
    assert events["description"] == ("old", "new")
    assert events["removed_at"][0] is not None and events["removed_at"][1] is None
    _ok(cli("audit", ENG, "--verify"))


def test_undo_takes_a_brought_back_system_off_again(cli, engine, acme):
    _ok(cli("system", "add", ENG, "Fax Line", "--tier", "3"))
    _ok(cli("system", "remove", ENG, "Fax Line"))
    before = _state(cli)
    _ok(cli("system", "add", ENG, "fax line", "--tier", "1"))
    assert "fax-line" in _ok(cli("system", "list", ENG)).stdout
    out = _ok(cli("undo", ENG)).stdout
    assert "tier: 1 → 3" in out and "name: fax line → Fax Line" in out
    assert _state(cli) == before
    assert "fax-line" not in _ok(cli("system", "list", ENG)).stdout
    _ok(cli("audit", ENG, "--verify"))


def test_undo_takes_a_brought_back_person_off_again(cli, engine, acme):
    _ok(cli("person", "add", ENG, "Omar Haddad", "--side", "client", "--role", "buyer"))
    _ok(cli("person", "remove", ENG, "Omar Haddad"))
    before = _state(cli)
    _ok(cli("person", "add", ENG, "OMAR HADDAD", "--side", "incumbent", "--email", "o@x.example"))
    _ok(cli("undo", ENG))
    assert _state(cli) == before
    assert "omar-haddad" not in _ok(cli("person", "list", ENG)).stdout
    # And it can be brought back again.
    _ok(cli("person", "add", ENG, "Omar Haddad", "--side", "client"))


def test_undo_of_a_bring_back_is_refused_while_the_person_holds_access(cli, engine, acme):
    _ok(cli("system", "add", ENG, "CRM"))
    _ok(cli("person", "add", ENG, "Omar Haddad", "--side", "client"))
    _ok(cli("person", "remove", ENG, "Omar Haddad"))
    _ok(cli("person", "add", ENG, "Omar Haddad", "--side", "client"))
    _ok(
        cli(
            "--actor", "bob", "access", "grant", ENG, "--person", "Omar Haddad",
            "--system", "CRM", "--role", "reader", "--expires", "2027-01-31",
        )
    )  # fmt: skip
    before = audit_count(engine)
    result = cli("undo", ENG)
    assert result.exit_code == 1, result.stdout
    assert result.stderr.startswith("error: ") and "grant" in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert audit_count(engine) == before
    assert "omar-haddad" in _ok(cli("person", "list", ENG)).stdout


def test_undoing_a_rename_whose_old_slug_was_taken_since_names_the_holder(cli, engine, acme):
    _ok(cli("system", "add", ENG, "Omega"))
    _ok(cli("system", "set", ENG, "Omega", "--name", "Psi"))
    _ok(cli("--actor", "bob", "system", "add", ENG, "OMEGA"))
    before = audit_count(engine)
    result = cli("undo", ENG)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert (
        "it would give system psi its old slug 'omega' back, which the system 'OMEGA' has "
        "now; rename one of them first (nothing undone)"
    ) in result.stderr
    assert audit_count(engine) == before


def test_undoing_an_engagement_rename_whose_old_slug_was_taken_is_refused(cli, engine, acme):
    _ok(cli("engagement", "set", ENG, "--name", "Acme Service Desk"))
    _ok(
        cli(
            "--actor", "bob", "engagement", "new", "ACME Helpdesk",
            "--playbook", "managed-service-onboarding",
        )
    )  # fmt: skip
    result = cli("undo", "acme-service-desk")
    assert result.exit_code == 1, result.stderr
    assert "its old slug 'acme-helpdesk' back, which the engagement 'ACME Helpdesk'" in (
        result.stderr
    )
    assert "acme-service-desk" in _ok(cli("engagement", "list")).stdout
