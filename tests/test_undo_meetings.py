"""Undo of a change that laid the meetings out again (a replan, a new exit date) puts the
meetings back where the plan puts them."""

from __future__ import annotations


def starts(cli, eng: str) -> list[tuple[str, str]]:
    result = cli("meeting", "list", eng, "--json")
    assert result.exit_code == 0, result.stderr
    return sorted((m["starts_at"], m["status"]) for m in result.json())


def test_undoing_a_replan_lays_the_meetings_out_as_before(cli, acme):
    before = starts(cli, acme)
    assert before, "the shipped playbook lays out a cadence"
    moved = cli(
        "phase", "replan", acme, "--phase", "ramp-up", "--start", "2027-01-04", "--reason", "late"
    )
    assert moved.exit_code == 0, moved.stderr
    assert starts(cli, acme) != before
    undone = cli("undo", acme)
    assert undone.exit_code == 0, undone.stderr
    assert starts(cli, acme) == before


def test_undoing_a_new_exit_date_lays_the_meetings_out_as_before(cli, acme):
    before = starts(cli, acme)
    assert cli("engagement", "set", acme, "--exit", "2027-01-15").exit_code == 0
    undone = cli("undo", acme)
    assert undone.exit_code == 0, undone.stderr
    assert starts(cli, acme) == before
