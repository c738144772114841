"""A newer exit checklist reaches a running engagement three-way: added items, changed text
where it was not changed here, dropped items removed only if untouched, conflicts listed,
refusals that change nothing, and a record of the checklist version followed."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transition.handover_checklists import resolve_checklist
from transition.models import Engagement, HandoverItem
from transition.services import audit, handover_upgrade
from transition.services.common import apply_changes, get_engagement

ENG = "acme-helpdesk"
SHIPPED = Path(__file__).resolve().parent.parent / "playbooks" / "handover" / "standard-exit.yaml"


def shipped() -> dict:
    return yaml.safe_load(SHIPPED.read_text())


def v2() -> dict:
    """The shipped checklist, version 2: one title and one owner changed, one item added,
    two dropped."""
    data = shipped()
    data["version"] = 3
    data_items = data["sections"][0]["items"]
    data_items[0]["title"] = "Export all service data in open formats with a data dictionary"
    data_items[1]["owner"] = "client-service-manager"
    data_items[2]["title"] = "Agree which records are kept after exit"
    data_items.append(
        {"key": "asset-register-export", "title": "Export the asset register", "owner": "x"}
    )
    del data_items[3]  # data-deletion-certificate
    data["sections"][1]["items"].pop(0)  # code-escrow
    return data


def write(tmp_path: Path, data: dict, name: str = "next.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def items(session_scope) -> dict[str, HandoverItem]:
    from sqlmodel import select

    with session_scope(write=False) as s:
        eid = get_engagement(s, ENG).id
        rows = s.exec(select(HandoverItem).where(HandoverItem.engagement_id == eid)).all()
        return {r.key: r for r in rows}


def edit_item(session_scope, key: str, **values) -> None:
    """A local change to an item's text, audited as every change is."""
    from sqlmodel import select

    with session_scope() as s:
        eid = get_engagement(s, ENG).id
        row = s.exec(
            select(HandoverItem).where(HandoverItem.engagement_id == eid, HandoverItem.key == key)
        ).one()
        apply_changes(s, row, eid, "handover_item", values)


def events(session_scope) -> int:
    with session_scope(write=False) as s:
        return audit.count(s, get_engagement(s, ENG).id)


def verified(cli) -> None:
    result = ok(cli("audit", ENG, "--verify"))
    assert "intact" in result.stdout, result.stdout


def test_a_new_engagement_records_the_checklist_it_follows(acme, session_scope):
    with session_scope(write=False) as s:
        eng = get_engagement(s, ENG)
        assert (eng.handover_name, eng.handover_version) == ("standard-exit", 2)
        assert len(eng.handover_hash) == 64
        assert eng.version == 1  # recorded as it was made, not by a later update
        recorded = resolve_checklist("standard-exit").model_dump_json()
        assert eng.handover_json == recorded


