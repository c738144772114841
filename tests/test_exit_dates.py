"""``engagement set --notice DATE --exit DATE``: the exit's notice and date, shown by
``engagement show``, cleared with ``none``, checked; a grant that outlives the exit is a
finding."""

from __future__ import annotations

from tests.safety import assert_clean_error

ENG = "exit-desk"


def _engagement(cli) -> None:
    assert cli("engagement", "new", "Exit Desk", "--playbook", "managed-service-onboarding",
               "--start", "2026-11-02").exit_code == 0  # fmt: skip


def test_notice_and_exit_are_set_shown_and_cleared(cli):
    _engagement(cli)
    result = cli("engagement", "set", ENG, "--notice", "2027-03-01", "--exit", "2027-09-01")
    assert result.exit_code == 0, result.stderr
    assert "notice_date: - → 2027-03-01" in result.stdout or "2027-03-01" in result.stdout
    shown = cli("engagement", "show", ENG)
    assert "exit notice 2027-03-01, exit 2027-09-01" in shown.stdout
    data = cli("engagement", "show", ENG, "--json").json()
    assert (data["notice_date"], data["exit_date"]) == ("2027-03-01", "2027-09-01")
    assert cli("engagement", "set", ENG, "--notice", "none").exit_code == 0
    data = cli("engagement", "show", ENG, "--json").json()
    assert (data["notice_date"], data["exit_date"]) == (None, "2027-09-01")
    trail = cli("audit", ENG, "--json").json()
    assert [e["after"] for e in trail if e["field"] == "notice_date"] == ["2027-03-01", None]
    assert cli("audit", ENG, "--verify").exit_code == 0


def test_bad_dates_and_a_notice_after_the_exit_are_refused(cli):
    _engagement(cli)
    before = cli("engagement", "show", ENG, "--json").json()
    for args in (
        ("--exit", "2027-02-30"),
        ("--notice", "soon"),
        ("--exit", "3001-01-01"),
        ("--notice", "2027-10-01", "--exit", "2027-09-01"),
    ):
        assert_clean_error(cli("engagement", "set", ENG, *args), 2)
    assert cli("engagement", "show", ENG, "--json").json() == before
    assert cli("engagement", "set", ENG, "--exit", "2027-09-01").exit_code == 0
    assert_clean_error(cli("engagement", "set", ENG, "--notice", "2027-09-02"), 2)


def test_a_grant_that_outlives_the_exit_is_a_finding(cli):
    _engagement(cli)
    assert cli("person", "add", ENG, "Pia New", "--side", "provider").exit_code == 0
    assert cli("system", "add", ENG, "CRM").exit_code == 0
    assert cli("access", "grant", ENG, "--person", "Pia New", "--system", "CRM", "--role",
               "reader", "--expires", "2027-12-31").exit_code == 0  # fmt: skip
    kinds = {f["kind"] for f in cli("access", "review", ENG, "--json").json()}
    assert "expires_after_exit" not in kinds
    assert cli("engagement", "set", ENG, "--exit", "2027-09-01").exit_code == 0
    kinds = {f["kind"] for f in cli("access", "review", ENG, "--json").json()}
    assert "expires_after_exit" in kinds
    assert cli("undo", ENG).exit_code == 0
    data = cli("engagement", "show", ENG, "--json").json()
    assert data["exit_date"] is None
