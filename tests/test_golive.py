"""Tabletop exercises (``exercise add|list|finding``, criterion ``exercises``) and the
go/no-go decision (``golive decide|show``, criterion ``go_decision``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.safety import assert_clean_error, dump
from transition.services import exercises, gates, golive

ENG = "acme-helpdesk"


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def team(cli, acme, monkeypatch):
    monkeypatch.setenv("TRANSITION_TODAY", "2026-12-01")
    for name, side in (
        ("Cleo Client", "client"),
        ("Pavel Prov", "provider"),
        ("Ingo Inc", "incumbent"),
        ("Прия Провайдер", "provider"),
    ):
        ok(cli("person", "add", acme, name, "--side", side))
    return acme


def _gate(session_scope, phase: str) -> dict[str, tuple[bool, str]]:
    with session_scope(write=False) as s:
        status = gates.status(s, ENG)
    row = next(p for p in status.phases if p.key == phase)
    return {r.name: (r.met, r.reason) for r in row.gate}


# --- exercises -----------------------------------------------------------------------------


def test_exercise_add_list_and_finding_on_the_cli(cli, team):
    out = ok(
        cli(
            "exercise", "add", team, "--scenario", "vendor security incident", "--on",
            "2026-11-20", "--participant", "Cleo Client", "--participant", "pavel-prov",
            "--participant", "Cleo Client",
        )
    )  # fmt: skip
    assert out.stdout == (
        "exercise #1: Vendor security incident (vendor-security-incident) on 2026-11-20\n"
    )
    ok(cli("exercise", "add", team, "--scenario", "Data-centre flood", "--on", "2027-01-10"))
    found = ok(
        cli("exercise", "finding", team, "1", "--title", "No 24x7 contact", "--owner", "Pavel Prov")
    )
    assert "task exercise-1-finding-1 (discovery)" in found.stdout
    ok(cli("exercise", "finding", team, "1", "--title", "Runbook gap", "--owner", "kt-lead"))
    rows = ok(cli("exercise", "list", team, "--json")).json()
    assert [(r["key"], r["held"]) for r in rows] == [
        ("vendor-security-incident", True),
        ("data-centre-flood", False),
    ]
    assert rows[0]["participants"] == ["Cleo Client", "Pavel Prov"]
    assert rows[0]["findings"] == ["exercise-1-finding-1", "exercise-1-finding-2"]
    task = ok(cli("task", "show", team, "exercise-1-finding-1", "--json")).json()
    assert task["assignee"] == "Pavel Prov" and task["origin"] == "adhoc"
    other = ok(cli("task", "show", team, "exercise-1-finding-2", "--json")).json()
    assert other["owner_role"] == "kt-lead" and other["assignee"] is None
    table = ok(cli("exercise", "list", team)).stdout
    assert "Data-centre flood" in table and "vendor-security-incident" in table
    audit = ok(cli("audit", team, "--json")).json()
    assert {(e["entity"], e["action"]) for e in audit} >= {
        ("exercise", "create"),
        ("exercise", "finding"),
    }


EXERCISE_REFUSALS = [
        (("--scenario", "regulatory-audit", "--on", "2026-13-01"), 2, "invalid exercise date"),
        (("--scenario", "regulatory-audit", "--on", "2026-11-20", "--participant", "Nobody"), 2,
         "unknown person"),
        (("--scenario", "bad\x07bell", "--on", "2026-11-20"), 2, "scenario"),
        (("--scenario", "---", "--on", "2026-11-20"), 2, "letters or digits"),
        (("--scenario", "Regulatory Audit", "--on", "2026-11-20"), 1, "already recorded"),
]  # fmt: skip


def test_exercise_add_refusals_write_nothing(cli, team):
    ok(cli("exercise", "add", team, "--scenario", "regulatory-audit", "--on", "2026-11-20"))
    before = ok(cli("audit", team, "--json")).json()
    for args, code, words in EXERCISE_REFUSALS:
        result = cli("exercise", "add", team, *args)
        assert result.exit_code == code, (args, result.stderr)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], lines
    assert ok(cli("audit", team, "--json")).json() == before
    assert len(ok(cli("exercise", "list", team, "--json")).json()) == 1


def test_finding_refusals(cli, team):
    ok(cli("exercise", "add", team, "--scenario", "regulatory-audit", "--on", "2026-11-20"))
    ok(cli("exercise", "add", team, "--scenario", "Data-centre flood", "--on", "2027-01-10"))
    for args, code, words in (
        (("99", "--title", "x"), 2, "unknown exercise 99"),
        (("abc", "--title", "x"), 2, "invalid exercise id"),
        (("1", "--title", ""), 2, "task title"),
        (("1", "--title", "x", "--due", "someday"), 2, "invalid due date"),
        (
            ("2", "--title", "x"),
            1,
            "the Data-centre flood exercise on 2027-01-10 has not taken place yet",
        ),
    ):
        result = cli("exercise", "finding", team, *args)
        assert result.exit_code == code, (args, result.stderr)
        assert result.stderr.startswith("error:") and words in result.stderr, result.stderr
    assert [e["findings"] for e in ok(cli("exercise", "list", team, "--json")).json()] == [[], []]


def test_exercises_criterion_needs_each_key_held(session_scope, cli, team):
    criterion_keys = ("vendor-security-incident", "key-person-departure", "regulatory-audit")
    met, reason = _gate(session_scope, "cutover")["exercises"]
    assert not met and "vendor-security-incident" in reason
    ok(cli("exercise", "add", team, "--scenario", criterion_keys[0], "--on", "2026-11-20"))
    ok(cli("exercise", "add", team, "--scenario", "key person departure", "--on", "2026-11-21"))
    ok(cli("exercise", "add", team, "--scenario", "regulatory-audit", "--on", "2026-12-15"))
    met, reason = _gate(session_scope, "cutover")["exercises"]
    assert not met and reason == "no exercise held yet: regulatory-audit"  # not held yet
    ok(cli("exercise", "add", team, "--scenario", "regulatory-audit", "--on", "2026-12-01"))
    met, reason = _gate(session_scope, "cutover")["exercises"]
    assert met, reason


@settings(max_examples=8, deadline=None)
@given(
    st.text(
        alphabet=st.characters(categories=("L", "N", "Zs", "P")), min_size=1, max_size=60
    ).filter(lambda t: any(c.isalnum() for c in t))
)
def test_any_scenario_in_words_has_a_slug_key(words):
    key, title = exercises.scenario_of(words)
    assert key and "--" not in key and title
    assert exercises.scenario_of(title)[0] == key


def test_exercise_list_is_bounded(session_scope, cli, team, count_queries):
    def count() -> int:
        with session_scope(write=False) as s, count_queries() as q:
            exercises.list_exercises(s, ENG)
        return len(q.statements)

    ok(cli("exercise", "add", team, "--scenario", "a", "--on", "2026-11-01", "--participant", "Cleo Client"))  # fmt: skip
    few = count()
    for i in range(6):
        ok(cli("exercise", "add", team, "--scenario", f"s{i}", "--on", "2026-11-02", "--participant", "Pavel Prov", "--participant", "Ingo Inc"))  # fmt: skip
        ok(cli("exercise", "finding", team, str(i + 2), "--title", f"gap {i}"))
    assert count() == few


# --- go/no-go ------------------------------------------------------------------------------


def test_golive_decide_and_show(cli, team):
    ok(cli("exercise", "add", team, "--scenario", "regulatory-audit", "--on", "2026-11-20"))
    first = ok(
        cli("golive", "decide", team, "--no-go", "--by", "Cleo Client", "--by", "Pavel Prov")
    )
    assert first.stdout == "decision #1: no-go, signed by Cleo Client and Pavel Prov\n"
    ok(
        cli(
            "golive", "decide", team, "--go", "--by", "Прия Провайдер", "--by", "cleo-client",
            "--condition", "P1 backlog under 5", "--condition", "<b>war room</b>",
            "--rollback-trigger", "Two P1 breaches in week one",
        )
    )  # fmt: skip
    data = ok(cli("golive", "show", team, "--json")).json()
    latest = data["latest"]
    assert latest["decision"] == "go" and latest["id"] == 2
    assert (latest["client"], latest["provider"]) == ("Cleo Client", "Прия Провайдер")
    assert latest["conditions"] == ["P1 backlog under 5", "<b>war room</b>"]
    assert latest["rollback_triggers"] == ["Two P1 breaches in week one"]
    assert [d["decision"] for d in data["history"]] == ["go", "no-go"]
    evidence = latest["evidence"]
    assert evidence["phase"] == "discovery" and evidence["gate_met"] is False
    figures = {f["key"]: f for f in evidence["figures"]}
    assert figures["exercises-held"]["value"] == 1
    assert figures["exercises-held"]["note"] == "regulatory-audit"
    assert {"high-access-findings", "kt-signed-off", "runbooks-accepted"} <= set(figures)
    shown = ok(cli("golive", "show", team)).stdout
    assert "#2 GO" in shown and "condition: <b>war room</b>" in shown and "earlier:" in shown
    audit = ok(cli("audit", team, "--json")).json()
    fields = {e["field"]: e["after"] for e in audit if e["entity"] == "golive_decision"}
    assert fields["decision"] == "go" and fields["provider"] == "Прия Провайдер"


DECIDE_REFUSALS = [
    (("--go", "--no-go", "--by", "Cleo Client", "--by", "Pavel Prov"), 2, "--go or --no-go"),
        (("--go", "--by", "Cleo Client"), 2, "signed by two people"),
        (("--go", "--by", "Cleo Client", "--by", "Pavel Prov", "--by", "Ingo Inc"), 2,
         "signed by two people"),
        (("--go", "--by", "Cleo Client", "--by", "Ingo Inc"), 2, "one client person and one provider"),
        (("--go", "--by", "Pavel Prov", "--by", "Прия Провайдер"), 2, "one client person"),
        (("--go", "--by", "Cleo Client", "--by", "Nobody"), 2, "unknown person"),
        (("--by", "Cleo Client", "--by", "Pavel Prov"), 2, "--go or --no-go"),
        (("--go", "--by", "Cleo Client", "--by", "Pavel Prov", "--condition", "a\x1bb"), 2,
         "condition"),
]  # fmt: skip


def test_golive_decide_refusals_write_nothing(cli, team):
    before = ok(cli("audit", team, "--json")).json()
    for args, code, words in DECIDE_REFUSALS:
        result = cli("golive", "decide", team, *args)
        assert result.exit_code == code, (args, result.stderr)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], lines
    assert ok(cli("audit", team, "--json")).json() == before
    assert ok(cli("golive", "show", team, "--json")).json()["history"] == []


def test_a_released_person_cannot_sign(cli, team):
    ok(cli("person", "release", team, "Pavel Prov", "--on", "2026-11-30", "--override", "left"))
    result = cli("golive", "decide", team, "--go", "--by", "Cleo Client", "--by", "Pavel Prov")
    assert result.exit_code == 1 and "released" in result.stderr


def test_go_decision_criterion_follows_the_latest_decision(session_scope, cli, team):
    met, reason = _gate(session_scope, "cutover")["go_decision"]
    assert not met and reason == "no go/no-go decision recorded"
    ok(cli("golive", "decide", team, "--go", "--by", "Cleo Client", "--by", "Pavel Prov"))
    met, reason = _gate(session_scope, "cutover")["go_decision"]
    assert met and "Cleo Client" in reason
    ok(cli("golive", "decide", team, "--no-go", "--by", "Cleo Client", "--by", "Pavel Prov"))
    met, reason = _gate(session_scope, "cutover")["go_decision"]
    assert not met and "no-go" in reason


def test_evidence_figures_can_be_extended(session_scope, team, monkeypatch):
    from transition.services.views.golive import EvidenceFigure

    def readiness(session, engagement):
        return [EvidenceFigure(key="readiness", label="Readiness", value=72)]

    monkeypatch.setattr(golive, "FIGURES", [*golive.FIGURES, readiness])
    with session_scope() as s:
        row = golive.decide(s, ENG, go=True, by=["Cleo Client", "Pavel Prov"])
    assert row.evidence.figures[-1].key == "readiness"
    with session_scope(write=False) as s:
        assert golive.show(s, ENG).latest.evidence.figures[-1].value == 72


def test_golive_show_is_bounded(session_scope, cli, team, count_queries):
    def count() -> int:
        with session_scope(write=False) as s, count_queries() as q:
            golive.show(s, ENG)
        return len(q.statements)

    ok(cli("golive", "decide", team, "--no-go", "--by", "Cleo Client", "--by", "Pavel Prov"))
    few = count()
    for _ in range(5):
        ok(cli("golive", "decide", team, "--go", "--by", "Cleo Client", "--by", "Pavel Prov"))
    assert count() == few


def test_export_import_carries_exercises_and_decisions(cli, team, tmp_path, db_url):
    ok(cli("exercise", "add", team, "--scenario", "regulatory-audit", "--on", "2026-11-20", "--participant", "Cleo Client"))  # fmt: skip
    ok(cli("exercise", "finding", team, "1", "--title", "Export the audit log"))
    ok(cli("golive", "decide", team, "--go", "--by", "Cleo Client", "--by", "Pavel Prov"))
    before = (
        ok(cli("exercise", "list", team, "--json")).json(),
        ok(cli("golive", "show", team, "--json")).json(),
    )
    out = tmp_path / "acme.json"
    ok(cli("export", team, "-o", out))
    ok(cli("engagement", "archive", team))
    ok(cli("engagement", "delete", team, "--confirm", team))
    ok(cli("import", out))
    after = (
        ok(cli("exercise", "list", team, "--json")).json(),
        ok(cli("golive", "show", team, "--json")).json(),
    )
    assert [(r["key"], r["participants"], r["findings"]) for r in after[0]] == [
        (r["key"], r["participants"], r["findings"]) for r in before[0]
    ]
    assert after[1]["latest"]["evidence"] == before[1]["latest"]["evidence"]
    assert ok(cli("audit", team, "--verify")).exit_code == 0


def test_report_shows_the_decision_escaped(cli, team):
    ok(
        cli(
            "golive", "decide", team, "--go", "--by", "Cleo Client", "--by", "Pavel Prov",
            "--condition", "<script>alert(1)</script>", "--rollback-trigger", "*P1* | missed",
        )
    )  # fmt: skip
    md = ok(cli("report", team)).stdout
    assert "## Go/no-go" in md and "**GO**" in md
    assert r"\<script\>alert(1)\</script\>" in md and r"\*P1\* \| missed" in md
    assert "- Tabletop scenarios exercised: 0" in md
    html = ok(cli("report", team, "--format", "html")).stdout
    assert "<h2>Go/no-go</h2>" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_a_person_past_their_release_date_cannot_sign_or_take_part(cli, team, db_url):
    # Released by their planned date alone (no `person release` run): gone all the same.
    ok(cli("person", "set", team, "Pavel Prov", "--release", "2026-11-20"))
    before = dump(db_url)
    signed = cli("golive", "decide", team, "--go", "--by", "Cleo Client", "--by", "Pavel Prov")
    assert_clean_error(signed, 1)
    assert "released on 2026-11-20" in signed.stderr
    took_part = cli(
        "exercise", "add", team, "--scenario", "regulatory-audit", "--on", "2026-11-25",
        "--participant", "Pavel Prov",
    )  # fmt: skip
    assert_clean_error(took_part, 1)
    assert dump(db_url) == before
    # Before their last day they still take part.
    ok(
        cli(
            "exercise", "add", team, "--scenario", "regulatory-audit", "--on", "2026-11-20",
            "--participant", "Pavel Prov",
        )
    )  # fmt: skip
