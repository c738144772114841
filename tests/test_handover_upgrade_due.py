"""A newer exit checklist moves the due offsets of items the engagement already has,
three-way like their text: only where the engagement did not change the offset itself."""

from __future__ import annotations

import pytest

from tests.test_handover_upgrade import ENG, edit_item, items, ok, shipped, write


def later() -> dict:
    """The next version: three due offsets changed, one dropped, one item added with a due."""
    data = shipped()
    data["version"] += 1
    data_items = data["sections"][0]["items"]
    data_items[0]["due"] = "exit-45d"  # data-export-open-formats, was exit-30d
    data_items[1]["due"] = "notice+3w"  # data-inventory-reconciliation, was notice+2w
    data_items[2]["due"] = "exit-25bd"  # record-retention, was exit-20bd
    del data_items[3]["due"]  # data-deletion-certificate, was exit+30d
    data_items.append(
        {"key": "asset-register-export", "title": "Export the asset register", "owner": "x",
         "due": "exit-15d"}
    )  # fmt: skip
    return data


@pytest.fixture
def dated(acme, cli):
    ok(cli("engagement", "set", ENG, "--notice", "2027-01-04", "--exit", "2027-04-30"))
    return ENG


def test_an_upgrade_moves_due_offsets_three_way(dated, cli, session_scope, tmp_path):
    # The engagement moved one item's due itself; another it set to what the new version says.
    edit_item(session_scope, "data-inventory-reconciliation", due_rule="notice+1w")
    edit_item(session_scope, "record-retention", due_rule="exit-25bd")
    before = {i["key"]: i for i in ok(cli("handover", "show", ENG, "--json")).json()}
    path = write(tmp_path, later())

    preview = ok(cli("handover", "upgrade", ENG, "--to", path, "--dry-run"))
    out = preview.stdout
    assert "changed  data-export-open-formats due: 'exit-30d' -> 'exit-45d'" in out
    assert "changed  data-deletion-certificate due: 'exit+30d' -> ''" in out
    assert (
        "conflict data-inventory-reconciliation due: kept 'notice+1w' (v3: 'notice+3w'); "
        "changed here and in the new version" in out
    )
    assert "record-retention due" not in out  # both made the same change
    real = ok(cli("handover", "upgrade", ENG, "--to", path))
    assert preview.stdout.replace("nothing written (dry run)\n", "") == real.stdout

    rows = items(session_scope)
    assert rows["data-export-open-formats"].due_rule == "exit-45d"
    assert rows["data-inventory-reconciliation"].due_rule == "notice+1w"  # local stays
    assert rows["record-retention"].due_rule == "exit-25bd"
    assert rows["data-deletion-certificate"].due_rule is None
    assert rows["asset-register-export"].due_rule == "exit-15d"
    after = {i["key"]: i for i in ok(cli("handover", "show", ENG, "--json")).json()}
    assert before["data-export-open-formats"]["due_date"] == "2027-03-31"
    assert after["data-export-open-formats"]["due_date"] == "2027-03-16"  # 45 days before exit
    assert after["data-deletion-certificate"]["due_date"] is None
    assert after["asset-register-export"]["due_date"] == "2027-04-15"
    assert "intact" in ok(cli("audit", ENG, "--verify")).stdout


def test_a_moved_due_is_audited_and_nothing_changes_on_a_refusal(dated, cli, tmp_path):
    path = write(tmp_path, later())
    ok(cli("handover", "upgrade", ENG, "--to", path))
    trail = ok(cli("audit", ENG, "--json")).json()
    moved = [e for e in trail if e["field"] == "due_rule" and e["after"] == "exit-45d"]
    assert len(moved) == 1
    again = cli("handover", "upgrade", ENG, "--to", write(tmp_path, shipped(), "old.yaml"))
    assert again.exit_code == 1 and "downgrade" in again.stderr
    assert ok(cli("audit", ENG, "--json")).json() == trail
