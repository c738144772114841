"""The RAID log: readable ids per kind, scores, links, closing; the gate criterion
``no_high_risks``; every gate override recorded as a decision in the same change."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.core_books import SMALL
from tests.safety import dump
from transition.errors import BadInput, NotFound, Refused
from transition.models import RaidItem
from transition.playbooks import load_playbook
from transition.services import engagements, gates, raid, systems
from transition.services.common import get_engagement

ENG = "acme-helpdesk"


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def test_raid_commands_add_list_set_link_close(cli, acme):
    ok(cli("person", "add", ENG, "Priya Shah", "--side", "provider"))
    ok(cli("system", "add", ENG, "Active Directory"))
    out = ok(
        cli(
            *("raid", "add", ENG, "--type", "risk", "--title", "AD admin too wide"),
            *("--owner", "Priya Shah", "--party", "incumbent", "--probability", "4"),
            *("--impact", "5", "--due", "2026-12-01", "--mitigation", "Review grants"),
        )
    )
    assert out.stdout == "added risk R-1: AD admin too wide (score 20)\n"
    assert (
        "added issue I-1"
        in ok(cli("raid", "add", ENG, "--type", "issue", "--title", "No DNS")).stdout
    )
    assert "R-2" in ok(cli("raid", "add", ENG, "--type", "risk", "--title", "Второй риск")).stdout
    assert "D-1" in ok(cli("raid", "add", ENG, "--type", "dependency", "--title", "WAN")).stdout
    ok(cli("raid", "link", ENG, "r-01", "--system", "Active Directory"))
    ok(cli("raid", "link", ENG, "R-1", "--task", "kickoff-workshop"))
    ok(cli("raid", "link", ENG, "R-1", "--person", "Priya Shah"))
    ok(cli("raid", "link", ENG, "R-1", "--person", "Priya Shah", "--remove"))
    rows = ok(cli("raid", "list", ENG, "--json")).json()
    assert [r["ref"] for r in rows] == ["R-1", "R-2", "I-1", "D-1"]
    first = rows[0]
    assert (first["score"], first["owner"], first["party"], first["due"]) == (
        20,
        "Priya Shah",
        "incumbent",
        "2026-12-01",
    )
    assert [(link["kind"], link["name"]) for link in first["links"]] == [
        ("system", "Active Directory"),
        ("task", "kickoff-workshop"),
    ]
    assert rows[1]["title"] == "Второй риск"
    changed = ok(cli("raid", "set", ENG, "R-1", "--impact", "2", "--owner", ""))
    assert changed.stdout == "changed R-1:\n  owner: Priya Shah → (none)\n  impact: 5 → 2\n"
    ok(cli("raid", "close", ENG, "I-1", "--resolution", "DNS delegated"))
    closed = cli("raid", "link", ENG, "I-1", "--system", "Active Directory")
    assert closed.exit_code == 1 and closed.stderr.startswith(
        "error: I-1 is closed (DNS delegated)"
    )
    open_refs = [r["ref"] for r in ok(cli("raid", "list", ENG, "--open", "--json")).json()]
    assert open_refs == ["R-1", "R-2", "D-1"]
    risks = [r["ref"] for r in ok(cli("raid", "list", ENG, "--type", "risk", "--json")).json()]
    assert risks == ["R-1", "R-2"]
    table = ok(cli("raid", "list", ENG)).stdout
    assert table.splitlines()[0].split() == [
        *("ID", "TITLE", "SCORE", "OWNER", "PARTY", "DUE", "STATUS", "LINKS"),
    ]
    audit = ok(cli("audit", ENG, "--json")).json()
    assert any(e["entity"] == "raid_item" and e["action"] == "close" for e in audit)


REFUSALS = [
    (("add", ENG, "--type", "rumour", "--title", "x"), 2, "invalid type 'rumour'"),
    (("add", ENG, "--type", "risk", "--title", "x", "--probability", "3"), 2, "both"),
    (
        ("add", ENG, "--type", "risk", "--title", "x", "--probability", "6", "--impact", "1"),
        2,
        "1 to 5",
    ),
    (
        ("add", ENG, "--type", "issue", "--title", "x", "--probability", "2", "--impact", "1"),
        2,
        "only risks",
    ),
    (("add", ENG, "--type", "risk", "--title", "bad\x1b[31m"), 2, "control characters"),
    (("add", ENG, "--type", "risk", "--title", "x", "--owner", "Nobody"), 2, "unknown person"),
    (("add", ENG, "--type", "risk", "--title", "x", "--due", "someday"), 2, "date"),
    (("add", "nowhere", "--type", "risk", "--title", "x"), 2, "unknown engagement"),
    (("set", ENG, "R-9", "--title", "x"), 2, "unknown RAID entry R-9"),
    (("set", ENG, "Q-1", "--title", "x"), 2, "invalid RAID id"),
    (("close", ENG, "R-1", "--resolution", "done"), 1, "already closed"),
    (("set", ENG, "R-1", "--title", "x"), 1, "R-1 is closed (gone): reopen it first"),
    (("set", ENG, "R-1", "--owner", ""), 1, "reopen it first"),
    (("reopen", ENG, "R-2", "--reason", "again"), 1, "R-2 is open already"),
    (("reopen", ENG, "R-1", "--reason", " "), 2, "--reason"),
    (("close", ENG, "R-2", "--resolution", " "), 2, "resolution"),
    (("link", ENG, "R-2", "--system", "Nope"), 2, "unknown system"),
    (("link", ENG, "R-2"), 2, "exactly one"),
    (("link", ENG, "R-2", "--task", "kickoff-workshop", "--remove"), 1, "not linked"),
]


def test_raid_refusals_write_nothing(cli, acme, db_url):
    ok(cli("raid", "add", ENG, "--type", "risk", "--title", "Closed one"))
    ok(cli("raid", "close", ENG, "R-1", "--resolution", "gone"))
    ok(cli("raid", "add", ENG, "--type", "risk", "--title", "Open one"))
    before = dump(db_url)
    for args, code, message in REFUSALS:
        result = cli("raid", *args)
        assert result.exit_code == code, (args, result.stdout + result.stderr)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], args
        assert "Traceback" not in result.stderr
    assert dump(db_url) == before


def test_a_closed_entry_changes_only_once_reopened(cli, acme, session_scope):
    ok(cli("raid", "add", ENG, "--type", "risk", "--title", "Licence lapse"))
    ok(cli("raid", "close", ENG, "R-1", "--resolution", "renewed"))
    with pytest.raises(Refused, match="reopen it first"), session_scope() as s:
        raid.update(s, ENG, "R-1", probability=2, impact=2)
    reopened = ok(cli("raid", "reopen", ENG, "r-1", "--reason", "renewal bounced"))
    assert (
        reopened.stdout
        == "reopened R-1:\n  status: closed → open\n  resolution: renewed → (none)\n"
    )
    ok(cli("raid", "set", ENG, "R-1", "--probability", "4", "--impact", "4"))
    (row,) = ok(cli("raid", "list", ENG, "--open", "--json")).json()
    assert (row["ref"], row["score"], row["status"]) == ("R-1", 16, "open")
    with session_scope(write=False) as s:
        item = s.scalars(select(RaidItem)).one()
        assert (item.resolution, item.closed_at, item.closed_by) == (None, None, None)
    audit = ok(cli("audit", ENG, "--json")).json()
    reopen = [e for e in audit if e["entity"] == "raid_item" and e["field"] == "reason"]
    assert [e["after"] for e in reopen] == ["renewal bounced"]
    ok(cli("raid", "close", ENG, "R-1", "--resolution", "renewed for good"))


def test_numbers_are_per_kind_and_a_database_promise(session_scope, acme):
    with session_scope() as s:
        refs = [
            raid.add(s, ENG, kind=kind, title=f"{kind} {n}").ref
            for n in range(2)
            for kind in ("risk", "decision")
        ]
    assert refs == ["R-1", "DEC-1", "R-2", "DEC-2"]
    with pytest.raises(Refused, match="already exists"), session_scope() as s:
        eng = get_engagement(s, ENG)
        first = s.execute(select(RaidItem).where(RaidItem.number == 1)).scalars().first()
        s.add(
            RaidItem(
                engagement_id=eng.id,
                kind=first.kind,
                number=1,
                title="clash",
                created_at=first.created_at,
            )
        )
        s.flush()


def test_an_add_whose_number_was_taken_takes_the_next(session_scope, acme, monkeypatch):
    """A concurrent add that took the number first: the unique constraint refuses it and
    the add retries with the next number, in a savepoint."""
    with session_scope() as s:
        raid.add(s, ENG, kind="risk", title="first")
    real = raid.func.coalesce
    calls = []

    def stale(*args):  # the first read misses the committed R-1 (as a racing reader would)
        calls.append(1)
        return real(*args) if len(calls) > 1 else real(None, 0)

    monkeypatch.setattr(raid.func, "coalesce", stale)
    with session_scope() as s:
        assert raid.add(s, ENG, kind="risk", title="second").ref == "R-2"
    assert len(calls) == 2


def test_errors_name_their_field(session_scope, acme):
    with session_scope() as s, pytest.raises(BadInput) as info:
        raid.add(s, ENG, kind="risk", title="x", due="31/12")
    assert info.value.field == "due"
    with session_scope() as s, pytest.raises(NotFound) as info:
        raid.add(s, ENG, kind="risk", title="x", owner="Ghost")
    assert info.value.field == "owner"


GATED = SMALL.replace(
    "    gate: [tasks_done, systems_registered]",
    "    gate: [{no_high_risks: {min_score: 12}}]",
)


@pytest.fixture
def gated(session_scope, tmp_path, clock) -> str:
    clock.pin(today="2026-11-10")
    path = tmp_path / "gated.yaml"
    path.write_text(GATED, encoding="utf-8")
    with session_scope() as s:
        eng = engagements.create(
            s,
            name="Gated Co",
            playbook=load_playbook(path),
            raw=GATED.encode(),
            start=date(2026, 11, 2),
        )
        return eng.slug


def _criterion(session_scope, slug):
    with session_scope(write=False) as s:
        status = gates.status(s, get_engagement(s, slug))
    return next(c for c in status.active().gate if c.criterion.startswith("no_high_risks"))


def test_no_high_risks_criterion(session_scope, gated):
    with session_scope() as s:
        raid.add(s, gated, kind="risk", title="low", probability=2, impact=5)
        raid.add(s, gated, kind="issue", title="an issue scores nothing")
    met = _criterion(session_scope, gated)
    assert met.met and "no open risk scores 12 or more" in met.reason
    with session_scope() as s:
        raid.add(s, gated, kind="risk", title="high", probability=3, impact=4)
    unmet = _criterion(session_scope, gated)
    assert not unmet.met and unmet.reason == "1 open risk(s) score 12 or more: R-2 (12)"
    with session_scope() as s, pytest.raises(Refused):
        gates.advance(s, gated)
    with session_scope() as s:
        raid.close(s, gated, "R-2", resolution="mitigated")
    assert _criterion(session_scope, gated).met
    with session_scope() as s:
        assert gates.advance(s, gated).decision == "passed"
        assert raid.items(s, gated, kind="decision") == []


def test_a_gate_override_is_a_decision_linked_to_its_phase(session_scope, gated, db_url):
    with session_scope() as s:
        raid.add(s, gated, kind="risk", title="high", probability=5, impact=5)
        systems.add(s, gated, "Desk")
    with session_scope() as s:
        gates.advance(s, gated, override="Sponsor accepts risk R-01\nuntil the parallel run")
    with session_scope(write=False) as s:
        (decision,) = raid.items(s, gated, kind="decision")
    assert decision.ref == "DEC-1"
    assert decision.phase == "discovery"
    assert decision.title == "Gate of phase discovery overridden: Sponsor accepts risk R-01"
    assert "no_high_risks" in decision.mitigation
    assert decision.created_by == "tester"


def test_undo_takes_back_raid_adds_edits_and_closes(cli, acme):
    """An added entry is taken away, an edit and a close are put back; a linked entry
    stays (its links first); the audit log still replays to the rows."""
    ok(
        cli(
            "raid",
            "add",
            ENG,
            "--type",
            "risk",
            "--title",
            "Vendor slips",
            "--probability",
            "3",
            "--impact",
            "4",
        )
    )
    after_add = cli("raid", "list", ENG, "--json").json()
    ok(cli("raid", "set", ENG, "R-1", "--title", "Vendor slips a month", "--impact", "5"))
    ok(cli("raid", "close", ENG, "R-1", "--resolution", "Contract signed"))
    undone = cli("undo", ENG)
    assert undone.exit_code == 0, undone.stderr
    (row,) = cli("raid", "list", ENG, "--json").json()
    assert (row["status"], row["resolution"]) == ("open", None)
    assert (row["title"], row["impact"], row["score"]) == ("Vendor slips a month", 5, 15)
    ok(cli("undo", ENG))
    assert cli("raid", "list", ENG, "--json").json() == after_add
    ok(cli("undo", ENG))
    assert cli("raid", "list", ENG, "--json").json() == []
    ok(cli("audit", "--verify"))

    ok(cli("system", "add", ENG, "CRM"))
    ok(cli("raid", "add", ENG, "--type", "issue", "--title", "Backups fail"))
    ok(cli("raid", "link", ENG, "I-1", "--system", "CRM"))
    refused = cli("undo", ENG)
    assert refused.exit_code == 1
    assert "linked RAID entry I-1 and system CRM: undo does not take links back" in refused.stderr
    assert "use `raid link --remove`" in refused.stderr


def test_raid_list_takes_a_bounded_number_of_queries(cli, acme, session_scope, count_queries):
    def count() -> int:
        with count_queries() as q, session_scope(write=False) as s:
            raid.items(s, ENG)
        return q.count

    ok(cli("system", "add", ENG, "CRM"))
    ok(cli("raid", "add", ENG, "--type", "risk", "--title", "r0"))
    ok(cli("raid", "link", ENG, "R-1", "--system", "CRM"))
    few = count()
    with session_scope() as s:
        for i in range(1, 12):
            item = raid.add(s, ENG, kind="issue" if i % 2 else "risk", title=f"r{i}")
            raid.link(s, ENG, item.ref, system="CRM")
            raid.link(s, ENG, item.ref, task="kickoff-workshop")
    assert count() == few <= 6


def test_the_dashboard_counts_open_high_risks(session_scope, acme):
    from transition.services import dashboard

    with session_scope() as s:
        raid.add(s, ENG, kind="risk", title="high", probability=5, impact=3)
        raid.add(s, ENG, kind="risk", title="low", probability=1, impact=3)
        raid.add(s, ENG, kind="risk", title="closed", probability=5, impact=5)
        raid.close(s, ENG, "R-3", resolution="gone")
    with session_scope(write=False) as s:
        (row,) = dashboard.overview(s)
    assert row.high_risks == 1
    assert "1 open high risk(s) (score 15 or more)" in row.reasons


def test_undo_refuses_evidence_and_says_so(cli, acme, clock):
    clock.pin(today="2026-11-23")  # a score is for a week that has begun
    ok(
        cli(
            "score",
            "record",
            ENG,
            "p1-resolution",
            "--party",
            "provider",
            "--period",
            "2026-W46",
            "--value",
            "96",
        )
    )
    refused = cli("undo", ENG)
    assert refused.exit_code == 1
    assert "recorded a scorecard value, which is evidence" in refused.stderr
    assert len(cli("score", "list", ENG, "--json").json()) >= 1
