"""Governance cadence: meetings laid from the playbook, held, cancelled, actions; and the
one calendar of everything."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from safety import assert_clean_error

from transition.playbook_cadence import CadenceSpec, parse_every
from transition.services import meetings
from transition.services.common import get_engagement
from transition.workdays import Calendar

ENG = "acme-helpdesk"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def spec(every: str, **extra) -> CadenceSpec:
    return CadenceSpec.model_validate(
        {"key": "k", "title": "T", "every": every, "from": "x"} | extra
    )


# --------------------------------------------------------------------------- recurrence


def test_weekly_keeps_its_wall_time_across_a_daylight_saving_change():
    got = meetings.occurrences(
        spec("weekly on mon at 10:00"), date(2026, 10, 12), date(2026, 11, 2), Calendar(), "Europe/London"
    )  # fmt: skip
    assert [d for d, _ in got] == [date(2026, 10, 12), date(2026, 10, 19), date(2026, 10, 26),
                                   date(2026, 11, 2)]  # fmt: skip
    # 10:00 BST is 09:00 UTC; after the clocks go back on 25 October, 10:00 GMT is 10:00 UTC.
    assert [at.hour for _, at in got] == [9, 9, 10, 10]


def test_a_meeting_on_a_holiday_moves_to_the_next_working_day():
    got = meetings.occurrences(
        spec("weekly on fri at 09:30"), date(2026, 12, 18), date(2027, 1, 8), Calendar("GB-ENG"), None
    )  # fmt: skip
    # Christmas Day is a Friday; Monday the 28th is the Boxing Day holiday: Tuesday it is.
    # New Year's Day is a Friday too: Monday 4 January.
    assert [at.date() for _, at in got] == [
        date(2026, 12, 18), date(2026, 12, 29), date(2027, 1, 4), date(2027, 1, 8)
    ]  # fmt: skip
    assert [d for d, _ in got][1] == date(2026, 12, 25)  # named by the day its rule gives


@pytest.mark.parametrize(
    ("every", "days"),
    [
        (
            "every 2 weeks on wed at 14:00",
            [date(2026, 11, 4), date(2026, 11, 18), date(2026, 12, 2)],
        ),
        ("monthly on the first monday at 10:00", [date(2026, 11, 2), date(2026, 12, 7)]),
        ("monthly on the last fri at 10:00", [date(2026, 11, 27)]),
        ("quarterly on the first tue at 10:00", [date(2026, 11, 3)]),
        ("monthly on day 15 at 10:00", [date(2026, 11, 16)]),  # the 15th is a Sunday
    ],
)
def test_recurrence_rules(every, days):
    got = meetings.occurrences(spec(every), date(2026, 11, 1), date(2026, 12, 10), Calendar(), None)
    assert [at.date() for _, at in got] == days


@pytest.mark.parametrize(
    "every",
    ["weekly at 10:00", "daily at 09:00", "monthly on tue at 10:00", "weekly on tue at 25:00",
     "every 13 weeks on mon at 10:00", "monthly on day 31 at 10:00"],
)  # fmt: skip
def test_bad_recurrences_are_refused(every):
    with pytest.raises(ValueError, match="recurrence"):
        parse_every(every)


def test_a_bad_cadence_is_a_playbook_error_with_its_line(offline_cli, tmp_path):
    book = tmp_path / "gov.yaml"
    book.write_text(
        "name: gov\ntitle: Gov\nphases:\n  - key: run\n    title: Run\n    duration: 2w\n"
        "cadence:\n  - key: ops\n    title: Ops\n    every: weekly on tue at 10:00\n"
        "    from: nowhere.start\n  - key: ops2\n    title: Ops\n    every: fortnightly\n"
        "    from: run.start\n",
        encoding="utf-8",
    )
    result = offline_cli("playbook", "validate", book)
    assert result.exit_code == 2
    assert "unknown milestone 'nowhere.start'" in result.stderr
    assert "invalid recurrence 'fortnightly'" in result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- laid out


@pytest.fixture
def gov(cli, acme, clock):
    clock.pin(now=NOW)
    for name, side in (("Ann Old", "incumbent"), ("Bob New", "provider")):
        assert cli("person", "add", ENG, name, "--side", side).exit_code == 0
    return ENG


def rows(cli, *args) -> list[dict]:
    result = cli("meeting", "list", ENG, "--json", *args)
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_meetings_are_laid_on_create_and_follow_a_replan(gov, cli):
    listed = rows(cli)
    steering = [m for m in listed if m["cadence"] == "steering"]
    weekly = [m for m in listed if m["cadence"] == "weekly-ops"]
    assert steering[0]["occurs_on"] == "2026-11-05"  # the first Thursday from discovery
    assert steering[0]["starts_at"] == "2026-11-05T14:00:00+00:00"
    assert weekly and all(date.fromisoformat(m["occurs_on"]).weekday() == 1 for m in weekly)
    first_weekly = weekly[0]["occurs_on"]
    # The parallel run moves later: the weekly reviews run on to the new exit (the last end).
    assert cli("phase", "replan", ENG, "--phase", "parallel-run", "--start", "2027-03-01",
               "--reason", "client freeze").exit_code == 0  # fmt: skip
    after = rows(cli)
    later = [m for m in after if m["cadence"] == "weekly-ops"]
    assert later[0]["occurs_on"] == first_weekly
    assert len(later) > len(weekly)
    assert {m["uid"] for m in weekly} <= {m["uid"] for m in later}  # same rows, same UIDs


def test_held_cancel_action_and_their_refusals(gov, cli, tmp_path):
    first = rows(cli)[0]
    mid = str(first["number"])
    notes = tmp_path / "minutes.md"
    notes.write_text("Scope agreed.\nKT plan accepted — Ærø office included.\n", encoding="utf-8")
    held = cli("meeting", "held", ENG, mid, "--attendee", "Ann Old", "--attendee", "Bob New",
               "--minutes", notes)  # fmt: skip
    assert held.exit_code == 0, held.stderr
    row = next(m for m in rows(cli) if m["number"] == first["number"])
    assert row["status"] == "held" and row["attendees"] == ["Ann Old", "Bob New"]
    assert row["notes"].startswith("Scope agreed.") and not row["missed"]

    action = cli("meeting", "action", ENG, mid, "--title", "Send the KT plan", "--owner",
                 "Bob New", "--due", "2026-12-10")  # fmt: skip
    assert action.exit_code == 0, action.stderr
    key = f"steering-{first['occurs_on']}-1"
    assert key in action.stdout
    task = cli("task", "show", ENG, key, "--json").json()
    assert task["assignee"] == "Bob New" and task["due_date"] == "2026-12-10"
    assert next(m for m in rows(cli) if m["number"] == first["number"])["actions"] == [key]

    upcoming = rows(cli, "--upcoming")
    assert upcoming and all(m["status"] == "planned" for m in upcoming)
    future = str(upcoming[0]["number"])
    refusals = [
        (("held", ENG, future), 1, "still to come"),
        (("held", ENG, mid, "--attendee", "Nobody"), 2, "unknown person"),
        (("held", ENG, "99999"), 2, "unknown meeting"),
        (("held", ENG, mid, "--minutes", "bad\x1b[31m"), 2, "control"),
        (("cancel", ENG, mid, "--reason", "late"), 1, "already held"),
        (("cancel", ENG, future, "--reason", "  "), 2, "needs a reason"),
        (("action", ENG, mid, "--title", "X", "--owner", "Nobody", "--due", "2026-12-10"), 2,
         "unknown person"),
        (("action", ENG, mid, "--title", "X", "--owner", "Bob New", "--due", "soon"), 2, "due"),
    ]  # fmt: skip
    for args, code, words in refusals:
        before = cli("audit", ENG, "--json").json()
        result = cli("meeting", *args)
        assert result.exit_code == code, (args, result.stderr)
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, args
        assert words in result.stderr, (args, result.stderr)
        assert cli("audit", ENG, "--json").json() == before, args

    cancelled = cli("meeting", "cancel", ENG, future, "--reason", "Board offsite")
    assert cancelled.exit_code == 0, cancelled.stderr
    again = cli("meeting", "held", ENG, future)
    assert again.exit_code == 1 and "cancelled" in again.stderr


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("notes/minuts.md", "notes/minuts.md: no such file"),
        ("./minutes.txt", "./minutes.txt: no such file"),
        ("minutes.md", "minutes.md: no such file"),
        ("~/minutes", "~/minutes: no such file"),
        ("/nowhere/minutes", "/nowhere/minutes: no such file"),
        ("notes/", "notes/ is a folder"),
        ("notes", "notes is a folder"),
    ],
)
def test_minutes_that_name_a_missing_file_or_a_folder_are_refused(gov, cli, tmp_path, given, words):
    """`--minutes` is a file's text or the text itself: a value clearly meant as a path that
    names nothing, or a folder, is bad input, never stored as the minutes."""
    (tmp_path / "notes").mkdir()
    mid = str(rows(cli)[0]["number"])
    before = cli("audit", ENG, "--json").json()
    result = cli("meeting", "held", ENG, mid, "--minutes", given)
    assert_clean_error(result)
    assert words in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert cli("audit", ENG, "--json").json() == before
    assert rows(cli)[0]["status"] == "planned"


@pytest.mark.parametrize(
    "given", ["Agreed", "n.a.", "n/a", "24/7", "Scope agreed, see notes/x.md", "v1.2"]
)
def test_minutes_that_are_not_a_path_are_the_text(gov, cli, given):
    mid = str(rows(cli)[0]["number"])
    result = cli("meeting", "held", ENG, mid, "--minutes", given)
    assert result.exit_code == 0, result.stderr
    assert rows(cli)[0]["notes"] == given


def test_minutes_from_a_file_given_by_a_relative_path(gov, cli, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "steering.md").write_text("Cutover agreed.\n", encoding="utf-8")
    mid = str(rows(cli)[0]["number"])
    result = cli("meeting", "held", ENG, mid, "--minutes", "notes/steering.md")
    assert result.exit_code == 0, result.stderr
    assert rows(cli)[0]["notes"] == "Cutover agreed."


def test_a_removed_person_neither_attends_a_meeting_nor_takes_part_in_kt(gov, cli, db_url):
    """A person removed from the engagement is unknown to every verb that names people:
    `meeting held --attendee` and the KT verbs took them while `raid`, `golive` and
    `meeting action` refused them."""
    from safety import dump

    mid = str(rows(cli)[0]["number"])
    assert cli("system", "add", ENG, "CRM").exit_code == 0
    assert cli("person", "add", ENG, "Cleo Gone", "--side", "provider").exit_code == 0
    assert cli("person", "remove", ENG, "Cleo Gone").exit_code == 0
    before = dump(db_url)
    for args in (
        ("meeting", "held", ENG, mid, "--attendee", "Cleo Gone"),
        ("kt", "schedule", ENG, "--system", "CRM", "--topic", "Batch", "--presenter",
         "Ann Old", "--attendee", "Cleo Gone", "--at", "2026-11-20T10:00"),
        ("kt", "schedule", ENG, "--system", "CRM", "--topic", "Batch", "--presenter",
         "Cleo Gone", "--at", "2026-11-20T10:00"),
    ):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert "unknown person(s) 'Cleo Gone'" in result.stderr
    assert dump(db_url) == before
    assert cli("kt", "schedule", ENG, "--system", "CRM", "--topic", "Batch", "--presenter",
               "Ann Old", "--attendee", "Bob New", "--at", "2026-11-20T10:00").exit_code == 0  # fmt: skip
    assert cli("kt", "hold", ENG, "1").exit_code == 0
    assert cli("person", "remove", ENG, "Bob New").exit_code == 0
    signed = cli("kt", "signoff", ENG, "1", "--by", "Bob New", "--confidence", "4")
    assert signed.exit_code == 2 and "unknown person(s) 'Bob New'" in signed.stderr


def test_a_meeting_without_minutes_a_day_after_is_a_finding(gov, cli, session_scope):
    from transition.services.meeting_findings import missed

    with session_scope(write=False) as s:
        eng = get_engagement(s, ENG)
        found = missed(s, [eng.id])[eng.id]
    assert [f.kind for f in found] == ["meeting_missed"]  # the steering committee of 5 Nov
    first = str(rows(cli)[0]["number"])
    assert cli("meeting", "held", ENG, first).exit_code == 0  # held, still no minutes
    assert "held without minutes" in cli("report", ENG).stdout
    assert cli("meeting", "held", ENG, first, "--minutes", "Agreed").exit_code == 0
    assert "No meeting is missing its minutes" in cli("report", ENG).stdout


def test_list_and_calendar_queries_do_not_grow_with_rows(gov, cli, session_scope, count_queries):
    from transition.services import calendar

    def measure() -> int:
        with count_queries() as q, session_scope(write=False) as s:
            eng = get_engagement(s, ENG)
            meetings.list_meetings(s, eng)
            calendar.ics(s, eng)
        return q.count

    before = measure()
    for m in rows(cli)[:1]:
        cli("meeting", "held", ENG, str(m["number"]), "--attendee", "Ann Old", "--minutes", "x")
        cli("meeting", "action", ENG, str(m["number"]), "--title", "A", "--owner", "Ann Old",
            "--due", "2026-12-10")  # fmt: skip
    assert cli("phase", "replan", ENG, "--phase", "parallel-run", "--start", "2027-06-01",
               "--reason", "more weeks").exit_code == 0  # fmt: skip
    assert len(rows(cli)) > 20
    assert measure() == before


# --------------------------------------------------------------------------- calendar


def test_calendar_parses_with_two_readers_and_updates_on_change(gov, cli, tmp_path):
    import recurring_ical_events
    from icalendar import Calendar as ICal

    cli("engagement", "set", ENG, "--timezone", "Europe/London", "--exit", "2027-03-31")
    assert cli("system", "add", ENG, "CRM").exit_code == 0
    cli("access", "grant", ENG, "--person", "Bob New", "--system", "CRM", "--role", "reader",
        "--expires", "2027-01-31")  # fmt: skip
    out = tmp_path / "all.ics"
    first = cli("calendar", ENG, "-o", out)
    assert first.exit_code == 0, first.stderr
    cal = ICal.from_ical(out.read_bytes())
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    kinds = {str(e["CATEGORIES"].cats[0]) for e in events.values()}
    assert {"Meeting", "Milestone", "Task"} <= kinds
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["Europe/London"]
    weekly = [e for e in events.values() if str(e["SUMMARY"]) == "Weekly operational review"]
    assert max(e.decoded("DTSTART").date() for e in weekly) == date(2027, 3, 30)  # until exit
    assert all(e["DTSTART"].params["TZID"] == "Europe/London" for e in weekly)
    # An independent reader sees the same events, at their local wall time.
    between = recurring_ical_events.of(cal).between(date(2026, 11, 1), date(2027, 12, 31))
    assert len(between) == len(events)
    assert {e.decoded("DTSTART").hour for e in between if e in weekly} <= {10}

    mid = rows(cli, "--upcoming")[0]
    uid = f"meeting-{mid['uid']}@transition"
    assert cli("meeting", "cancel", ENG, str(mid["number"]), "--reason", "Offsite").exit_code == 0
    cli("task", "set", ENG, "kickoff-workshop", "--status", "done")
    second = ICal.from_ical(cli("calendar", ENG).stdout)
    again = {str(e["UID"]): e for e in second.walk("VEVENT")}
    assert set(again) == set(events)  # the same UIDs: calendars update, never duplicate
    assert str(again[uid]["STATUS"]) == "CANCELLED"
    assert int(again[uid]["SEQUENCE"]) > int(events[uid]["SEQUENCE"])
    kickoff = next(u for u in again if u.startswith("task-kickoff-workshop."))
    assert int(again[kickoff]["SEQUENCE"]) > int(events[kickoff]["SEQUENCE"])

    only = ICal.from_ical(cli("calendar", ENG, "--include", "meetings,expiries").stdout)
    summaries = [str(e["SUMMARY"]) for e in only.walk("VEVENT")]
    assert any(s.startswith("Access expires: Bob New") for s in summaries)
    assert not any(s.startswith("Due:") for s in summaries)
    bad = cli("calendar", ENG, "--include", "kt,lunch")
    assert bad.exit_code == 2 and bad.stderr.startswith("error: unknown calendar kind")
    assert cli("calendar", "nowhere").exit_code == 2
