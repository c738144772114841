"""The exit timeline: checklist items due relative to the notice and exit dates (working
days on the engagement's calendar), moving with them; overdue items and the exit-readiness
figure in ``handover show``, the TUI's model and the report."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.safety import assert_clean_error
from transition.errors import BadInput
from transition.exit_timeline import DERIVED_DUE, due_on, parse_due
from transition.services import engagements, exit_readiness, handover
from transition.workdays import Calendar

ENG = "acme-helpdesk"


def test_due_rules_parse_and_print_in_their_written_form():
    assert str(parse_due("exit-30d")) == "exit-30d"
    assert str(parse_due("Notice + 14d")) == "notice+2w"
    assert str(parse_due("exit-10bd")) == "exit-10bd"
    assert str(parse_due("exit")) == "exit"
    for bad in ("cutover-3d", "exit-", "exit+3x", "notice 3d", "exit-99999d", ""):
        with pytest.raises(BadInput):
            parse_due(bad)


@settings(max_examples=10, deadline=None)
@given(
    st.sampled_from(["notice", "exit"]),
    st.integers(-400, 400),
    st.sampled_from(["d", "bd", "w"]),
)
def test_a_due_date_counts_from_its_anchor(anchor, amount, unit):
    rule = f"{anchor}{'+' if amount >= 0 else '-'}{abs(amount)}{unit}"
    notice, exit_on = date(2027, 1, 4), date(2027, 6, 30)
    base = notice if anchor == "notice" else exit_on
    due = due_on(str(parse_due(rule)), notice, exit_on, Calendar())
    assert due is not None
    assert (due >= base) == (amount >= 0) or due == base
    if unit == "bd" and amount:
        assert due.weekday() < 5  # working days land on a working day
    assert due_on(rule, None, None, Calendar()) is None  # no dates: no due date


def test_a_bad_due_in_a_checklist_is_refused_with_its_line(tmp_path):
    from transition.handover_checklists import load_checklist

    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\ntitle: Bad\nsections:\n  - key: s\n    title: S\n    items:\n"
        "      - key: a\n        title: A\n        due: cutover-3d\n",
        encoding="utf-8",
    )
    with pytest.raises(BadInput) as caught:
        load_checklist(path)
    assert "bad.yaml:9" in str(caught.value.message) and "invalid due" in caught.value.message


def _dues(session_scope) -> dict[str, tuple[str | None, date | None, bool]]:
    with session_scope(write=False) as s:
        return {i.key: (i.due_rule, i.due_date, i.overdue) for i in handover.show(s, ENG)}


def test_items_are_due_from_the_notice_and_exit_and_follow_them(cli, acme, session_scope, clock):
    clock.pin(today="2027-03-01")
    assert cli("person", "add", ENG, "Bob New", "--side", "provider").exit_code == 0
    assert cli("system", "add", ENG, "CRM").exit_code == 0
    assert cli("access", "grant", ENG, "--person", "Bob New", "--system", "CRM",
               "--role", "admin").exit_code == 0  # fmt: skip
    dues = _dues(session_scope)
    assert dues["data-export-open-formats"] == ("exit-30d", None, False)  # no dates yet
    assert dues["system-1-reverse-kt" if "system-1-reverse-kt" in dues else next(
        k for k in dues if k.startswith("system"))][0] == DERIVED_DUE["system"]  # fmt: skip
    with session_scope() as s:
        engagements.update(s, ENG, notice="2027-02-01", exit="2027-04-30")
    dues = _dues(session_scope)
    assert dues["data-export-open-formats"][1] == date(2027, 3, 31)
    assert dues["assistance-terms"][1:] == (date(2027, 2, 15), True)  # notice+2w, overdue
    assert dues["documentation-currency-review"][1] == date(2027, 4, 16)  # exit-10bd
    grant = next(v for k, v in dues.items() if k.startswith("grant"))
    assert grant == ("exit", date(2027, 4, 30), False)
    with session_scope() as s:  # the exit moves: every due date with it, at once
        engagements.update(s, ENG, exit="2027-05-31")
    assert _dues(session_scope)["data-export-open-formats"][1] == date(2027, 5, 1)
    with session_scope() as s:  # working days follow the calendar
        engagements.update(s, ENG, workweek="mon-thu")
    assert _dues(session_scope)["documentation-currency-review"][1] == date(2027, 5, 12)


def test_readiness_counts_done_items_of_those_due(cli, acme, session_scope, clock):
    clock.pin(today="2027-03-01")
    with session_scope(write=False) as s:
        ready = exit_readiness.readiness(s, ENG)
    assert (ready.dated, ready.due, ready.percent) == (0, 0, None)
    assert "set the notice and exit dates" in ready.describe()
    assert cli("engagement", "set", ENG, "--notice", "2027-02-01", "--exit", "2027-04-30")
    assert cli("handover", "done", ENG, "assistance-terms").exit_code == 0
    with session_scope(write=False) as s:
        ready = exit_readiness.readiness(s, ENG)
    # Due by 2027-03-01: assistance-terms, named-contacts, data-inventory (notice+2w),
    # reverse-kt-plan (notice+4w, due today: not overdue yet).
    assert (ready.due, ready.due_done, ready.overdue, ready.percent) == (4, 1, 2, 25)
    assert ready.done == 1 and ready.total == ready.dated
    shown = cli("handover", "show", ENG)
    assert "exit readiness: 1 of 4 due items done (25%)" in shown.stdout
    assert "due 2027-02-15 OVERDUE" in shown.stdout
    rows = cli("handover", "show", ENG, "--json").json()
    item = next(r for r in rows if r["key"] == "named-contacts")
    assert (item["due_rule"], item["due_date"], item["overdue"]) == (
        "notice+2w",
        "2027-02-15",
        True,
    )
    report = cli("report", ENG)
    assert "Exit readiness: 1 of 4 due items done (25%)" in report.stdout


@pytest.mark.parametrize("systems", [1, 6])
def test_readiness_reads_a_bounded_number_of_queries(
    cli, acme, session_scope, count_queries, systems
):
    for n in range(systems):
        assert cli("system", "add", ENG, f"S{n}").exit_code == 0
    assert cli("engagement", "set", ENG, "--exit", "2027-04-30").exit_code == 0
    with session_scope(write=False) as s, count_queries() as q:
        exit_readiness.checklist(s, ENG)
    assert q.count <= 5


def test_an_exported_checklist_keeps_its_due_offsets(cli, acme, tmp_path):
    out = tmp_path / "exit.yaml"
    assert cli("handover", "export", ENG, "-o", out).exit_code == 0
    assert "due: exit-30d" in out.read_text(encoding="utf-8")


def test_handover_show_of_an_unknown_engagement_is_refused(cli):
    assert_clean_error(cli("handover", "show", "nope"), 2)