def test_upgrade_three_way_dry_run_then_real(acme, cli, session_scope, tmp_path):
    path = write(tmp_path, v2())
    edit_item(session_scope, "record-retention", title="Our own retention wording")
    ok(cli("handover", "done", ENG, "code-escrow", "--note", "repos moved"))
    before = events(session_scope)

    preview = ok(cli("handover", "upgrade", ENG, "--to", path, "--dry-run"))
    assert events(session_scope) == before  # nothing written
    assert "nothing written (dry run)" in preview.stdout
    real = ok(cli("handover", "upgrade", ENG, "--to", path))
    # The dry run shows exactly what the real run then does.
    assert preview.stdout.replace("nothing written (dry run)\n", "") == real.stdout

    out = real.stdout
    assert "checklist standard-exit: v2 -> v3" in out
    assert "changed  data-export-open-formats title:" in out
    assert "changed  data-inventory-reconciliation owner:" in out
    assert "conflict record-retention title: kept 'Our own retention wording'" in out
    assert "added    asset-register-export: Export the asset register" in out
    assert "removed  data-deletion-certificate" in out
    assert "kept     code-escrow: dropped by v3, but it is done here" in out
    assert "1 added, 2 changed, 1 removed, 1 kept, 1 conflict" in out

    rows = items(session_scope)
    assert rows["data-export-open-formats"].title == v2()["sections"][0]["items"][0]["title"]
    assert rows["data-inventory-reconciliation"].owner == "client-service-manager"
    assert rows["record-retention"].title == "Our own retention wording"  # local stays
    assert rows["data-deletion-certificate"].status == "retired"
    assert rows["code-escrow"].status == "done"
    added = rows["asset-register-export"]
    assert (added.status, added.section, added.checklist) == ("open", "data", "standard-exit")
    # Placed at the end of its section, before the next section's items.
    shown = [i["key"] for i in ok(cli("handover", "show", ENG, "--json")).json()]
    assert shown.index("asset-register-export") < shown.index("configuration-iac")

    with session_scope(write=False) as s:
        eng = get_engagement(s, ENG)
        assert eng.handover_version == 3
        assert '"version":3' in eng.handover_json
    verified(cli)

    # Upgrading again to the same version changes nothing.
    again = ok(cli("handover", "upgrade", ENG, "--to", path))
    assert "already follows standard-exit v3: nothing to do" in again.stdout


def test_the_upgrade_is_audited_naming_both_versions(acme, cli, session_scope, tmp_path):
    from sqlmodel import select

    from transition.models import AuditEvent

    ok(cli("handover", "upgrade", ENG, "--to", write(tmp_path, v2())))
    with session_scope(write=False) as s:
        eid = get_engagement(s, ENG).id
        evs = s.exec(select(AuditEvent).where(AuditEvent.engagement_id == eid)).all()
    upgrade = [e for e in evs if e.action == "upgrade"]
    assert [(e.entity, e.field, e.before, e.after) for e in upgrade] == [
        ("engagement", "handover", "standard-exit v2", "standard-exit v3")
    ]
    change = upgrade[0].change_id
    same = [e for e in evs if e.change_id == change]
    assert {(e.entity, e.action) for e in same} >= {
        ("handover_item", "update"),
        ("handover_item", "remove"),
        ("handover_item", "create"),
    }


def test_undo_refuses_an_upgrade_plainly(acme, cli, session_scope, tmp_path):
    ok(cli("handover", "upgrade", ENG, "--to", write(tmp_path, v2())))
    before = events(session_scope)
    result = cli("undo", ENG)
    assert result.exit_code == 1
    assert "an upgrade to a newer template version: it cannot be undone" in result.stderr
    assert "Traceback" not in result.stderr
    assert events(session_scope) == before


def test_default_is_the_newest_checklist_of_the_same_name(acme, cli, setting, tmp_path):
    folder = tmp_path / "mine"
    (folder / "handover").mkdir(parents=True)
    write(folder / "handover", v2(), "standard-exit.yaml")
    setting("TRANSITION_PLAYBOOKS", str(folder))
    result = ok(cli("handover", "upgrade", ENG))
    assert "v2 -> v3" in result.stdout


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.update(version=2), None),  # the baseline for the refusals below
        (lambda d: d.update(name="other-exit", version=2), "is not the exit checklist"),
        (lambda d: d.update(title="Same version, other text"), "give the changed checklist a"),
    ],
)
def test_refusals_change_nothing(acme, cli, session_scope, tmp_path, change, message):
    data = shipped()
    change(data)
    if message is None:
        ok(cli("handover", "upgrade", ENG, "--to", write(tmp_path, data), "--dry-run"))
        return
    before = events(session_scope)
    result = cli("handover", "upgrade", ENG, "--to", write(tmp_path, data))
    assert result.exit_code == 1 and message in result.stderr, result.stderr
    assert result.stderr.count("error:") == 1
    assert events(session_scope) == before


