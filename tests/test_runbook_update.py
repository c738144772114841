"""Improved runbook templates reach written runbooks: a three-way merge that keeps every
edit, conflicts written with markers and flagged, a dry run that says exactly what the run
then does, and the lifecycle and audit log kept in step."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from safety import assert_clean_error, dump

V1 = """---
title: Failover
version: 1
variables:
  site:
    required: true
---
# {{ system.name }} failover to {{ site }}

## Before
[[FILL: what to check before failing over]]

## Steps
1. Announce on the bridge.
2. [[FILL: the switch itself]]

## Contacts
Owner: {{ incumbent_owner.name }}
"""

# v2: a new section before the contacts, and the first step reworded.
V2 = (
    V1.replace("version: 1", "version: 2")
    .replace("1. Announce on the bridge.", "1. Announce on the bridge and in the ticket.")
    .replace("## Contacts", "## Afterwards\n[[FILL: how to fail back]]\n\n## Contacts")
)


@pytest.fixture
def eng(cli, acme, tmp_path, clock, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    clock.pin(today="2026-11-20")
    for args in (
        ("system", "add", acme, "SAP ERP", "--tier", "1"),
        ("person", "add", acme, "Olga Old", "--side", "incumbent", "--role", "Service owner"),
        ("person", "add", acme, "Pat Pro", "--side", "provider"),
    ):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
    return acme


@pytest.fixture
def tpl(tmp_path) -> Path:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "failover.md.j2").write_text(V1, encoding="utf-8")
    return folder


def ok(result):
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def generate(cli, eng, tpl) -> tuple[int, Path]:
    ok(
        cli(
            "runbook", "new", eng, "--system", "SAP ERP", "--template", "failover",
            "--templates", str(tpl), "--set", "site=Frankfurt",
        )
    )  # fmt: skip
    [row] = cli("runbook", "list", eng, "--json").json()
    return row["id"], Path(row["path"])


def fill_in(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    text = text.replace("[[FILL: what to check before failing over]]", "Replication lag < 5 s.")
    text += "\nNote: call the DBA first.\n"
    path.write_text(text, encoding="utf-8")
    return text


def upgrade(tpl: Path, text: str = V2) -> None:
    (tpl / "failover.md.j2").write_text(text, encoding="utf-8")


def update(cli, eng, tpl, *args):
    return cli("runbook", "update", eng, *args, "--templates", str(tpl))


def test_hand_filled_runbook_keeps_its_text_and_gains_the_new_section(cli, eng, tpl, db_url):
    rid, path = generate(cli, eng, tpl)
    [row] = cli("runbook", "list", eng, "--json").json()
    assert row["template_version"] == 1 and row["conflicts"] == 0
    filled = fill_in(path)
    why = ("--force", "--reason", "the switch itself is written after the DR test")
    ok(cli("runbook", "status", eng, str(rid), "reviewed", *why))
    exercised = ("--on", "2026-11-19", "--by", "Pat Pro", "--outcome", "pass")
    ok(cli("runbook", "exercise", eng, str(rid), *exercised))
    ok(cli("runbook", "status", eng, str(rid), "validated", *why))
    ok(cli("runbook", "status", eng, str(rid), "accepted", "--by", "Pat Pro"))
    # the same template again: nothing to do
    assert "unchanged (v1)" in ok(update(cli, eng, tpl, "--all")).stdout
    assert path.read_text(encoding="utf-8") == filled

    upgrade(tpl)
    done = ok(update(cli, eng, tpl, str(rid)))
    assert "v1 → v2: clean merge (+4 −1 lines); accepted → reviewed" in done.stdout
    text = path.read_text(encoding="utf-8")
    assert "Replication lag < 5 s." in text
    assert "Note: call the DBA first." in text
    assert "1. Announce on the bridge and in the ticket." in text
    assert "## Afterwards\n[[FILL: how to fail back]]\n\n## Contacts" in text
    assert "SAP ERP failover to Frankfurt" in text  # the recorded answer, given again
    assert path.stat().st_mode & 0o777 == 0o644
    [row] = cli("runbook", "list", eng, "--json").json()
    assert row["template_version"] == 2 and row["status"] == "reviewed"
    assert row["placeholders_left"] == 2 and row["placeholders_total"] == 3
    events = cli("audit", eng, "--json").json()
    reasons = [e for e in events if e["action"] == "template-update" and e["field"] == "reason"]
    assert len(reasons) == 1 and "v1 → v2" in reasons[0]["after"]
    ok(cli("audit", eng, "--verify"))
    # an update cannot be taken back: refused plainly, nothing changed
    before = dump(db_url)
    refused = cli("undo", eng)
    assert_clean_error(refused, 1)
    assert "template update" in refused.stderr
    assert dump(db_url) == before and path.read_text(encoding="utf-8") == text
    # and once merged, updating again changes nothing
    assert "unchanged (v2)" in ok(update(cli, eng, tpl, "--all")).stdout


def test_a_conflicting_edit_gets_markers_and_blocks_promotion(cli, eng, tpl):
    rid, path = generate(cli, eng, tpl)
    text = path.read_text(encoding="utf-8")
    text = text.replace("[[FILL: what to check before failing over]]", "Lag < 5 s.")
    path.write_text(text.replace("Announce on the bridge.", "Announce in #ops."), "utf-8")
    why = ("--force", "--reason", "the switch itself is written after the DR test")
    ok(cli("runbook", "status", eng, str(rid), "reviewed", *why))
    upgrade(tpl)
    done = ok(update(cli, eng, tpl, "--all"))
    assert "1 conflict(s) at line(s) 7, runbook #" in done.stdout
    merged = path.read_text(encoding="utf-8")
    assert (
        "<<<<<<< your edits\n1. Announce in #ops.\n=======\n"
        "1. Announce on the bridge and in the ticket.\n>>>>>>> template failover v2\n"
    ) in merged
    assert "## Afterwards" in merged  # the clean part is merged all the same
    [row] = cli("runbook", "list", eng, "--json").json()
    assert row["conflicts"] == 1
    # the markers count as unfilled: 2 placeholders left + 1 conflict, of 3 + 1
    assert row["placeholders_left"] == 2 and row["fill_ratio"] == 0.25
    assert "1 conflict(s)" in ok(cli("runbook", "list", eng)).stdout
    # never merged again on top of unresolved markers
    upgrade(tpl, V2.replace("version: 2", "version: 3").replace("## Steps", "## The steps"))
    again = update(cli, eng, tpl, str(rid))
    assert_clean_error(again, 1)
    assert "still has 1 unresolved conflict(s)" in again.stderr
    assert path.read_text(encoding="utf-8") == merged
    refused = cli("runbook", "status", eng, str(rid), "validated")
    assert_clean_error(refused, 1)
    assert "1 unresolved conflict(s)" in refused.stderr
    forced = cli("runbook", "status", eng, str(rid), "accepted", "--force", "--reason", "x")
    assert_clean_error(forced, 1)
    # resolved by hand: the status change sees it in the file
    lines = merged.splitlines(keepends=True)
    start = lines.index("<<<<<<< your edits\n")
    resolved = lines[:start] + ["1. Announce in #ops and in the ticket.\n"] + lines[start + 5 :]
    path.write_text("".join(resolved), encoding="utf-8")
    ok(cli("runbook", "status", eng, str(rid), "validated", *why))
    [row] = cli("runbook", "list", eng, "--json").json()
    assert row["conflicts"] == 0 and row["status"] == "validated"
    ok(cli("audit", eng, "--verify"))


SCENARIOS = {
    "untouched": lambda t: t,
    "filled": lambda t: t.replace("[[FILL: the switch itself]]", "Run it."),
    "conflict": lambda t: t.replace("on the bridge.", "on the phone."),
    "both": lambda t: t.replace("on the bridge.", "by mail.").replace("## Contacts", "## Who"),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_the_dry_run_says_exactly_what_the_run_does(cli, eng, tpl, db_url, scenario):
    rid, path = generate(cli, eng, tpl)
    path.write_text(SCENARIOS[scenario](path.read_text(encoding="utf-8")), encoding="utf-8")
    upgrade(tpl)
    before_db, before_file = dump(db_url), path.read_bytes()
    preview = ok(update(cli, eng, tpl, "--all", "--dry-run", "--json")).json()
    shown = ok(update(cli, eng, tpl, "--all", "--dry-run")).stdout
    assert "dry run: nothing written" in shown
    assert dump(db_url) == before_db and path.read_bytes() == before_file
    real = ok(update(cli, eng, tpl, "--all", "--json")).json()
    assert preview["dry_run"] is True and real["dry_run"] is False
    assert preview["runbooks"] == real["runbooks"]
    [row] = cli("runbook", "list", eng, "--json").json()
    assert row["conflicts"] == real["runbooks"][0]["conflicts"]
    assert row["status"] == real["runbooks"][0]["status"]
    ok(cli("audit", eng, "--verify"))


def test_set_adds_an_answer_and_new_force_is_an_update(cli, eng, tpl):
    rid, path = generate(cli, eng, tpl)
    fill_in(path)
    upgrade(
        tpl,
        V2.replace("variables:\n", "variables:\n  window:\n    required: true\n").replace(
            "## Before", "Window: {{ window }}\n\n## Before"
        ),
    )
    refused = update(cli, eng, tpl, str(rid))
    assert_clean_error(refused, 2)
    assert "window" in refused.stderr
    done = ok(
        cli(
            "runbook", "new", eng, "--system", "SAP ERP", "--template", "failover",
            "--templates", str(tpl), "--force", "--set", "window=Sun 02:00",
        )
    )  # fmt: skip
    assert "updated " in done.stdout and "clean merge" in done.stdout
    text = path.read_text(encoding="utf-8")
    assert "Window: Sun 02:00" in text and "Note: call the DBA first." in text
    assert "SAP ERP failover to Frankfurt" in text
    assert "unchanged (v2)" in ok(update(cli, eng, tpl, "--all")).stdout


def test_refusals_write_nothing(cli, eng, tpl, db_url):
    from sqlalchemy import create_engine, text

    rid, path = generate(cli, eng, tpl)
    upgrade(tpl)
    before = dump(db_url), path.read_bytes()

    def unchanged():
        assert (dump(db_url), path.read_bytes()) == before

    assert_clean_error(update(cli, eng, tpl), 2)  # neither ids nor --all
    assert_clean_error(update(cli, eng, tpl, str(rid), "--all"), 2)
    assert_clean_error(update(cli, eng, tpl, "999"), 2)
    assert_clean_error(update(cli, eng, tpl, str(rid), "--set", "nope=1"), 2)
    assert_clean_error(update(cli, eng, tpl, str(rid), "--set", "system=x"), 2)
    unchanged()
    # an older template than the one the runbook follows
    newer = V1.replace("version: 1", "version: 3")
    upgrade(tpl, newer)
    ok(update(cli, eng, tpl, str(rid)))
    upgrade(tpl)
    before = dump(db_url), path.read_bytes()
    older = update(cli, eng, tpl, str(rid))
    assert_clean_error(older, 1)
    assert "never goes back to an older template" in older.stderr
    assert "skipped: " in ok(update(cli, eng, tpl, "--all")).stdout
    unchanged()
    # a runbook from before skeletons were recorded: refused with what to do
    upgrade(tpl, V1.replace("version: 1", "version: 4"))
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE runbook SET skeleton = NULL"))
    engine.dispose()
    before = dump(db_url), path.read_bytes()
    legacy = update(cli, eng, tpl, str(rid))
    assert_clean_error(legacy, 1)
    assert "--force --discard-edits" in legacy.stderr
    assert "skipped: " in ok(update(cli, eng, tpl, "--all")).stdout
    unchanged()


def test_a_missing_file_is_refused_by_id_and_skipped_in_all(cli, eng, tpl, db_url):
    rid, path = generate(cli, eng, tpl)
    upgrade(tpl)
    path.unlink()
    before = dump(db_url)
    assert "is missing" in cli("runbook", "update", eng, str(rid), "--templates", str(tpl)).stderr
    assert "skipped: " in ok(update(cli, eng, tpl, "--all")).stdout
    assert dump(db_url) == before and not path.exists()


def test_a_template_not_found_is_an_unknown_name_by_id_and_skipped_in_all(cli, eng, tpl, db_url):
    """Updating a named runbook whose template is not found (the --templates folder left
    out) is an unknown name (exit 2), not a rule; with --all it is skipped."""
    rid, path = generate(cli, eng, tpl)
    before = dump(db_url), path.read_bytes()
    result = cli("runbook", "update", eng, str(rid))
    assert_clean_error(result, 2)
    assert "unknown template 'failover'" in result.stderr
    assert "skipped: " in ok(cli("runbook", "update", eng, "--all")).stdout
    assert (dump(db_url), path.read_bytes()) == before


texts = st.lists(st.sampled_from(["a\n", "b\n", "\n", "## H\n", "[[FILL: x]]\n"]), max_size=12)


@given(base=texts, other=texts)
@settings(max_examples=100, deadline=None)
def test_a_change_on_one_side_only_is_taken_as_it_is(base, other):
    """Whatever the texts: an untouched file takes the new rendering, an unchanged
    template keeps the file, and the same change on both sides is no conflict."""
    from transition.services.runbook_update import merge

    base_text, other_text = "".join(base), "".join(other)
    for ours, theirs in ((base_text, other_text), (other_text, base_text), (other_text,) * 2):
        merged, conflicts, marks = merge(base_text, ours, theirs, "template t v2")
        assert (merged, conflicts, marks) == (other_text, 0, [])


@given(base=texts, ours=texts, theirs=texts, bom=st.booleans())
@settings(max_examples=100, deadline=None)
def test_windows_line_endings_and_a_bom_merge_like_plain_text(base, ours, theirs, bom):
    """A file saved with CRLF line endings (a Windows editor, git's autocrlf) or a
    byte-order mark merges line for line as the same text with LF would, and keeps its
    endings and its mark: never one conflict over the whole file."""
    from transition.services.runbook_update import merge

    base_text, ours_text, theirs_text = "".join(base), "".join(ours), "".join(theirs)
    plain, conflicts, marks = merge(base_text, ours_text, theirs_text, "template t v2")
    windows = ("\ufeff" if bom else "") + ours_text.replace("\n", "\r\n")
    merged, conflicts_crlf, marks_crlf = merge(base_text, windows, theirs_text, "template t v2")
    assert (conflicts_crlf, marks_crlf) == (conflicts, marks)
    if "\n" in ours_text:
        plain = plain.replace("\n", "\r\n")
    assert merged == ("\ufeff" if bom else "") + plain


def test_a_runbook_saved_with_crlf_merges_cleanly_and_stays_crlf(cli, eng, tpl):
    rid, path = generate(cli, eng, tpl)
    filled = fill_in(path)
    path.write_bytes(filled.replace("\n", "\r\n").encode("utf-8"))
    upgrade(tpl)
    done = ok(update(cli, eng, tpl, str(rid)))
    assert "clean merge (+4 −1 lines)" in done.stdout, done.stdout
    data = path.read_bytes()
    assert b"\n" not in data.replace(b"\r\n", b"")
    text = data.decode("utf-8").replace("\r\n", "\n")
    assert "Replication lag < 5 s." in text and "<<<<<<<" not in text
    assert "1. Announce on the bridge and in the ticket." in text
