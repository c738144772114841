"""Runbooks with evidence: reviewed needs a file with nothing left to fill, validated a
passing exercise (in the parallel run, else a warning and a finding), accepted a provider
signature; owners and review dates; every missing required runbook generated at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from runbook_steps import fill
from safety import assert_clean_error, dump

ENG = "acme-helpdesk"
# acme starts on 2026-11-02: its parallel run is planned from 2026-12-28 to 2027-01-25.
IN_RUN, BEFORE_RUN = "2027-01-05", "2026-12-01"


@pytest.fixture
def eng(cli, acme, tmp_path, clock, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    clock.pin(today="2027-01-10")
    for args in (
        ("system", "add", acme, "SAP ERP", "--tier", "1"),
        ("system", "add", acme, "Intranet", "--tier", "3"),
        ("person", "add", acme, "Olga Old", "--side", "incumbent", "--role", "Service owner"),
        ("person", "add", acme, "Pat Pro", "--side", "provider", "--role", "Provider lead"),
        ("person", "add", acme, "Quinn Pro", "--side", "provider"),
    ):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
    made = cli("runbook", "new", acme, "--system", "SAP ERP", "--template", "incident-response")
    assert made.exit_code == 0, made.stderr
    return acme


def row(cli, eng, rid=1):
    return next(r for r in cli("runbook", "list", eng, "--json").json() if r["id"] == rid)


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def exercise(cli, eng, on, outcome="pass", by="Pat Pro", rid="1"):
    return cli("runbook", "exercise", eng, rid, "--on", on, "--by", by, "--outcome", outcome)


def test_reviewed_needs_a_file_without_placeholders_or_markers(cli, eng, db_url):
    path = row(cli, eng)["path"]
    before = dump(db_url)
    refused = cli("runbook", "status", eng, "1", "reviewed")
    assert_clean_error(refused, 1)
    assert "placeholder(s) or conflict marker(s)" in refused.stderr
    assert "line 21: [[FILL:" in refused.stderr and "more)" in refused.stderr
    assert dump(db_url) == before
    fill(path)
    Path(path).write_text(Path(path).read_text(encoding="utf-8") + "ours\n=======\ntheirs\n")
    refused = cli("runbook", "status", eng, "1", "reviewed")
    assert_clean_error(refused, 1)
    assert "1 placeholder(s) or conflict marker(s)" in refused.stderr
    assert "conflict marker =======" in refused.stderr
    text = Path(path).read_text(encoding="utf-8").replace("=======\n", "")
    Path(path).write_text(text, encoding="utf-8")
    assert "drafted → reviewed" in ok(cli("runbook", "status", eng, "1", "reviewed")).stdout


def test_force_with_a_reason_stands_in_for_the_placeholders(cli, eng):
    assert_clean_error(cli("runbook", "status", eng, "1", "reviewed", "--force"), 2)
    why = "sections 4-6 are written during the parallel run"
    moved = ok(cli("runbook", "status", eng, "1", "reviewed", "--force", "--reason", why, "--json"))
    assert moved.json()["forced"] is True and moved.json()["to"] == "reviewed"
    events = cli("audit", eng, "--json").json()
    assert [e["after"] for e in events if e["field"] == "reason"] == [why]


def test_validated_needs_a_pass_and_a_pass_outside_the_run_warns(cli, eng):
    fill(row(cli, eng)["path"])
    ok(cli("runbook", "status", eng, "1", "reviewed"))
    refused = cli("runbook", "status", eng, "1", "validated")
    assert_clean_error(refused, 1)
    assert "no passing exercise" in refused.stderr and "runbook exercise" in refused.stderr
    failed = ok(exercise(cli, eng, IN_RUN, "fail"))
    assert "during the parallel run" in failed.stdout and not failed.stderr
    assert_clean_error(cli("runbook", "status", eng, "1", "validated"), 1)  # a fail is no pass

    early = ok(exercise(cli, eng, BEFORE_RUN))
    assert "outside the parallel run" in early.stdout
    assert early.stderr.startswith("warning: runbook #1: the pass of 2026-12-01 falls outside")
    moved = ok(cli("runbook", "status", eng, "1", "validated"))
    assert "reviewed → validated" in moved.stdout and "warning:" in moved.stderr
    listed = row(cli, eng)
    # the last exercise by day is the failed one of the parallel run
    assert (listed["exercises"], listed["passes"], listed["last_outcome"]) == (2, 1, "fail")
    assert listed["passed_in_parallel_run"] is False and "outside" in listed["warning"]
    findings = cli("access", "review", eng, "--json").json()
    [found] = [f for f in findings if f["kind"] == "runbook_not_exercised_in_parallel_run"]
    assert found["severity"] == "low" and found["system"] == "SAP ERP"

    ok(exercise(cli, eng, IN_RUN))
    listed = row(cli, eng)
    assert listed["passed_in_parallel_run"] is True and listed["warning"] is None
    kinds = {f["kind"] for f in cli("access", "review", eng, "--json").json()}
    assert "runbook_not_exercised_in_parallel_run" not in kinds


def test_exercise_refusals_write_nothing(cli, eng, db_url):
    before = dump(db_url)
    for args, code in (
        (("--on", IN_RUN, "--by", "Pat Pro", "--outcome", "maybe"), 2),
        (("--on", "2027-02-01", "--by", "Pat Pro", "--outcome", "pass"), 2),  # future
        (("--on", "05/01/2027", "--by", "Pat Pro", "--outcome", "pass"), 2),
        (("--on", IN_RUN, "--by", "Nobody", "--outcome", "pass"), 2),
        (("--on", IN_RUN, "--by", "Pat Pro", "--outcome", "pass", "--deviations", "a\x1bb"), 2),
    ):
        assert_clean_error(cli("runbook", "exercise", eng, "1", *args), code)
    assert_clean_error(exercise(cli, eng, IN_RUN, rid="99"), 2)
    assert dump(db_url) == before
    ok(exercise(cli, eng, IN_RUN))
    again = dump(db_url)
    assert_clean_error(exercise(cli, eng, IN_RUN), 1)  # the same exercise twice
    assert dump(db_url) == again


def test_accepted_is_signed_by_a_provider_person_who_is_not_the_author(cli, eng, db_url):
    fill(row(cli, eng)["path"])
    ok(cli("runbook", "status", eng, "1", "reviewed"))
    ok(exercise(cli, eng, IN_RUN))
    ok(cli("runbook", "status", eng, "1", "validated"))
    ok(cli("runbook", "set", eng, "1", "--owner", "Pat Pro"))
    before = dump(db_url)
    unsigned = cli("runbook", "status", eng, "1", "accepted")
    assert_clean_error(unsigned, 1)
    assert "--by PERSON" in unsigned.stderr
    incumbent = cli("runbook", "status", eng, "1", "accepted", "--by", "Olga Old")
    assert_clean_error(incumbent, 1)
    assert "incumbent side" in incumbent.stderr
    owner = cli("runbook", "status", eng, "1", "accepted", "--by", "Pat Pro")
    assert_clean_error(owner, 1)
    assert "its author cannot accept it" in owner.stderr
    assert_clean_error(cli("runbook", "status", eng, "1", "accepted", "--by", "Nobody"), 2)
    forced = ("--force", "--reason", "steering committee")
    assert_clean_error(cli("runbook", "status", eng, "1", "accepted", *forced), 1)
    assert dump(db_url) == before
    signed = ok(cli("runbook", "status", eng, "1", "accepted", "--by", "Quinn Pro", "--json"))
    assert signed.json()["signed_by"] == "Quinn Pro"
    assert row(cli, eng)["accepted_by"] == "Quinn Pro"
    events = cli("audit", eng, "--json").json()
    assert ("signed_by", "quinn-pro") in [(e["field"], e["after"]) for e in events]
    ok(cli("runbook", "status", eng, "1", "drafted", *forced))
    assert row(cli, eng)["accepted_by"] is None


def test_owner_and_review_date_and_the_overdue_finding(cli, eng, db_url):
    before = dump(db_url)
    assert_clean_error(cli("runbook", "set", eng, "1"), 2)
    assert_clean_error(cli("runbook", "set", eng, "1", "--owner", "Nobody"), 2)
    assert_clean_error(cli("runbook", "set", eng, "1", "--review", "soon"), 2)
    assert_clean_error(cli("runbook", "set", eng, "7", "--review", "2027-01-01"), 2)
    assert dump(db_url) == before
    done = ok(cli("runbook", "set", eng, "1", "--owner", "Olga Old", "--review", "2027-01-03"))
    assert "owner Olga Old, next review 2027-01-03" in done.stdout
    listed = row(cli, eng)
    assert (listed["owner"], listed["review_due"], listed["review_overdue"]) == (
        "Olga Old",
        "2027-01-03",
        True,
    )
    [found] = [
        f
        for f in cli("access", "review", eng, "--json").json()
        if f["kind"] == "runbook_review_overdue"
    ]
    assert found["severity"] == "medium" and found["person"] == "Olga Old"
    assert "7 days ago" in found["message"]
    shown = ok(cli("runbook", "list", eng)).stdout
    assert "2027-01-03 (overdue)" in shown
    cleared = ok(cli("runbook", "set", eng, "1", "--owner", "", "--review", "", "--json"))
    assert cleared.json()["changed"] == ["owner", "review_due"]
    assert row(cli, eng)["owner"] is None and row(cli, eng)["review_overdue"] is False
    same = ok(cli("runbook", "set", eng, "1", "--review", ""))
    assert "nothing changed" in same.stdout


def test_generate_missing_makes_every_required_runbook_once(cli, eng, tmp_path, db_url):
    out = tmp_path / "out"
    before = dump(db_url)
    dry = ok(cli("runbook", "generate", eng, "--missing", "--out", str(out), "--dry-run", "--json"))
    planned = [(r["system"], r["template"]) for r in dry.json()["runbooks"]]
    # SAP ERP (tier 1): six, one of which exists; Intranet (tier 3): four
    assert len(planned) == 9 and ("SAP ERP", "incident-response") not in planned
    assert dump(db_url) == before and not out.exists()

    made = ok(cli("runbook", "generate", eng, "--missing", "--out", str(out)))
    assert "9 runbook(s) made" in made.stdout
    assert sum(1 for _ in out.rglob("*.md")) == 9
    assert len(cli("runbook", "list", eng, "--json").json()) == 10
    skeleton = (out / "intranet" / "backup-restore.md").read_text(encoding="utf-8")
    assert "Olga Old" in skeleton  # the owners and escalation contacts from the database
    again = ok(cli("runbook", "generate", eng, "--missing", "--out", str(out)))
    assert "every runbook the playbook requires exists" in again.stdout
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]  # no temporary file


def test_generate_missing_is_all_or_nothing(cli, eng, tmp_path, db_url):
    out = tmp_path / "out"
    edited = out / "intranet" / "service-restart.md"
    edited.parent.mkdir(parents=True)
    edited.write_text("our own notes\n", encoding="utf-8")
    before = dump(db_url)
    refused = cli("runbook", "generate", eng, "--missing", "--out", str(out))
    assert_clean_error(refused, 1)
    assert "service-restart.md" in refused.stderr
    # the way out it names is one that exists (generate has no --force)
    assert "runbook new acme-helpdesk --system intranet --template service-restart" in (
        refused.stderr
    )
    assert dump(db_url) == before
    assert [p.name for p in out.rglob("*") if p.is_file()] == ["service-restart.md"]
    # the preview refuses as the run does, rather than promising a file it cannot write
    dry = cli("runbook", "generate", eng, "--missing", "--out", str(out), "--dry-run")
    assert_clean_error(dry, 1)
    assert "service-restart.md" in dry.stderr
    assert edited.read_text(encoding="utf-8") == "our own notes\n"
    assert_clean_error(cli("runbook", "generate", eng, "--out", str(out)), 2)  # no --missing
    bad_set = cli("runbook", "generate", eng, "--missing", "--set", "nobody_reads=1")
    assert_clean_error(bad_set, 2)
    assert dump(db_url) == before


def test_list_and_findings_stay_bounded(cli, eng, session_scope, count_queries):
    from transition.services import access_review, runbooks
    from transition.services.common import get_engagement

    def queries():
        with session_scope(write=False) as s:
            engagement = get_engagement(s, eng)
            with count_queries() as q:
                runbooks.list_runbooks(s, engagement)
                access_review.review(s, engagement)
        return q.count

    ok(exercise(cli, eng, IN_RUN))
    few = queries()
    ok(cli("runbook", "generate", eng, "--missing"))
    for rid in range(2, 8):
        ok(exercise(cli, eng, BEFORE_RUN, rid=str(rid)))
        ok(cli("runbook", "set", eng, str(rid), "--review", "2027-01-01"))
        ok(cli("runbook", "status", eng, str(rid), "validated", "--force", "--reason", "drill"))
    assert queries() == few


def test_a_person_past_their_release_date_cannot_exercise_or_accept(cli, eng, db_url):
    fill(row(cli, eng)["path"])
    ok(cli("runbook", "status", eng, "1", "reviewed"))
    ok(exercise(cli, eng, IN_RUN))
    ok(cli("runbook", "status", eng, "1", "validated"))
    ok(cli("person", "set", eng, "Quinn Pro", "--release", "2027-01-06"))
    before = dump(db_url)
    late = exercise(cli, eng, "2027-01-08", by="Quinn Pro")
    assert_clean_error(late, 1)
    assert "released on 2027-01-06" in late.stderr
    signed = cli("runbook", "status", eng, "1", "accepted", "--by", "Quinn Pro")
    assert_clean_error(signed, 1)
    assert "released on 2027-01-06" in signed.stderr
    assert dump(db_url) == before
    ok(exercise(cli, eng, "2027-01-06", by="Quinn Pro"))  # their last day


def test_a_released_person_cannot_own_a_runbook_and_no_one_cannot_sign(cli, eng, db_url):
    ok(cli("person", "set", eng, "Quinn Pro", "--release", "2027-01-06"))
    before = dump(db_url)
    owner = cli("runbook", "set", eng, "1", "--owner", "Quinn Pro")
    assert_clean_error(owner, 1)
    assert "cannot own a runbook" in owner.stderr
    assert dump(db_url) == before
    # Asking for the status it already has still checks the name of the signer.
    ok(cli("runbook", "status", eng, "1", "drafted"))
    assert_clean_error(cli("runbook", "status", eng, "1", "drafted", "--by", "Nobody"), 2)


def test_generate_missing_takes_the_same_statements_for_nine_or_thirty(
    session_scope, eng, tmp_path, count_queries
):
    """The runbooks, their handover items and audit events go in a table at a time: the
    statements do not grow with the skeletons, the chain and the checklist stay whole."""
    from sqlalchemy import func, select

    from transition.models import HandoverItem, Runbook
    from transition.services import audit, runbook_generate, systems
    from transition.services.common import get_engagement

    def generate() -> tuple[int, int]:
        with session_scope() as s, count_queries() as q:
            made = runbook_generate.generate_missing(s, get_engagement(s, eng), out_dir=tmp_path)
        return len(made.runbooks), q.count

    first = generate()
    with session_scope() as s:
        for i in range(5):
            systems.add(s, get_engagement(s, eng), f"Billing {i}", tier=1)
    second = generate()
    assert (first[0], second[0]) == (9, 30)
    assert first[1] == second[1], (first, second)
    with session_scope() as s:
        # the newest runbook deleted behind the tool's back: on SQLite the next one takes
        # its id, whose hand-back item exists already (reconciled, not inserted twice)
        newest = s.execute(select(func.max(Runbook.id))).scalar_one()
        path = s.get(Runbook, newest).path
        s.execute(Runbook.__table__.delete().where(Runbook.id == newest))
    Path(path).unlink()
    assert generate()[0] == 1
    with session_scope(write=False) as s:
        engagement = get_engagement(s, eng)
        books = s.execute(select(func.count()).select_from(Runbook)).scalar_one()
        items = s.execute(
            select(func.count())
            .select_from(HandoverItem)
            .join(Runbook, Runbook.id == HandoverItem.source_id)
            .where(HandoverItem.source_kind == "runbook", HandoverItem.status == "open")
        ).scalar_one()
        assert books == items == 40
        assert audit.verify(s, engagement).problems == []