def test_downgrade_is_refused(acme, cli, session_scope, tmp_path):
    ok(cli("handover", "upgrade", ENG, "--to", write(tmp_path, v2())))
    before = events(session_scope)
    result = cli("handover", "upgrade", ENG, "--to", str(SHIPPED))
    assert result.exit_code == 1
    assert "standard-exit v2 is older than v3" in result.stderr
    assert "downgrade is refused" in result.stderr
    assert events(session_scope) == before


def test_an_invalid_file_reports_every_error_and_changes_nothing(
    acme, cli, session_scope, tmp_path
):
    data = v2()
    data["sections"][0]["items"][0]["key"] = "Not A Slug"
    data["sections"][1]["title"] = ""
    before = events(session_scope)
    result = cli("handover", "upgrade", ENG, "--to", write(tmp_path, data))
    assert result.exit_code == 2, result.stderr
    assert result.stderr.count("next.yaml:") >= 2  # every error, each with its place
    assert events(session_scope) == before
    missing = cli("handover", "upgrade", ENG, "--to", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 2 and "not found" in missing.stderr


def test_an_item_dropped_then_brought_back_is_open_again(acme, cli, session_scope, tmp_path):
    ok(cli("handover", "upgrade", ENG, "--to", write(tmp_path, v2())))
    data = v2()
    data["version"] = 4
    data["sections"][0]["items"].append(
        {"key": "data-deletion-certificate", "title": "Delete client data, with a certificate"}
    )
    result = ok(cli("handover", "upgrade", ENG, "--to", write(tmp_path, data, "v3.yaml")))
    assert "restored data-deletion-certificate" in result.stdout
    row = items(session_scope)["data-deletion-certificate"]
    assert (row.status, row.title, row.owner) == (
        "open",
        "Delete client data, with a certificate",
        "",
    )
    verified(cli)


def test_a_dropped_item_ticked_and_reopened_is_kept(acme, cli, session_scope, tmp_path):
    ok(cli("handover", "done", ENG, "data-deletion-certificate"))
    ok(cli("handover", "reopen", ENG, "data-deletion-certificate"))
    result = ok(cli("handover", "upgrade", ENG, "--to", write(tmp_path, v2())))
    assert "kept     data-deletion-certificate: dropped by v3, but it was ticked" in result.stdout
    assert items(session_scope)["data-deletion-certificate"].status == "open"


def test_an_older_engagement_without_a_record_says_so(acme, cli, session_scope, tmp_path):
    with session_scope() as s:
        eng = get_engagement(s, ENG)
        eng.handover_version = eng.handover_hash = eng.handover_json = None
        s.add(eng)
    result = ok(cli("handover", "upgrade", ENG, "--to", write(tmp_path, v2())))
    out = result.stdout
    assert "unrecorded version -> v3" in out
    assert "no record of the checklist as applied" in out
    # Nothing is guessed: text that differs is kept and listed.
    assert "conflict data-export-open-formats title" in out
    assert "added    asset-register-export" in out
    assert "removed  data-deletion-certificate" in out
    rows = items(session_scope)
    original = shipped()["sections"][0]["items"][0]["title"]
    assert rows["data-export-open-formats"].title == original
    with session_scope(write=False) as s:
        assert get_engagement(s, ENG).handover_version == 3
    verified(cli)


def test_import_reports_items_whose_text_differs(acme, cli, session_scope, tmp_path):
    before = items(session_scope)
    result = ok(cli("handover", "import", ENG, write(tmp_path, v2())))
    out = result.stdout
    assert "added 1 item(s)" in out
    assert "data-export-open-formats: title differs here; left as they are" in out
    assert "data-inventory-reconciliation: owner differs here" in out
    assert "handover upgrade acme-helpdesk --to" in out
    after = items(session_scope)
    assert after["data-export-open-formats"].title == before["data-export-open-formats"].title
    with session_scope(write=False) as s:
        assert get_engagement(s, ENG).handover_version == 2  # it follows its own checklist


def test_import_into_an_engagement_without_checklist_records_it(acme, cli, session_scope, tmp_path):
    with session_scope() as s:
        eng = get_engagement(s, ENG)
        for row in s.exec(
            __import__("sqlmodel").select(HandoverItem).where(HandoverItem.engagement_id == eng.id)
        ).all():
            s.delete(row)
        eng.handover_name = eng.handover_version = eng.handover_hash = eng.handover_json = None
        s.add(eng)
    result = ok(cli("handover", "import", ENG, write(tmp_path, v2())))
    assert "acme-helpdesk now follows checklist standard-exit" in result.stdout
    with session_scope(write=False) as s:
        eng = get_engagement(s, ENG)
        assert (eng.handover_name, eng.handover_version) == ("standard-exit", 3)
    refused = cli("undo", ENG)
    assert refused.exit_code == 1 and "cannot" in refused.stderr


def test_no_checklist_to_upgrade_is_refused(acme, cli, session_scope):
    with session_scope() as s:
        eng = get_engagement(s, ENG)
        eng.handover_name = eng.handover_version = eng.handover_hash = eng.handover_json = None
        s.add(eng)
    result = cli("handover", "upgrade", ENG)
    assert result.exit_code == 1 and "has no exit checklist to upgrade" in result.stderr


def test_no_checklist_to_upgrade_is_refused_with_to_as_well(acme, cli, session_scope, tmp_path):
    """An engagement that follows no checklist is not given one by an upgrade (that is
    `handover import`): refused with nothing written, even when --to names a file."""
    with session_scope() as s:
        eng = get_engagement(s, ENG)
        eng.handover_name = eng.handover_version = eng.handover_hash = eng.handover_json = None
        s.add(eng)
    before = events(session_scope)
    for args in ((), ("--dry-run",)):
        result = cli("handover", "upgrade", ENG, "--to", write(tmp_path, v2()), *args)
        assert result.exit_code == 1, (result.stdout, result.stderr)
        assert "has no exit checklist to upgrade" in result.stderr and result.stdout == ""
    assert events(session_scope) == before
    with session_scope(write=False) as s:
        assert get_engagement(s, ENG).handover_name is None


def test_a_retired_item_cannot_be_ticked(acme, cli, tmp_path):
    ok(cli("handover", "upgrade", ENG, "--to", write(tmp_path, v2())))
    result = cli("handover", "done", ENG, "data-deletion-certificate")
    assert result.exit_code == 1 and "dropped from the checklist" in result.stderr
    exported = ok(cli("handover", "export", ENG)).stdout
    assert "data-deletion-certificate" not in exported


TEXT = st.sampled_from(["a", "b", "c"])


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(base=TEXT, ours=TEXT, theirs=TEXT)
def test_each_field_merges_three_way(session_scope, cli, tmp_path, base, ours, theirs):
    """For any base/ours/theirs values of a title: theirs where ours is base, ours where
    theirs is base or both agree, and a conflict (ours kept) otherwise."""
    from sqlmodel import select

    data = shipped()
    data["sections"][0]["items"][0]["title"] = f"title {base}"
    slug = f"m-{base}{ours}{theirs}-{abs(hash((base, ours, theirs, id(tmp_path)))) % 10**6}"
    folder = tmp_path / slug
    folder.mkdir()
    start = write(folder, data, "v1.yaml")
    with session_scope() as s:
        eng = s.exec(select(Engagement)).first()
    if eng is None:
        ok(cli("engagement", "new", "Acme Helpdesk", "--playbook", "managed-service-onboarding",
               "--start", "2026-11-02"))  # fmt: skip
    with session_scope() as s:
        eng = get_engagement(s, ENG)
        rows = s.exec(select(HandoverItem).where(HandoverItem.engagement_id == eng.id)).all()
        for row in rows:
            s.delete(row)
        eng.handover_name = eng.handover_version = eng.handover_hash = eng.handover_json = None
        s.add(eng)
    ok(cli("handover", "import", ENG, start))
    if ours != base:
        edit_item(session_scope, "data-export-open-formats", title=f"title {ours}")
    later = copy.deepcopy(data)
    later["version"] = data["version"] + 1
    later["sections"][0]["items"][0]["title"] = f"title {theirs}"
    result = ok(cli("handover", "upgrade", ENG, "--to", write(folder, later, "v2.yaml")))
    title = items(session_scope)["data-export-open-formats"].title
    if ours == base:
        assert title == f"title {theirs}"
    else:
        assert title == f"title {ours}"
    conflict = ours != base and theirs != base and ours != theirs
    assert ("conflict data-export-open-formats title" in result.stdout) == conflict


def test_the_report_names_the_checklist_version(acme, cli, tmp_path):
    section = ok(cli("report", ENG)).stdout.split("## Exit-handover checklist")[1]
    assert "Checklist: standard-exit v2." in section
    ok(cli("handover", "upgrade", ENG, "--to", write(tmp_path, v2())))
    section = ok(cli("report", ENG)).stdout.split("## Exit-handover checklist")[1]
    assert "Checklist: standard-exit v3." in section
    html = ok(cli("report", ENG, "--format", "html")).stdout
    assert "Checklist: standard-exit v3" in html


def test_export_and_import_keep_the_checklist_record(acme, cli, session_scope, tmp_path):
    import json

    ok(cli("handover", "upgrade", ENG, "--to", write(tmp_path, v2())))
    document = json.loads(ok(cli("export", ENG)).stdout)
    bundle = document["engagements"][0]
    bundle["engagement"]["slug"], bundle["engagement"]["name"] = "acme-copy", "Acme Copy"
    path = tmp_path / "copy.json"
    path.write_text(json.dumps(document))
    ok(cli("import", str(path)))
    with session_scope(write=False) as s:
        copy = get_engagement(s, "acme-copy")
        assert (copy.handover_name, copy.handover_version) == ("standard-exit", 3)
    shown = ok(cli("handover", "show", "acme-copy", "--json")).json()
    assert {i["key"]: i["status"] for i in shown}["data-deletion-certificate"] == "retired"
    ok(cli("audit", "acme-copy", "--verify"))
    # A stored checklist that does not load is refused with its place.
    bundle["engagement"]["slug"], bundle["engagement"]["name"] = "acme-bad", "Acme Bad"
    bundle["engagement"]["handover_json"] = '{"name": "x"}'
    path.write_text(json.dumps(document))
    bad = cli("import", str(path))
    assert bad.exit_code == 2
    assert "engagement.handover_json: not a valid stored exit checklist" in bad.stderr


def test_two_upgrades_at_once_apply_once(acme, session_scope, tmp_path):
    """The second upgrade waits for the first and then finds nothing left to do."""
    import threading

    path = write(tmp_path, v2())
    first_done = threading.Event()
    started = threading.Event()
    results: dict[str, object] = {}

    def first() -> None:
        with session_scope() as s:
            results["first"] = handover_upgrade.upgrade(s, ENG, to=path)
            started.set()
            first_done.wait(2)  # hold the transaction open a moment

    def second() -> None:
        started.wait(10)
        with session_scope() as s:
            results["second"] = handover_upgrade.upgrade(s, ENG, to=path)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    started.wait(10)
    first_done.set()
    for t in threads:
        t.join(30)
    assert results["first"].steps  # type: ignore[attr-defined]
    assert results["second"].steps == []  # type: ignore[attr-defined]
    assert results["second"].from_version == 3  # type: ignore[attr-defined]
    keys = [k for k in items(session_scope) if k == "asset-register-export"]
    assert keys == ["asset-register-export"]


def test_the_preview_reads_a_fixed_number_of_queries(acme, session_scope, count_queries, tmp_path):
    path = write(tmp_path, v2())
    with count_queries() as q, session_scope(write=False) as s:
        result = handover_upgrade.upgrade(s, ENG, to=path, dry_run=True)
    assert result.steps and q.count <= 4, q.count
