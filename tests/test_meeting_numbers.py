"""Meetings are numbered per engagement, in order of start time, and keep their numbers;
what is past or to come follows the pinned date (``TRANSITION_TODAY``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from transition.errors import Refused
from transition.models import Meeting
from transition.services.common import get_engagement

ENG = "acme-helpdesk"


def rows(cli, slug: str = ENG, *args: str) -> list[dict]:
    result = cli("meeting", "list", slug, "--json", *args)
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_numbers_follow_start_time_and_survive_a_replan(cli, acme, clock):
    clock.pin(now=datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    first = rows(cli)
    assert [m["number"] for m in first] == list(range(1, len(first) + 1))
    assert [m["starts_at"] for m in first] == sorted(m["starts_at"] for m in first)
    number_of = {m["uid"]: m["number"] for m in first}
    assert cli("meeting", "cancel", ENG, "3", "--reason", "Offsite").exit_code == 0

    assert cli("phase", "replan", ENG, "--phase", "parallel-run", "--start", "2027-03-01",
               "--reason", "client freeze").exit_code == 0  # fmt: skip
    after = rows(cli)
    kept = [m for m in after if m["uid"] in number_of]
    assert all(m["number"] == number_of[m["uid"]] for m in kept)  # nobody is renumbered
    new = [m for m in after if m["uid"] not in number_of]
    assert new, "the longer plan adds meetings"
    top = max(number_of.values())
    assert sorted(m["number"] for m in new) == list(range(top + 1, top + 1 + len(new)))
    assert [m["number"] for m in sorted(new, key=lambda m: m["starts_at"])] == sorted(
        m["number"] for m in new
    )
    assert next(m for m in after if m["number"] == 3)["status"] == "cancelled"


def test_numbers_are_per_engagement_and_a_database_promise(cli, acme, session_scope):
    other = cli("engagement", "new", "Beta Desk", "--playbook", "managed-service-onboarding",
                "--start", "2026-11-09")  # fmt: skip
    assert other.exit_code == 0, other.stderr
    assert rows(cli)[0]["number"] == 1
    assert rows(cli, "beta-desk")[0]["number"] == 1
    assert cli("meeting", "held", "beta-desk", "0").exit_code == 2
    with (
        pytest.raises(Refused, match="meeting with this number .* already exists"),
        session_scope() as s,
    ):
        eng = get_engagement(s, ENG)
        row = s.execute(
            select(Meeting).where(Meeting.engagement_id == eng.id, Meeting.number == 2)
        ).scalar_one()
        row.number = 1
        s.flush()


def test_past_and_to_come_follow_the_pinned_date(cli, acme, setting):
    setting("TRANSITION_TODAY", "2026-11-12")
    listed = rows(cli)
    upcoming = rows(cli, ENG, "--upcoming")
    assert upcoming and all(m["occurs_on"] > "2026-11-12" for m in upcoming)
    past = [m for m in listed if m["occurs_on"] < "2026-11-11"]
    assert past and all(m["missed"] for m in past)  # no minutes, more than a day after
    later = str(upcoming[0]["number"])
    refused = cli("meeting", "held", ENG, later)
    assert refused.exit_code == 1 and "still to come" in refused.stderr
    done = cli("meeting", "held", ENG, str(past[0]["number"]), "--minutes", "Agreed")
    assert done.exit_code == 0, done.stderr
    assert f"meeting #{past[0]['number']} " in done.stdout
