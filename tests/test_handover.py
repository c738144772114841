"""The exit-handover checklist: template items, derived items kept in step, show/sync,
ticking, export/import between engagements, checklist validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from transition.errors import NotFound
from transition.handover_checklists import load_checklist, resolve_checklist
from transition.services import access, audit, handover, systems
from transition.services.common import get_engagement

ENG = "acme-helpdesk"
SHIPPED = resolve_checklist("standard-exit")


@pytest.fixture
def team(acme, cli):
    for args in (
        ("system", "add", acme, "CRM"),
        ("system", "add", acme, "Payroll", "--tier", "1"),
        ("person", "add", acme, "Bob New", "--side", "provider"),
        ("person", "add", acme, "Ann Old", "--side", "incumbent"),
    ):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
    return acme


def show(cli, eng=ENG):
    result = cli("handover", "show", eng, "--json")
    assert result.exit_code == 0, result.stderr
    return result.json()


def audit_count(session_scope, eng=ENG) -> int:
    with session_scope(write=False) as s:
        return audit.count(s, get_engagement(s, eng).id)


def test_shipped_checklist_is_instantiated(acme, cli):
    items = show(cli)
    expected = [item.key for _, item in SHIPPED.items()]
    assert [i["key"] for i in items] == expected
    assert {i["source"] for i in items} == {"template"}
    assert all(i["status"] == "open" and i["source_ref"]["checklist"] == "standard-exit"
               for i in items)  # fmt: skip
    first = items[0]
    assert first["section"] == "data" and first["section_title"] == "Data and records"
    assert first["owner"] == "provider-service-manager"
    text = cli("handover", "show", ENG)
    assert text.exit_code == 0 and "Data and records" in text.stdout
    assert "Export all service data in open formats" in text.stdout


def test_derived_items_follow_their_sources(team, cli):
    assert cli("access", "grant", ENG, "--person", "Bob New", "--system", "CRM",
               "--role", "operator").exit_code == 0  # fmt: skip
    assert cli("access", "grant", ENG, "--person", "Ann Old", "--system", "Payroll",
               "--role", "admin", "--justification", "run payroll").exit_code == 0  # fmt: skip
    derived = {i["key"]: i for i in show(cli) if i["source"] == "derived"}
    crm_id = next(
        i["source_id"] for i in derived.values() if i["title"].startswith("Reverse KT of CRM")
    )
    assert derived["grant:1:revoke"]["status"] == "open"
    assert derived["grant:1:revoke"]["source_ref"] == {
        "grant_id": 1, "person": "Bob New", "system": "CRM", "role": "operator"
    }  # fmt: skip
    assert derived[f"system:{crm_id}:reverse-kt"]["source_ref"]["system"] == "CRM"
    assert derived["grant:1:revoke"]["section"] == "access-grants"

    assert cli("access", "revoke", ENG, "1").exit_code == 0
    derived = {i["key"]: i for i in show(cli) if i["source"] == "derived"}
    assert derived["grant:1:revoke"]["status"] == "resolved"
    assert derived["grant:1:revoke"]["resolved_by"] == "tester"

    refused = cli("system", "remove", ENG, "Payroll")  # Ann Old still has access to it
    assert refused.exit_code == 1 and "grant 2 (Ann Old, admin)" in refused.stderr
    assert derived == {i["key"]: i for i in show(cli) if i["source"] == "derived"}
    assert cli("system", "remove", ENG, "Payroll", "--revoke-access", "out of scope").exit_code == 0
    derived = {i["key"]: i for i in show(cli) if i["source"] == "derived"}
    assert derived["grant:2:revoke"]["status"] == "retired"
    payroll = [
        i for i in derived.values() if i["title"] == "Reverse KT of Payroll to the successor"
    ]
    assert [i["status"] for i in payroll] == ["retired"]

    assert cli("system", "add", ENG, "Payroll").exit_code == 0  # back in scope
    derived = {i["key"]: i for i in show(cli) if i["source"] == "derived"}
    assert derived["grant:2:revoke"]["status"] == "resolved"  # revoked on the way out
    assert derived["grant:1:revoke"]["status"] == "resolved"
    assert [i["status"] for i in derived.values() if "Payroll" in i["title"] and
            i["source_kind"] == "system"] == ["open"]  # fmt: skip

    sync = cli("handover", "sync", ENG)
    assert sync.exit_code == 0 and "nothing changed" in sync.stdout
    assert cli("handover", "sync", ENG, "--json").json() == {
        "added": 0, "resolved": 0, "retired": 0, "reopened": 0
    }  # fmt: skip


def test_sync_repairs_drift_and_audits_it(team, session_scope):
    from sqlalchemy import delete, update

    from transition.models import AccessGrant, HandoverItem

    with session_scope() as s:
        eng = get_engagement(s, ENG)
        grants = [
            access.grant(s, eng, person="Bob New", system="CRM", role=f"role-{i}") for i in range(3)
        ]
        ids = [g.id for g in grants]
    with session_scope() as s:  # behind the service's back
        s.execute(
            update(AccessGrant.__table__)
            .where(AccessGrant.id == ids[0])
            .values(revoked_at=grants[0].granted_at)
        )
        s.execute(
            delete(HandoverItem.__table__).where(HandoverItem.key == f"grant:{ids[1]}:revoke")
        )
    before = audit_count(session_scope)
    with session_scope() as s:
        result = handover.reconcile(s, get_engagement(s, ENG))
    assert result == {"added": 1, "resolved": 1, "retired": 0, "reopened": 0}
    assert audit_count(session_scope) == before + 2
    with session_scope() as s:
        assert handover.reconcile(s, get_engagement(s, ENG)) == {
            "added": 0, "resolved": 0, "retired": 0, "reopened": 0
        }  # fmt: skip
    assert audit_count(session_scope) == before + 2


def test_sync_reads_only_what_is_out_of_step_and_keeps_odd_keys_exact(team, session_scope):
    """Renames, removals and a derived item whose key is not its source's: the whole-engagement
    sync finds each in the database and settles it as a full comparison would."""
    from sqlalchemy import delete, select, update

    from transition.models import AccessGrant, HandoverItem, Person, Runbook, System

    with session_scope() as s:
        eng = get_engagement(s, ENG)
        ids = [
            access.grant(s, eng, person="Bob New", system="CRM", role=f"r{i}").id for i in range(3)
        ]
    h = HandoverItem.__table__
    with session_scope() as s:  # behind the service's back
        s.execute(
            update(Person.__table__).where(Person.name == "Bob New").values(name="Bob Renamed")
        )
        s.execute(update(System.__table__).where(System.name == "Payroll").values(name="Pay"))
        s.execute(delete(AccessGrant.__table__).where(AccessGrant.id == ids[0]))
        s.execute(update(h).where(h.c.key == f"grant:{ids[1]}:revoke").values(key="grant:odd"))
        assert s.execute(select(Runbook.id)).first() is None
    with session_scope() as s:
        result = handover.reconcile(s, get_engagement(s, ENG))
    # the odd item has no source of its key: retired, and its grant gets its own item
    assert result == {"added": 1, "resolved": 0, "retired": 2, "reopened": 0}
    with session_scope(write=False) as s:
        rows = {
            key: (status, title)
            for key, status, title in s.execute(select(h.c.key, h.c.status, h.c.title))
        }
    assert rows["grant:odd"][0] == rows[f"grant:{ids[0]}:revoke"][0] == "retired"
    assert rows[f"grant:{ids[1]}:revoke"] == ("open", "Revoke r1 access to CRM for Bob Renamed")
    assert rows[f"grant:{ids[2]}:revoke"] == ("open", "Revoke r2 access to CRM for Bob Renamed")
    assert "Reverse KT of Pay to the successor" in {t for _, t in rows.values()}
    with session_scope() as s:
        assert handover.reconcile(s, get_engagement(s, ENG)) == {
            "added": 0, "resolved": 0, "retired": 0, "reopened": 0
        }  # fmt: skip


def test_tick_static_items_but_not_derived(team, cli, session_scope):
    items = show(cli)
    first = items[0]
    r = cli("handover", "done", ENG, str(first["id"]), "--note", "export accepted by client")
    assert r.exit_code == 0, r.stderr
    ticked = next(i for i in show(cli) if i["id"] == first["id"])
    assert ticked["status"] == "done" and ticked["note"] == "export accepted by client"
    assert ticked["resolved_by"] == "tester"
    assert cli("handover", "done", ENG, first["key"]).exit_code == 1  # already done
    assert cli("handover", "reopen", ENG, first["key"]).exit_code == 0
    assert next(i for i in show(cli) if i["id"] == first["id"])["status"] == "open"

    derived = next(i for i in show(cli) if i["source"] == "derived")
    before = audit_count(session_scope)
    r = cli("handover", "done", ENG, str(derived["id"]))
    assert r.exit_code == 1 and "cannot be ticked by hand" in r.stderr
    for ident in ("99999", "no-such-item"):
        r = cli("handover", "done", ENG, ident)
        assert r.exit_code == 2 and r.stderr.startswith("error: ")
    assert audit_count(session_scope) == before


def test_export_import_round_trip(team, cli, tmp_path):
    assert cli("access", "grant", ENG, "--person", "Bob New", "--system", "CRM",
               "--role", "operator").exit_code == 0  # fmt: skip
    out = tmp_path / "exit.yaml"
    r = cli("handover", "export", ENG, "-o", out)
    assert r.exit_code == 0, r.stderr
    assert (out.stat().st_mode & 0o777) == 0o600
    saved = load_checklist(out)  # a valid checklist, static items only
    assert [i.key for _, i in saved.items()] == [i.key for _, i in SHIPPED.items()]
    stdout = cli("handover", "export", ENG)
    assert stdout.exit_code == 0 and yaml.safe_load(stdout.stdout)["sections"]

    # Add our own item to the saved checklist, then import it into a second engagement.
    data = yaml.safe_load(out.read_text())
    data["sections"][0]["items"].append(
        {
            "key": "gdpr-register",
            "title": "Hand over the GDPR processing register",
            "owner": "dpo",
        }  # fmt: skip
    )
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    assert (
        cli("engagement", "new", "Beta", "--playbook", "managed-service-onboarding").exit_code == 0
    )
    r = cli("handover", "import", "beta", out)
    assert r.exit_code == 0, r.stderr
    assert "added 1 item(s), skipped" in r.stdout
    beta = show(cli, "beta")
    assert len(beta) == len(SHIPPED.items()) + 1
    added = next(i for i in beta if i["key"] == "gdpr-register")
    assert added["source"] == "imported" and added["section"] == "data"
    keys = [i["key"] for i in beta]
    # Shown within its section, after the section's template items.
    assert keys.index("gdpr-register") == len(SHIPPED.sections[0].items)
    again = cli("handover", "import", "beta", out)
    assert again.exit_code == 0 and "added 0 item(s)" in again.stdout
    assert len(show(cli, "beta")) == len(beta)


def test_import_invalid_checklist_reports_lines(team, cli, tmp_path, session_scope):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: broken\n"
        "title: Broken\n"
        "sections:\n"
        "  - key: one\n"
        "    title: One\n"
        "    items:\n"
        "      - key: a\n"
        "        title: A\n"
        "      - key: a\n"
        "        title: Again\n"
        "      - key: Bad Key\n"
        "        title: B\n"
        "        colour: red\n"
    )
    before = audit_count(session_scope)
    r = cli("handover", "import", ENG, bad)
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert all(line.startswith("error: ") for line in lines)
    text = r.stderr
    assert f"{bad}:11:" in text and f"{bad}:13:" in text  # bad key, unknown key
    assert "colour" in text
    assert audit_count(session_scope) == before
    dup = tmp_path / "dup.yaml"
    dup.write_text(
        "name: dup\ntitle: Dup\nsections:\n  - key: one\n    title: One\n    items:\n"
        "      - key: a\n        title: A\n      - key: a\n        title: Again\n"
    )
    r = cli("handover", "import", ENG, dup)
    assert r.exit_code == 2 and f"{dup}:9:" in r.stderr and "duplicate item key 'a'" in r.stderr
    missing = cli("handover", "import", ENG, tmp_path / "nope.yaml")
    assert missing.exit_code == 2 and "not found" in missing.stderr


def test_user_checklist_folder_and_unknown_checklist(cli, tmp_path, setting, monkeypatch):
    folder = tmp_path / "mine"
    (folder / "handover").mkdir(parents=True)
    (folder / "handover" / "short-exit.yaml").write_text(
        "name: short-exit\ntitle: Short exit\nsections:\n  - key: all\n    title: All\n"
        "    items:\n      - key: keys-back\n        title: Give the keys back\n"
    )
    with pytest.raises(NotFound):
        resolve_checklist("short-exit")
    setting("TRANSITION_PLAYBOOKS", str(folder))
    assert resolve_checklist("short-exit").sections[0].items[0].key == "keys-back"
    assert resolve_checklist("standard-exit").name == "standard-exit"  # shipped still found
    shipped = (
        Path(__file__).resolve().parent.parent / "playbooks" / "managed-service-onboarding.yaml"
    )
    handover_playbook = tmp_path / "pb.yaml"
    handover_playbook.write_text(
        shipped.read_text().replace("handover: standard-exit", "handover: short-exit")
    )
    r = cli("engagement", "new", "Gamma", "--playbook", handover_playbook)
    assert r.exit_code == 0, r.stderr
    assert [i["key"] for i in show(cli, "gamma")] == ["keys-back"]
    handover_playbook.write_text(
        shipped.read_text().replace("handover: standard-exit", "handover: no-such-exit")
    )
    r = cli("engagement", "new", "Delta", "--playbook", handover_playbook)
    assert r.exit_code == 2 and "unknown exit checklist 'no-such-exit'" in r.stderr
    assert cli("engagement", "show", "delta").exit_code == 2  # nothing was created


def test_show_and_sync_are_bounded(team, session_scope, count_queries):
    with session_scope() as s:
        eng = get_engagement(s, ENG)
        for i in range(30):
            access.grant(s, eng, person="Bob New", system=("CRM", "Payroll")[i % 2], role=f"r{i}")
        systems.add(s, eng, "Billing")
    with count_queries() as q, session_scope(write=False) as s:
        rows = handover.show(s, get_engagement(s, ENG))
    assert len(rows) == len(SHIPPED.items()) + 30 + 3
    assert q.count <= 6, q.statements
    with count_queries() as q, session_scope() as s:
        handover.reconcile(s, get_engagement(s, ENG))
    assert q.count <= 8, q.statements


def test_sync_query_count_does_not_grow_with_grants(team, tmp_path, session_scope, count_queries):
    counts = []
    for batch, size in (("a", 50), ("b", 1500)):
        path = tmp_path / f"{batch}.csv"
        rows = ["person,system,role,expires,justification"]
        rows += [f"P{batch}{i},System {i % 40},operator,cutover+30d,x" for i in range(size)]
        path.write_text("\n".join(rows) + "\n")
        with session_scope() as s:
            access.import_csv(s, get_engagement(s, ENG), path, create_missing=True)
        with count_queries() as q, session_scope() as s:
            assert handover.reconcile(s, get_engagement(s, ENG)) == {
                "added": 0, "resolved": 0, "retired": 0, "reopened": 0
            }  # fmt: skip
        counts.append(q.count)
    assert counts[0] == counts[1] <= 6, counts


def test_a_new_runbook_derives_its_item_with_its_events_in_one_write(
    team, tmp_path, session_scope, count_queries
):
    from transition.services import runbooks

    before = audit_count(session_scope)
    with count_queries() as q, session_scope() as s:
        eng = get_engagement(s, ENG)
        made = runbooks.generate(
            s, eng, system="CRM", template="incident-response", out_dir=tmp_path
        )
    inserts = [sql for sql in q.statements if sql.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 3, inserts  # the runbook, its item, all their audit events
    with session_scope(write=False) as s:
        events = audit.events(s, ENG)[before:]
        assert audit.verify(s).problems == []
    assert [(e.entity, e.action, e.field) for e in events] == [
        ("runbook", "create", "template"),
        ("runbook", "create", "system"),
        ("runbook", "create", "path"),
        ("runbook", "create", "status"),
        ("runbook", "create", "skeleton_placeholders"),
        ("handover_item", "derive", "status"),
    ]
    [item] = [i for i in show_items(session_scope) if i.source_kind == "runbook"]
    assert item.key == f"runbook:{made.id}:hand-back" and item.status == "open"
    assert item.title == "Hand back runbook Incident response (CRM)"


def test_deriving_an_item_whose_key_is_taken_falls_back_to_reconcile(team, session_scope):
    """A stale item under the same key (an id the database handed out again) is brought
    in step, never duplicated and never an integrity error."""
    from sqlalchemy import insert

    from transition.dates import utcnow
    from transition.models import HandoverItem, Runbook, System

    with session_scope() as s:
        eng = get_engagement(s, ENG)
        crm = s.execute(select_system(System, eng.id, "crm")).scalar_one()
        rid = s.execute(
            insert(Runbook.__table__).values(
                engagement_id=eng.id,
                system_id=crm,
                template="backup-restore",
                title="Backup and restore",
                path=str(Path("x.md")),
                status="drafted",
                skeleton_placeholders=3,
                created_at=utcnow(),
                created_by="tester",
                version=1,
            )
        ).inserted_primary_key[0]
        s.execute(
            insert(HandoverItem.__table__).values(
                engagement_id=eng.id,
                key=f"runbook:{rid}:hand-back",
                section="runbooks",
                title=handover.runbook_item_title("Backup and restore", "CRM"),
                description="",
                position=0,
                source="derived",
                source_kind="runbook",
                source_id=rid,
                status="retired",
                version=1,
            )
        )
    before = audit_count(session_scope)
    with session_scope() as s:
        eng = get_engagement(s, ENG)
        handover.derive_new(
            s,
            eng,
            "runbook",
            rid,
            handover.runbook_item_title("Backup and restore", "CRM"),
            events=[audit.Change("runbook", rid, "create", "status", None, "drafted")],
        )
    items = [i for i in show_items(session_scope) if i.key == f"runbook:{rid}:hand-back"]
    assert [i.status for i in items] == ["open"]  # reopened, one row
    with session_scope(write=False) as s:
        events = audit.events(s, ENG)[before:]
    assert [(e.entity, e.action, e.before, e.after) for e in events] == [
        ("runbook", "create", None, "drafted"),
        ("handover_item", "reopen", "retired", "open"),
    ]


def show_items(session_scope, eng=ENG):
    with session_scope(write=False) as s:
        return handover.show(s, eng)


def select_system(model, eid, slug):
    from sqlalchemy import select

    return select(model.id).where(model.engagement_id == eid, model.slug == slug)
