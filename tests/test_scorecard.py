"""The parallel-run scorecard: KPIs declared by the playbook, values per party and ISO
week (recorded, replaced, imported all or nothing), interventions, and the ``scorecard``
and ``interventions`` gate criteria."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.safety import assert_clean_error, dump
from transition.errors import BadInput, NotFound, ValidationFailed
from transition.models import AuditEvent, ScoreEntry
from transition.playbooks import load_playbook
from transition.services import engagements, gates, scorecard, scorecard_import
from transition.services.common import get_engagement

BOOK = """\
name: pilot-run
title: Pilot parallel run
version: 1
scorecard:
  - {key: p1-resolution, title: "P1 resolved within 4h", unit: "%", target: 95, better: higher, period: week}
  - {key: backlog-age, title: "Median age of open tickets", unit: d, target: 5, better: lower}
phases:
  - key: parallel-run
    title: Parallel run
    duration: 4w
    gate:
      - scorecard: {periods: 2}
      - interventions: {max: 0}
  - key: cutover
    title: Cutover
    duration: 1w
"""
ENG = "wayne-desk"


@pytest.fixture
def wayne(session_scope, tmp_path, clock) -> str:
    clock.pin(today="2026-11-23")  # ISO week 2026-W48
    path = tmp_path / "pilot-run.yaml"
    path.write_text(BOOK, encoding="utf-8")
    with session_scope() as s:
        eng = engagements.create(
            s,
            name="Wayne Desk",
            playbook=load_playbook(path),
            raw=path.read_bytes(),
            start=date(2026, 11, 2),
        )
        return eng.slug


def _record(session_scope, kpi, party, period, value, note=None):
    with session_scope() as s:
        return scorecard.record(s, ENG, kpi, party=party, period=period, value=value, note=note)


def _gate(session_scope) -> dict[str, tuple[bool, str]]:
    with session_scope(write=False) as s:
        phase = gates.status(s, ENG).phases[0]
    return {r.name: (r.met, r.reason) for r in phase.gate}


# --------------------------------------------------------------------------- playbook


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "{key: a, title: A, target: 1}\n  - {key: a, title: B, target: 2}",
            "duplicate KPI key 'a'",
        ),
        ("{key: a, title: A, target: 1, better: more}", "better"),
        ("{key: a, title: A, target: 1, period: month}", "period"),
        ("{key: a, title: A, target: lots}", "target must be a number"),
    ],
)
def test_a_bad_kpi_is_reported_with_its_line(tmp_path, entry, message):
    path = tmp_path / "bad.yaml"
    head, _, tail = BOOK.partition("scorecard:\n")
    tail = tail.split("phases:", 1)[1]
    path.write_text(f"{head}scorecard:\n  - {entry}\nphases:{tail}", encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        load_playbook(path)
    text = "\n".join(caught.value.lines())
    assert message in text and f"{path}:" in text, text


def test_the_shipped_managed_service_playbook_declares_kpis_and_gates_the_parallel_run():
    from transition.playbooks import resolve_playbook

    book = resolve_playbook("managed-service-onboarding")[0]
    assert {k.key for k in book.scorecard} >= {"p1-resolution"}
    gate = {c.name: c.number for c in book.phases[3].gate}
    assert book.phases[3].key == "parallel-run"
    assert (gate["scorecard"], gate["interventions"]) == (2, 0)


# --------------------------------------------------------------------------- periods


@settings(max_examples=10, deadline=None)
@given(st.dates(min_value=date(1, 1, 8), max_value=date(9999, 12, 20)))
def test_every_day_is_in_the_iso_week_its_period_names(day):
    period = scorecard.period_of(day)
    assert scorecard.parse_period(period) == period
    monday = scorecard.monday_of(period)
    assert monday <= day < monday + timedelta(days=7)


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=1, max_value=9999), st.integers(min_value=-3, max_value=60))
def test_a_week_exists_exactly_when_the_calendar_has_it(year, week):
    text = f"{year:04d}-W{week:02d}" if week >= 0 else f"{year:04d}-W{week}"
    try:
        exists = date.fromisocalendar(year, week, 1) is not None
    except ValueError:
        exists = False
    if exists:
        assert scorecard.parse_period(text) == text
    else:
        with pytest.raises(BadInput):
            scorecard.parse_period(text)


@pytest.mark.parametrize(
    ("text", "kept"),
    [("2026-w7", "2026-W07"), (" 2026-W53 ", "2026-W53"), ("2020-W53", "2020-W53")],
)
def test_periods_are_read_leniently_and_kept_in_one_form(text, kept):
    assert scorecard.parse_period(text) == kept


@pytest.mark.parametrize(
    "text",
    [
        "2025-W53",
        "2027-W53",
        "２０２６-W01",
        "2026-W00",
        "2026-49",
        "W49",
        "2026-W4x",
        "",
        "0000-W01",
    ],
)
def test_a_period_that_is_no_iso_week_is_refused(text):
    with pytest.raises(BadInput):
        scorecard.parse_period(text)


@pytest.mark.parametrize(
    "text", ["abc", "nan", "inf", "-inf", "1e13", "97 %", "", "1_000", "９７", "0x10", "97,5"]
)
def test_a_value_that_is_no_finite_number_is_refused(text):
    with pytest.raises(BadInput):
        scorecard.parse_value(text)


# --------------------------------------------------------------------------- record


def test_recording_again_replaces_the_value_and_the_log_keeps_the_first(session_scope, wayne):
    first = _record(session_scope, "p1-resolution", "provider", "2026-W47", "93.5", "draft")
    assert (first.met, first.replaced) == (False, None)
    again = _record(session_scope, "P1-Resolution", "Provider", "2026-w47", 96)
    assert (again.value, again.met, again.replaced) == (96, True, 93.5)
    with session_scope(write=False) as s:
        rows = s.execute(select(ScoreEntry)).scalars().all()
        assert [(r.kpi, r.party, r.period, r.value, r.note) for r in rows] == [
            ("p1-resolution", "provider", "2026-W47", 96.0, None)
        ]
        events = s.execute(
            select(AuditEvent.action, AuditEvent.field, AuditEvent.before, AuditEvent.after)
            .where(AuditEvent.entity == "score_entry")
            .order_by(AuditEvent.id)
        ).all()
    assert ("update", "value", "93.5", "96.0") in events
    assert ("update", "note", "draft", None) in events
    assert ("create", "value", None, "93.5") in events


def test_one_value_per_kpi_party_and_week_is_a_database_constraint(session_scope, wayne):
    from sqlalchemy.exc import IntegrityError

    from transition.errors import Refused

    _record(session_scope, "p1-resolution", "provider", "2026-W47", 96)
    with pytest.raises((IntegrityError, Refused)), session_scope() as s:
        eng = get_engagement(s, ENG)
        s.add(
            ScoreEntry(
                engagement_id=eng.id,
                kpi="p1-resolution",
                party="provider",
                period="2026-W47",
                value=1,
                recorded_at=s.execute(select(AuditEvent.at)).scalars().first(),
                recorded_by="x",
            )
        )
        s.flush()


@pytest.mark.parametrize(
    ("kpi", "party", "period", "value", "error", "message"),
    [
        ("first-contact", "provider", "2026-W48", "80", NotFound, "not declared"),
        ("p1-resolution", "vendor", "2026-W48", "80", BadInput, "invalid party"),
        ("p1-resolution", "provider", "2025-W53", "80", BadInput, "2025 has weeks 1 to 52"),
        ("p1-resolution", "provider", "2026-W48", "ninety", BadInput, "invalid value"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    session_scope, wayne, db_url, kpi, party, period, value, error, message
):
    before = dump(db_url)
    with pytest.raises(error, match=message), session_scope() as s:
        scorecard.record(s, ENG, kpi, party=party, period=period, value=value)
    assert dump(db_url) == before


@pytest.mark.parametrize(
    ("kpi", "value", "message"),
    [
        ("p1-resolution", "100.5", "invalid value 100.5 for p1-resolution: a percentage is from 0"),
        ("p1-resolution", "-1", "a percentage is from 0 to 100"),
        ("backlog-age", "-0.5", "invalid value -0.5 for backlog-age (d): it cannot be below 0"),
    ],
)
def test_a_value_outside_its_units_range_is_refused(
    session_scope, wayne, db_url, kpi, value, message
):
    before = dump(db_url)
    with pytest.raises(BadInput) as caught, session_scope() as s:
        scorecard.record(s, ENG, kpi, party="provider", period="2026-W48", value=value)
    assert message in caught.value.message
    assert caught.value.field == "value"
    assert dump(db_url) == before


def test_the_ends_of_a_units_range_are_values(session_scope, wayne):
    for kpi, value in (("p1-resolution", 0), ("p1-resolution", 100), ("backlog-age", 0)):
        assert _record(session_scope, kpi, "provider", "2026-W48", value).value == value


@given(text=st.sampled_from(["-0", "-0.0", "-0e5", "-1e-400", " -0 ", "-.0"]))
@settings(max_examples=6, deadline=None)
def test_minus_zero_is_zero(text):
    number = scorecard.parse_value(text)
    assert number == 0 and str(number) == "0.0"  # never shown, stored or exported as "-0"


def test_minus_zero_is_recorded_and_shown_as_zero(cli, wayne):
    result = cli("score", "record", ENG, "backlog-age", "--party", "provider", "--period",
                 "2026-W48", "--value", "-0")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "2026-W48: 0, target 5 met" in result.stdout
    assert [r["value"] for r in cli("score", "list", ENG, "--json").json()] == [0.0]
    assert "-0" not in cli("score", "list", ENG).stdout


@pytest.mark.parametrize(
    ("unit", "bounds"),
    [
        ("%", (0, 100)),
        ("Percent", (0, 100)),
        ("tickets", (0, None)),
        ("minutes", (0, None)),
        ("h", (0, None)),
        ("hours", (0, None)),
        ("count", (0, None)),
        ("EUR", (None, None)),
        ("", (None, None)),
    ],
)
def test_each_unit_has_its_range(unit, bounds):
    from transition.playbook_scorecard import KPISpec

    spec = KPISpec(key="k", title="K", unit=unit, target=1)
    low, high = bounds
    for value, fine in ((-0.1, low is None), (0, True), (100, True), (100.1, high is None)):
        if fine:
            assert scorecard.check_range(spec, value) == value
        else:
            with pytest.raises(BadInput):
                scorecard.check_range(spec, value)


def test_a_note_with_control_characters_is_refused(session_scope, wayne):
    with pytest.raises(BadInput), session_scope() as s:
        scorecard.record(
            s, ENG, "p1-resolution", party="provider", period="2026-W47", value=1, note="a\x1bb"
        )


# --------------------------------------------------------------------------- future weeks


@pytest.mark.parametrize("period", ["2026-W49", "2027-w01", "9999-W52"])
def test_a_week_after_the_current_one_is_refused(session_scope, wayne, db_url, period):
    before = dump(db_url)
    with pytest.raises(BadInput) as caught, session_scope() as s:
        scorecard.record(s, ENG, "p1-resolution", party="provider", period=period, value=97)
    assert caught.value.field == "period"
    assert caught.value.message == (
        f"invalid period {period!r}: it is after the current week, 2026-W48; "
        "record a score once its week has begun"
    )
    refused = pytest.raises(BadInput, match="after the current week, 2026-W48")
    with refused as caught, session_scope() as s:
        scorecard.intervene(s, ENG, period=period, note="Mail relay")
    assert caught.value.field == "period"
    assert dump(db_url) == before
    # The current week has begun: it is recorded, as are the weeks before it.
    _record(session_scope, "p1-resolution", "provider", "2026-W48", 97)
    _record(session_scope, "p1-resolution", "provider", "2025-W01", 97)
    with session_scope() as s:
        scorecard.intervene(s, ENG, period="2026-W48", note="Mail relay")


def test_the_current_week_is_the_iso_week_across_the_year_end(session_scope, wayne, clock):
    clock.pin(today="2027-01-01")  # a Friday in ISO week 2026-W53
    _record(session_scope, "p1-resolution", "provider", "2026-W53", 97)
    with pytest.raises(BadInput, match="after the current week, 2026-W53"):
        _record(session_scope, "p1-resolution", "provider", "2027-W01", 97)


def test_import_with_one_week_after_the_current_one_writes_nothing(
    session_scope, wayne, tmp_path, db_url
):
    path = tmp_path / "scores.csv"
    path.write_text(
        "kpi,party,period,value\n"
        "p1-resolution,provider,2026-W47,96\n"
        "p1-resolution,provider,9999-W52,97\n"
        "backlog-age,provider,2026-W48,4\n",
        encoding="utf-8",
    )
    before = dump(db_url)
    with pytest.raises(ValidationFailed) as caught, session_scope() as s:
        scorecard_import.import_csv(s, ENG, path)
    assert caught.value.lines() == [
        f"{path}: 1 problem(s); nothing was imported",
        f"{path}:3: invalid period '9999-W52': it is after the current week, 2026-W48; "
        "record a score once its week has begun",
    ]
    assert dump(db_url) == before


# --------------------------------------------------------------------------- import


def test_import_writes_every_row_and_replaces_earlier_values(session_scope, wayne, tmp_path):
    _record(session_scope, "backlog-age", "provider", "2026-W47", 7)
    path = tmp_path / "scores.csv"
    path.write_text(
        "period,kpi,party,value,note\n"
        "2026-W47,p1-resolution,provider,96.4,extract\n"
        "\n"
        "2026-W47,backlog-age,provider,4.8,\n"
        "2026-W47,backlog-age,incumbent,4.2,Отчёт\n",
        encoding="utf-8",
    )
    with session_scope() as s:
        result = scorecard_import.import_csv(s, ENG, path)
    assert (result.added, result.replaced) == (2, 1)
    with session_scope(write=False) as s:
        rows = {(r.kpi, r.party): (r.value, r.met, r.note) for r in scorecard.list_scores(s, ENG)}
    assert rows == {
        ("p1-resolution", "provider"): (96.4, True, "extract"),
        ("backlog-age", "provider"): (4.8, True, None),
        ("backlog-age", "incumbent"): (4.2, True, "Отчёт"),
    }


def test_import_reports_every_bad_line_and_writes_nothing(session_scope, wayne, tmp_path, db_url):
    path = tmp_path / "bad.csv"
    path.write_text(
        "kpi,party,period,value,note\n"
        "p1-resolution,provider,2026-W48,97,\n"
        "sla-breaches,provider,2026-W48,0,\n"
        "backlog-age,vendor,2027-W53,4,\n"
        "backlog-age,provider,2026-W48,four,\n"
        "p1-resolution,provider,2026-W48,98,\n"
        "p1-resolution,incumbent,2026-W48,120,\n"
        "backlog-age,incumbent,2026-W48,-2,\n"
        "p1-resolution,provider\n",
        encoding="utf-8",
    )
    before = dump(db_url)
    with pytest.raises(ValidationFailed) as caught, session_scope() as s:
        scorecard_import.import_csv(s, ENG, path)
    lines = caught.value.lines()
    assert dump(db_url) == before
    assert lines[0] == f"{path}: 1 problem(s); nothing was imported"  # the ragged row first
    path.write_text("\n".join(path.read_text().splitlines()[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught, session_scope() as s:
        scorecard_import.import_csv(s, ENG, path)
    body = "\n".join(caught.value.lines())
    assert caught.value.lines()[0] == f"{path}: 7 problem(s); nothing was imported"
    for expected in (
        f"{path}:3: KPI 'sla-breaches' is not declared",
        f"{path}:4: invalid party 'vendor'",
        f"{path}:4: invalid period '2027-W53'",
        f"{path}:5: invalid value 'four'",
        f"{path}:6: p1-resolution of the provider in 2026-W48 is also on line 2",
        f"{path}:7: invalid value 120 for p1-resolution: a percentage is from 0 to 100",
        f"{path}:8: invalid value -2 for backlog-age (d): it cannot be below 0",
    ):
        assert expected in body, body
    assert dump(db_url) == before


@pytest.mark.parametrize(
    "text",
    [
        "",
        "kpi,party,value\n",
        "kpi,party,period,value,note,extra\n",
        "kpi,kpi,party,period,value\n",
    ],
)
def test_a_bad_header_is_refused(session_scope, wayne, tmp_path, text):
    path = tmp_path / "h.csv"
    path.write_text(text + "p1-resolution,provider,2026-W48,97\n", encoding="utf-8")
    with pytest.raises(BadInput), session_scope() as s:
        scorecard_import.import_csv(s, ENG, path)


def test_an_import_of_a_thousand_rows_is_bounded(session_scope, wayne, tmp_path, count_queries):
    def write(n: int):
        path = tmp_path / f"{n}.csv"
        rows = [
            f"p1-resolution,{party},{1000 + n + i // 50}-W{i % 50 + 1:02d},{90 + i % 10},"
            for i in range(n)
            for party in ("incumbent", "provider")
        ]
        path.write_text("kpi,party,period,value,note\n" + "\n".join(rows) + "\n")
        return path

    counts = []
    for n in (5, 500):
        with count_queries() as q, session_scope() as s:
            scorecard_import.import_csv(s, ENG, write(n))
        counts.append(q.count)
    assert counts[0] == counts[1], counts


# --------------------------------------------------------------------------- reads


def test_list_and_scorecard_are_bounded(session_scope, wayne, count_queries):
    def fill(weeks: int):
        with session_scope() as s:
            for w in range(1, weeks + 1):
                for kpi in ("p1-resolution", "backlog-age"):
                    for party in ("incumbent", "provider"):
                        scorecard.record(s, ENG, kpi, party=party, period=f"2025-W{w:02d}", value=w)

    counts = []
    for weeks in (2, 20):
        fill(weeks)
        with count_queries() as q, session_scope(write=False) as s:
            rows = scorecard.list_scores(s, ENG)
            card = scorecard.scorecard(s, ENG)
        assert len(rows) == weeks * 4 and len(card.periods) == weeks
        counts.append(q.count)
    assert counts[0] == counts[1], counts


def test_the_scorecard_has_one_series_per_kpi_and_party(session_scope, wayne):
    _record(session_scope, "p1-resolution", "provider", "2026-W46", 91)
    _record(session_scope, "p1-resolution", "incumbent", "2026-W47", 96)
    with session_scope() as s:
        scorecard.intervene(s, ENG, period="2026-W47", note="Relay restarted by OldCo")
    with session_scope(write=False) as s:
        card = scorecard.scorecard(s, ENG)
    assert card.periods == ["2026-W46", "2026-W47"]
    p1, backlog = card.kpis
    assert (p1.provider, p1.incumbent, p1.provider_met) == ([91, None], [None, 96], [False, False])
    assert backlog.provider == [None, None] and backlog.better == "lower"
    assert [(i.period, i.note) for i in card.interventions] == [
        ("2026-W47", "Relay restarted by OldCo")
    ]


# --------------------------------------------------------------------------- gates


def test_scorecard_criterion_needs_the_last_n_weeks_all_met(session_scope, wayne):
    assert _gate(session_scope)["scorecard"] == (
        False,
        "provider scores in 0 of the 2 week(s) needed",
    )
    for period, p1, age in (("2026-W45", 96, 4), ("2026-W46", 91, 6), ("2026-W47", 96.4, 4.8)):
        _record(session_scope, "p1-resolution", "provider", period, p1)
        _record(session_scope, "backlog-age", "provider", period, age)
    met, reason = _gate(session_scope)["scorecard"]
    assert not met and "p1-resolution 2026-W46 (91 vs 95)" in reason
    assert "backlog-age 2026-W46 (6 vs 5)" in reason
    # The current week counts; a later week does not (it has not happened yet): it is
    # refused, and one a database holds from before (an older version, an import of an
    # export) is left out of the gate.
    _record(session_scope, "p1-resolution", "provider", "2026-W48", 97)
    with pytest.raises(BadInput, match="after the current week, 2026-W48"):
        _record(session_scope, "backlog-age", "provider", "2026-W49", 1)
    with session_scope() as s:
        s.add(
            ScoreEntry(
                engagement_id=get_engagement(s, ENG).id,
                kpi="backlog-age",
                party="provider",
                period="2026-W49",
                value=1,
                recorded_at=datetime(2026, 11, 23, tzinfo=UTC),
                recorded_by="tester",
            )
        )
    met, reason = _gate(session_scope)["scorecard"]
    assert not met and reason.endswith("backlog-age 2026-W48 (no value)"), reason
    _record(session_scope, "backlog-age", "provider", "2026-W48", 5)  # at the target: met
    assert _gate(session_scope)["scorecard"] == (
        True,
        "provider met all 2 KPI target(s) in 2026-W47, 2026-W48",
    )
    # Incumbent values do not count.
    _record(session_scope, "p1-resolution", "incumbent", "2026-W48", 10)
    assert _gate(session_scope)["scorecard"][0] is True


def test_scorecard_criterion_needs_consecutive_weeks(session_scope, wayne):
    for period in ("2026-W44", "2026-W47"):
        _record(session_scope, "p1-resolution", "provider", period, 99)
        _record(session_scope, "backlog-age", "provider", period, 1)
    assert _gate(session_scope)["scorecard"] == (
        False,
        "2026-W44 and 2026-W47 are not consecutive weeks",
    )


def test_consecutive_weeks_cross_the_year_end(session_scope, wayne, clock):
    clock.pin(today="2027-01-05")
    for period in ("2026-W53", "2027-W01"):
        _record(session_scope, "p1-resolution", "provider", period, 99)
        _record(session_scope, "backlog-age", "provider", period, 1)
    assert _gate(session_scope)["scorecard"][0] is True


def test_interventions_criterion_counts_weeks(session_scope, wayne):
    assert _gate(session_scope)["interventions"] == (True, "interventions in 0 week(s), at most 0")
    with session_scope() as s:
        scorecard.intervene(s, ENG, period="2026-W47", note="Mail relay")
        scorecard.intervene(s, ENG, period="2026-W47", note="Backup job")
    assert _gate(session_scope)["interventions"] == (
        False,
        "interventions in 1 week(s) (2026-W47), at most 0",
    )


def test_an_intervention_needs_a_note(session_scope, wayne):
    with pytest.raises(BadInput), session_scope() as s:
        scorecard.intervene(s, ENG, period="2026-W47", note="  ")


# --------------------------------------------------------------------------- CLI


def test_cli_record_list_import_intervention(cli, acme, tmp_path, db_url, clock):
    clock.pin(today="2026-11-23")  # ISO week 2026-W48
    ok = cli(
        "score", "record", acme, "p1-resolution", "--party", "provider",
        "--period", "2026-W48", "--value", "97.5", "--note", "ITSM",
    )  # fmt: skip
    assert ok.exit_code == 0, ok.stderr
    assert ok.stdout == "p1-resolution provider 2026-W48: 97.5, target 95 met\n"
    path = tmp_path / "s.csv"
    path.write_text("kpi,party,period,value\np1-resolution,incumbent,2026-W48,96\n")
    imported = cli("score", "import", acme, str(path))
    assert imported.exit_code == 0 and "imported 1 value(s)" in imported.stdout
    listed = cli("score", "list", acme, "--json")
    assert [(r["party"], r["value"], r["met"]) for r in listed.json()] == [
        ("incumbent", 96.0, True),
        ("provider", 97.5, True),
    ]
    text = cli("score", "list", acme)
    assert "p1-resolution" in text.stdout and "≥ 95%" in text.stdout
    done = cli("score", "intervention", acme, "--period", "2026-W48", "--note", "Relay")
    assert done.exit_code == 0 and done.stdout == "recorded intervention 1 in 2026-W48\n"


@pytest.mark.parametrize(
    "args",
    [
        ("record", "acme-helpdesk", "nope", "--party", "provider", "--period", "2026-W48", "--value", "1"),
        ("record", "acme-helpdesk", "p1-resolution", "--party", "provider", "--period", "2025-W53", "--value", "1"),
        ("record", "acme-helpdesk", "p1-resolution", "--party", "provider", "--period", "2026-W48", "--value", "x"),
        ("record", "acme-helpdesk", "p1-resolution", "--party", "both", "--period", "2026-W48", "--value", "1"),
        ("record", "no-such", "p1-resolution", "--party", "provider", "--period", "2026-W48", "--value", "1"),
        ("intervention", "acme-helpdesk", "--period", "2026-W60", "--note", "x"),
        ("record", "acme-helpdesk", "p1-resolution", "--party", "provider", "--period", "9999-W52", "--value", "1"),
        ("intervention", "acme-helpdesk", "--period", "2026-W49", "--note", "x"),
        ("import", "acme-helpdesk", "missing.csv"),
    ],
)  # fmt: skip
def test_cli_refusals_exit_2_and_write_nothing(cli, acme, db_url, args, clock):
    clock.pin(today="2026-11-23")
    before = dump(db_url)
    result = cli("score", *args)
    assert_clean_error(result, 2)
    assert len(result.stderr.splitlines()) == 1
    assert dump(db_url) == before


def test_cli_import_prints_every_bad_line(cli, acme, tmp_path, db_url):
    path = tmp_path / "bad.csv"
    path.write_text(
        "kpi,party,period,value,note\nnope,provider,2026-W48,1,\nfirst-contact,x,2026-W48,y,\n"
    )
    before = dump(db_url)
    result = cli("score", "import", acme, str(path))
    assert_clean_error(result, 2)
    assert result.stderr.splitlines()[1:] == [
        f"error: {path}:2: KPI 'nope' is not declared by the playbook of acme-helpdesk "
        "(KPIs: p1-resolution, first-contact, backlog-age)",
        f"error: {path}:3: invalid party 'x': incumbent or provider",
        f"error: {path}:3: invalid value 'y': expected a number like 97.5",
    ]
    assert dump(db_url) == before


def test_cli_import_refuses_a_file_with_a_week_after_the_current_one(
    cli, acme, tmp_path, db_url, clock
):
    clock.pin(today="2026-11-23")  # ISO week 2026-W48
    path = tmp_path / "scores.csv"
    path.write_text(
        "kpi,party,period,value\n"
        "p1-resolution,provider,2026-W47,96\n"
        "p1-resolution,provider,2026-W48,97\n"
        "p1-resolution,incumbent,2026-W49,95\n"
    )
    before = dump(db_url)
    result = cli("score", "import", acme, str(path))
    assert_clean_error(result, 2)
    assert result.stderr.splitlines()[1:] == [
        f"error: {path}:4: invalid period '2026-W49': it is after the current week, 2026-W48; "
        "record a score once its week has begun"
    ]
    assert dump(db_url) == before


# --------------------------------------------------------------------------- transfer


def test_export_and_import_carry_scores_and_interventions(cli, acme, tmp_path):
    import json

    cli("score", "record", acme, "p1-resolution", "--party", "provider", "--period", "2026-W48", "--value", "97.5", "--note", "ITSM")  # fmt: skip
    cli("score", "intervention", acme, "--period", "2026-W48", "--note", "Relay")
    document = cli("export", acme).json()
    bundle = document["engagements"][0]
    assert [(r["kpi"], r["value"]) for r in bundle["score_entries"]] == [("p1-resolution", 97.5)]
    assert [r["note"] for r in bundle["interventions"]] == ["Relay"]
    assert cli("engagement", "archive", acme).exit_code == 0
    assert cli("engagement", "delete", acme, "--confirm", acme).exit_code == 0
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    imported = cli("import", str(path))
    assert imported.exit_code == 0, imported.stderr
    rows = cli("score", "list", acme, "--json").json()
    assert [(r["period"], r["value"], r["note"]) for r in rows] == [("2026-W48", 97.5, "ITSM")]
    bad = json.loads(json.dumps(document))
    bad["engagements"][0]["score_entries"][0]["period"] = "2025-W53"
    path.write_text(json.dumps(bad), encoding="utf-8")
    cli("engagement", "archive", acme)
    cli("engagement", "delete", acme, "--confirm", acme)
    refused = cli("import", str(path))
    assert refused.exit_code == 2 and "2025-W53" in refused.stderr, refused.stderr


# --------------------------------------------------------------------------- report


def test_report_shows_the_scorecard_with_user_text_escaped(session_scope, tmp_path, clock):
    from transition import reports

    clock.pin(today="2026-11-23")
    path = tmp_path / "book.yaml"
    path.write_text(
        BOOK.replace('"P1 resolved within 4h"', '"P1 <b>fixed</b> & *fast*"'), encoding="utf-8"
    )
    with session_scope() as s:
        engagements.create(
            s, name="Wayne Desk", playbook=load_playbook(path), raw=path.read_bytes(),
            start=date(2026, 11, 2),
        )  # fmt: skip
    _record(session_scope, "p1-resolution", "provider", "2026-W46", 91)
    _record(session_scope, "p1-resolution", "incumbent", "2026-W46", 96.5)
    _record(session_scope, "p1-resolution", "provider", "2026-W47", 97)
    with session_scope() as s:
        scorecard.intervene(s, ENG, period="2026-W47", note="<script>alert(1)</script>")
    with session_scope(write=False) as s:
        data = reports.report_data(s, get_engagement(s, ENG))
    html = reports.render(data, "html")
    section = html[html.index("Parallel-run scorecard") : html.index("Changes since")]
    assert "<b>fixed</b>" not in section and "&lt;b&gt;fixed&lt;/b&gt; &amp; *fast*" in section
    assert "<script>" not in section and "&lt;script&gt;" in section
    assert section.count("<svg") == 2 and "<polyline" in section and "target 95%" in section
    md = reports.render(data, "md")
    part = md[md.index("## Parallel-run scorecard") : md.index("## Changes since")]
    assert "| 2026-W46 | 96.5 | 91 | **no** |" in part
    assert "| 2026-W47 | – | 97 | yes |" in part
    assert "\\<b\\>" in part or "&lt;b&gt;" in part, part


def test_a_crlf_file_with_a_quoted_note_over_two_lines_imports(session_scope, wayne, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b"\xef\xbb\xbfkpi,party,period,value,note\r\n"
        b'p1-resolution,provider,2026-W47,96,"first line\r\nsecond, line"\r\n'
        b"\r\n"
        b"backlog-age,provider,2026-W47,4,\r\n"
    )
    with session_scope() as s:
        result = scorecard_import.import_csv(s, ENG, path)
    assert (result.added, result.replaced) == (2, 0)
    with session_scope(write=False) as s:
        notes = {r.kpi: r.note for r in scorecard.list_scores(s, ENG)}
    assert notes == {"p1-resolution": "first line\nsecond, line", "backlog-age": None}
