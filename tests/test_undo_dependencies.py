"""``undo`` of the dependency map: a dependency added is removed again, one removed is put
back with its kind (both audited as undoing the change); refused, with nothing written,
when the dependency changed since, when putting it back would close a cycle, when a
system of it is gone, or when the removal was recorded without what it takes to put it
back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.safety import dump
from transition.models import AuditEvent, SystemDependency
from transition.services import audit, dependencies
from transition.services.common import get_engagement, get_system

ENG = "acme-helpdesk"


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def refused(result, *words: str) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1
    for word in words:
        assert word in result.stderr, result.stderr
    return result.stderr


@pytest.fixture
def mapped(acme, cli):
    for name in ("Active Directory", "SAP ERP", "Data Warehouse"):
        ok(cli("system", "add", ENG, name))
    ok(cli("system", "depends", ENG, "SAP ERP", "--on", "Active Directory", "--kind", "auth"))
    return acme


def edges(session_scope) -> set[tuple[str, str, str]]:
    with session_scope(write=False) as s:
        return {(d.system, d.depends_on, d.kind) for d in dependencies.dependencies(s, ENG)}


def undo_events(session_scope) -> list[tuple]:
    with session_scope(write=False) as s:
        return [
            tuple(r)
            for r in s.execute(
                select(AuditEvent.field, AuditEvent.before, AuditEvent.after, AuditEvent.undoes)
                .where(AuditEvent.action == "undo", AuditEvent.entity == "system_dependency")
                .order_by(AuditEvent.id)
            )
        ]


def last_change(session_scope) -> str:
    with session_scope(write=False) as s:
        return s.execute(
            select(AuditEvent.change_id).order_by(AuditEvent.id.desc()).limit(1)
        ).scalar_one()


def verify_clean(cli) -> None:
    data = ok(cli("audit", ENG, "--verify", "--json")).json()
    assert data["intact"] and data["problems"] == [], data


BASE = {("SAP ERP", "Active Directory", "auth")}


def test_an_added_dependency_is_removed_again(mapped, cli, session_scope, db_url):
    ok(cli("system", "depends", ENG, "Data Warehouse", "--on", "SAP ERP", "--kind", "batch"))
    added = last_change(session_scope)
    before = dump(db_url)
    dry = ok(cli("undo", ENG, "--dry-run", "--json")).json()
    assert dry["dry_run"] is True
    [change] = dry["changes"]
    assert change["actions"] == ["system_dependency add"]
    assert [
        (f["entity"], f["label"], f["field"], f["now"], f["restored"]) for f in change["fields"]
    ] == [("system_dependency", "Data Warehouse", "depends_on", "SAP ERP (batch)", None)]
    assert dump(db_url) == before
    done = ok(cli("undo", ENG)).stdout
    assert "system dependency Data Warehouse depends_on: SAP ERP (batch) → (none)" in done
    assert edges(session_scope) == BASE
    assert undo_events(session_scope) == [
        ("depends_on", "SAP ERP (batch)", None, added),
        ("system", "Data Warehouse", None, added),
    ]
    verify_clean(cli)
    # An undo is not undone in turn: the next one is the change before (SAP ERP's).
    ok(cli("undo", ENG))
    assert edges(session_scope) == set()


def test_a_removed_dependency_is_put_back_with_its_kind(mapped, cli, session_scope):
    ok(cli("system", "depends", ENG, "SAP ERP", "--on", "Active Directory", "--remove"))
    removed = last_change(session_scope)
    assert edges(session_scope) == set()
    shown = ok(cli("undo", ENG, "--dry-run")).stdout
    assert "system dependency SAP ERP depends_on: (none) → Active Directory" in shown
    assert "system dependency SAP ERP kind: (none) → auth" in shown
    assert edges(session_scope) == set()
    ok(cli("undo", ENG))
    assert edges(session_scope) == BASE
    assert undo_events(session_scope) == [
        ("depends_on", None, "Active Directory", removed),
        ("system", None, "SAP ERP", removed),
        ("kind", None, "auth", removed),
    ]
    verify_clean(cli)


def test_add_then_remove_undone_together(mapped, cli, session_scope):
    ok(cli("system", "depends", ENG, "Data Warehouse", "--on", "SAP ERP"))
    ok(cli("system", "depends", ENG, "Data Warehouse", "--on", "SAP ERP", "--remove"))
    ok(cli("undo", ENG, "--last", "2"))
    assert edges(session_scope) == BASE
    with session_scope(write=False) as s:
        undone = set(s.execute(select(AuditEvent.undoes).where(AuditEvent.undoes.is_not(None))))
    assert len(undone) == 2
    verify_clean(cli)


def test_undoing_an_addition_removed_since_is_refused(mapped, cli, db_url):
    ok(cli("--actor", "ann", "system", "depends", ENG, "Data Warehouse", "--on", "SAP ERP"))
    ok(
        cli(
            "--actor",
            "bob",
            "system",
            "depends",
            ENG,
            "Data Warehouse",
            "--on",
            "SAP ERP",
            "--remove",
        )
    )
    before = dump(db_url)
    refused(cli("--actor", "ann", "undo", ENG), "changed by bob", "nothing undone")
    assert dump(db_url) == before
    # Once bob's removal is undone, ann's addition can be undone.
    ok(cli("--actor", "bob", "undo", ENG))
    ok(cli("--actor", "ann", "undo", ENG))
    verify_clean(cli)


def test_undoing_a_removal_added_again_since_is_refused(mapped, cli, db_url, session_scope):
    ok(
        cli(
            "--actor",
            "ann",
            "system",
            "depends",
            ENG,
            "SAP ERP",
            "--on",
            "Active Directory",
            "--remove",
        )
    )
    ok(
        cli(
            "--actor",
            "bob",
            "system",
            "depends",
            ENG,
            "SAP ERP",
            "--on",
            "Active Directory",
            "--kind",
            "network",
        )
    )
    before = dump(db_url)
    refused(
        cli("--actor", "ann", "undo", ENG),
        "SAP ERP depends on Active Directory (network) again since",
        "nothing undone",
    )
    assert dump(db_url) == before
    assert edges(session_scope) == {("SAP ERP", "Active Directory", "network")}


def test_undoing_a_removal_that_would_close_a_cycle_is_refused(mapped, cli, db_url):
    ok(
        cli(
            "--actor",
            "ann",
            "system",
            "depends",
            ENG,
            "SAP ERP",
            "--on",
            "Active Directory",
            "--remove",
        )
    )
    ok(cli("--actor", "bob", "system", "depends", ENG, "Data Warehouse", "--on", "SAP ERP"))
    ok(
        cli(
            "--actor", "bob", "system", "depends", ENG, "Active Directory", "--on", "Data Warehouse"
        )
    )
    before = dump(db_url)
    refused(
        cli("--actor", "ann", "undo", ENG),
        "a dependency cycle would form: SAP ERP → Active Directory → Data Warehouse → SAP ERP",
    )
    assert dump(db_url) == before


def test_undoing_a_removal_whose_system_was_removed_is_refused(mapped, cli, db_url):
    ok(
        cli(
            "--actor",
            "ann",
            "system",
            "depends",
            ENG,
            "SAP ERP",
            "--on",
            "Active Directory",
            "--remove",
        )
    )
    ok(cli("--actor", "bob", "system", "remove", ENG, "Active Directory"))
    before = dump(db_url)
    refused(cli("--actor", "ann", "undo", ENG), "system Active Directory was removed since")
    assert dump(db_url) == before


def test_a_renamed_system_is_followed(mapped, cli, session_scope):
    ok(
        cli(
            "--actor",
            "ann",
            "system",
            "depends",
            ENG,
            "SAP ERP",
            "--on",
            "Active Directory",
            "--remove",
        )
    )
    ok(cli("--actor", "bob", "system", "set", ENG, "Active Directory", "--name", "Entra ID"))
    ok(cli("--actor", "bob", "system", "add", ENG, "Active Directory"))
    ok(cli("--actor", "ann", "undo", ENG))
    assert edges(session_scope) == {("SAP ERP", "Entra ID", "auth")}
    verify_clean(cli)


def test_a_removal_recorded_without_system_and_kind_is_refused(mapped, cli, session_scope, db_url):
    # A removal as it was recorded before: the target alone, on the deleted row.
    with session_scope(actor="tester") as s:
        engagement = get_engagement(s, ENG)
        sap = get_system(s, engagement, "SAP ERP")
        row = s.execute(
            select(SystemDependency).where(SystemDependency.system_id == sap.id)
        ).scalar_one()
        s.delete(row)
        s.flush()
        audit.record(
            s,
            engagement.id,
            "system_dependency",
            row.id,
            "remove",
            "depends_on",
            "Active Directory",
            None,
        )
    before = dump(db_url)
    said = refused(cli("undo", ENG), "an older record", "system depends")
    assert "Traceback" not in said
    assert dump(db_url) == before
    verify_clean(cli)


def test_a_system_another_depends_on_is_not_taken_away(mapped, cli, db_url, session_scope):
    """Undoing a system's creation would delete the dependencies on it with the row (they
    cascade), unaudited: the system stays while any refers to it."""
    ok(cli("--actor", "ann", "system", "add", ENG, "Billing"))
    ok(cli("--actor", "bob", "system", "depends", ENG, "SAP ERP", "--on", "Billing"))
    before = dump(db_url)
    refused(cli("--actor", "ann", "undo", ENG), "dependencies")
    assert dump(db_url) == before
    assert ("SAP ERP", "Billing", "data") in {(s, d, k) for s, d, k in edges(session_scope)}
