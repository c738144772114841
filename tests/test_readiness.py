"""The readiness score (``engagement readiness``): each part moves the score as the
weights table says, parts that do not apply drop out, the day's figure is kept once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from transition.models import ReadinessSnapshot
from transition.services import dashboard, readiness

ENG = "acme-helpdesk"


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def desk(cli, acme, monkeypatch):
    monkeypatch.setenv("TRANSITION_TODAY", "2026-12-01")
    ok(cli("system", "add", acme, "CRM", "--tier", "1"))
    ok(cli("person", "add", acme, "Ann Old", "--side", "incumbent"))
    ok(cli("person", "add", acme, "Bob New", "--side", "provider"))
    return acme


def _now(session_scope):
    with session_scope(write=False) as s:
        return readiness.readiness(s, ENG)


def _part(data, key):
    return next(p for p in data.parts if p.key == key)


def test_each_part_moves_the_score_by_its_share(cli, desk, session_scope):
    before = _now(session_scope)
    applied = [p for p in before.parts if p.applies]
    assert sum(p.share for p in applied) == pytest.approx(100, abs=0.5)
    assert all(p.share == 0 and p.value is None for p in before.parts if not p.applies)
    access = _part(before, "access")
    assert access.value == 0 and "provision provider access to CRM" in access.items[0].action
    assert [s.system for s in before.systems] == ["CRM"]

    ok(cli("access", "grant", desk, "--person", "Bob New", "--system", "CRM", "--role",
           "operator", "--justification", "L2 support"))  # fmt: skip
    after = _now(session_scope)
    assert _part(after, "access").value == 100
    assert after.score - before.score == pytest.approx(access.share, abs=1)
    assert after.systems[0].access == 100
    # A system's score is its done parts' share of the parts that apply (access alone).
    assert (before.systems[0].score, after.systems[0].score) == (0, 33)

    ok(cli("raid", "add", desk, "--type", "risk", "--title", "Batch overruns",
           "--probability", "4", "--impact", "4"))  # fmt: skip
    risky = _now(session_scope)
    risks = _part(risky, "risks")
    assert risks.value == 100 - readiness.RISK_PENALTY
    assert after.score - risky.score == pytest.approx(risks.share / 4, abs=1)
    assert any("R-1" in i.action for i in risks.items)

    kt = _part(risky, "kt")
    ok(cli("kt", "schedule", desk, "--system", "CRM", "--topic", "Batch jobs",
           "--presenter", "Ann Old", "--attendee", "Bob New", "--at", "2026-11-20T10:00",
           "--kind", "walkthrough"))  # fmt: skip
    ok(cli("kt", "hold", desk, "1"))
    ok(cli("kt", "signoff", desk, "1", "--by", "Bob New", "--confidence", "4"))
    signed = _now(session_scope)
    kt_after = _part(signed, "kt")
    assert kt_after.applies and kt.applies
    if kt_after.share == kt.share:  # one more walkthrough signed off, of three per topic
        assert kt_after.value >= kt.value
    assert signed.score >= risky.score
    # What would raise it most comes first, and names concrete items.
    gains = [step.gain for step in signed.raise_most]
    assert gains == sorted(gains, reverse=True)
    assert all(step.items for step in signed.raise_most)


def test_a_part_that_does_not_apply_drops_out(cli, desk, session_scope):
    data = _now(session_scope)
    assert not _part(data, "runbooks").applies  # no runbook yet
    weights = {p.key: p.weight for p in data.parts}
    applied = sum(w for k, w in weights.items() if _part(data, k).applies)
    for p in data.parts:
        if p.applies:
            assert p.share == pytest.approx(100 * p.weight / applied, abs=0.1)
    assert sum(w for _, _, w in readiness.WEIGHTS) == 100


def test_the_day_s_figure_is_kept_once_and_shown_on_the_dashboard(cli, desk, session_scope):
    first = ok(cli("engagement", "readiness", desk, "--json")).json()
    ok(cli("engagement", "readiness", desk))
    ok(cli("phase", "status", desk))
    with session_scope(write=False) as s:
        rows = s.execute(select(func.count()).select_from(ReadinessSnapshot)).scalar_one()
        (row,) = dashboard.overview(s)
    assert rows == 1
    assert row.readiness == first["score"]
    assert first["trend"] == [{"day": "2026-12-01", "score": first["score"]}]


def test_readiness_cli_prints_parts_and_refuses_unknown_engagements(cli, desk):
    out = ok(cli("engagement", "readiness", desk)).stdout
    assert out.startswith(f"{desk}: readiness ")
    assert "KT coverage by topic" in out and "What would raise it most:" in out
    bad = cli("engagement", "readiness", "nope")
    assert bad.exit_code == 2
    assert bad.stderr.count("error:") == 1 and "Traceback" not in bad.stderr


def test_readiness_query_count_does_not_grow_with_systems(
    cli, desk, session_scope, count_queries, tmp_path
):
    def measure() -> int:
        with session_scope(write=False) as s, count_queries() as q:
            readiness.readiness(s, ENG)
        return q.count

    ok(cli("access", "grant", desk, "--person", "Bob New", "--system", "CRM", "--role", "ops",
           "--justification", "x"))  # fmt: skip
    few = measure()
    for n in range(2, 7):
        ok(cli("system", "add", desk, f"S{n}", "--tier", "2"))
        ok(cli("access", "grant", desk, "--person", "Bob New", "--system", f"S{n}", "--role",
               "ops", "--justification", "x"))  # fmt: skip
    ok(cli("runbook", "generate", desk, "--missing", "--out", str(tmp_path / "books")))
    assert measure() == few


def test_phase_status_keeps_the_score_readiness_computes(cli, desk, session_scope):
    """``phase status`` judges the gates and the score on one reading; both are what the
    gate check and the readiness score give on their own."""
    from transition.services import gates

    ok(
        cli(
            "kt",
            "schedule",
            desk,
            "--system",
            "CRM",
            "--kind",
            "shadow",
            "--topic",
            "Backups",
            "--presenter",
            "Ann Old",
            "--attendee",
            "Bob New",
            "--at",
            "2026-12-03T10:00Z",
        )
    )
    with session_scope(write=False) as s:
        status, score = readiness.status_with_score(s, desk)
        assert status == gates.status(s, desk)
        assert score == readiness.score_of(s, desk)[0]
    shown = ok(cli("phase", "status", desk, "--json")).json()
    assert shown == status.model_dump(mode="json")
    with session_scope(write=False) as s:
        (row,) = dashboard.overview(s)
    assert row.readiness == score


def test_a_shorter_reading_keeps_the_score_and_the_first_items(cli, desk, session_scope):
    for n in range(8):
        ok(cli("system", "add", desk, f"Система {n}", "--tier", "2"))
    with session_scope(write=False) as s:
        full = readiness.readiness(s, ENG)
        short = readiness.readiness(s, ENG, items=1, per_system=False)
    assert len(_part(full, "access").items) == 9
    assert short.score == full.score
    assert short.raise_most == full.raise_most
    assert short.systems == [] and len(full.systems) == 9
    for whole, cut in zip(full.parts, short.parts, strict=True):
        assert cut.items == whole.items[: readiness.ITEMS_SHOWN]
        assert cut.model_dump(exclude={"items"}) == whole.model_dump(exclude={"items"})


def test_an_archived_engagement_s_readiness_is_read_and_not_kept(cli, desk, session_scope):
    """Archived engagements stay readable: ``engagement readiness`` explains the score of
    one (with a high access finding and KT topics to read) and keeps no figure for it."""
    ok(cli("access", "grant", desk, "--person", "Ann Old", "--system", "CRM", "--role",
           "domain admin"))  # fmt: skip
    live = ok(cli("engagement", "readiness", desk, "--json")).json()
    ok(cli("engagement", "archive", desk))
    with session_scope(write=False) as s:
        kept = s.execute(select(func.count()).select_from(ReadinessSnapshot)).scalar_one()
    frozen = ok(cli("engagement", "readiness", desk, "--json")).json()
    assert frozen["score"] == live["score"]
    assert ok(cli("engagement", "readiness", desk)).stdout.startswith(f"{desk}: readiness ")
    with session_scope(write=False) as s:
        assert s.execute(select(func.count()).select_from(ReadinessSnapshot)).scalar_one() == kept
