"""The calendar through the CLI: ``engagement new --calendar/--timezone/--workweek/
--holidays``, ``engagement show``, the task list's flag on a non-working due date,
working-day expiries and playbooks, and every bad value refused with nothing written."""

from __future__ import annotations

import json

import pytest

from tests.test_workdays import BD_PLAYBOOK

SATURDAY = "2026-12-19"


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "bd.yaml"
    path.write_text(BD_PLAYBOOK, encoding="utf-8")
    return str(path)


def new(cli, book, *options: str):
    return cli("engagement", "new", "Yule", "--playbook", book, "--start", SATURDAY, *options)


def nothing_written(cli) -> bool:
    listed = cli("engagement", "list", "--json")
    return listed.exit_code == 0 and json.loads(listed.stdout) == []


def test_a_new_engagement_keeps_its_calendar_and_zone(cli, book, tmp_path):
    holidays = tmp_path / "closed.txt"
    holidays.write_text(
        "# office closures\n2026-12-31\n\n2027-01-04  # after New Year\n", encoding="utf-8"
    )
    result = new(
        cli,
        book,
        "--calendar",
        "gb-eng",
        "--timezone",
        "Europe/London",
        "--workweek",
        "mon-fri",
        "--holidays",
        str(holidays),
    )
    assert result.exit_code == 0, result.stderr
    shown = cli("engagement", "show", "yule")
    assert (
        "  calendar GB-ENG, work week mon-fri, 2 extra holidays, time zone Europe/London\n"
        in shown.stdout
    )
    data = json.loads(cli("engagement", "show", "yule", "--json").stdout)
    assert {k: data[k] for k in ("calendar", "workweek", "extra_holidays", "timezone")} == {
        "calendar": "GB-ENG",
        "workweek": "mon-fri",
        "extra_holidays": ["2026-12-31", "2027-01-04"],
        "timezone": "Europe/London",
    }
    due = {
        t["key"]: t["due_date"] for t in json.loads(cli("task", "list", "yule", "--json").stdout)
    }
    # The extra days are skipped too: the eighth working day of ramp-up moves past both.
    assert due["eighth"] == "2027-01-13"
    assert cli("audit", "yule", "--verify").exit_code == 0


def test_the_default_calendar_is_weekends_only_in_utc(cli, book):
    assert new(cli, book).exit_code == 0
    shown = cli("engagement", "show", "yule").stdout
    assert "  calendar weekends only, work week mon-fri, time zone UTC\n" in shown
    data = json.loads(cli("engagement", "show", "yule", "--json").stdout)
    assert (data["calendar"], data["timezone"], data["extra_holidays"]) == (None, None, [])


def test_a_due_date_on_a_non_working_day_is_flagged(cli, book):
    assert new(cli, book, "--calendar", "GB-ENG").exit_code == 0
    listed = json.loads(cli("task", "list", "yule", "--json").stdout)
    flags = {t["key"]: t["due_non_working"] for t in listed}
    assert flags["calendar-days"] == "Sunday"  # +5d from 2027-01-12
    assert flags["weeks"] is None and flags["fifth"] is None
    assert [k for k, v in flags.items() if v] == ["calendar-days"]
    text = cli("task", "list", "yule").stdout
    line = next(x for x in text.splitlines() if x.startswith("calendar-days "))
    assert "2027-01-17 !" in line
    assert text.endswith("! 2027-01-17 is not a working day: Sunday\n")
    assert "!" not in next(x for x in text.splitlines() if x.startswith("weeks "))


def test_a_holiday_is_named_in_the_flag(cli, tmp_path):
    book = tmp_path / "days.yaml"
    book.write_text(
        "name: days\ntitle: Days\nphases:\n  - key: one\n    title: One\n    duration: 2w\n"
        "    tasks:\n      - {key: boxing, title: Boxing, due: +7d}\n",
        encoding="utf-8",
    )
    started = cli(
        "engagement",
        "new",
        "Boxing",
        "--playbook",
        str(book),
        "--start",
        "2026-12-21",
        "--calendar",
        "GB-ENG",
    )
    assert started.exit_code == 0, started.stderr
    (task,) = json.loads(cli("task", "list", "boxing", "--json").stdout)
    assert task["due_date"] == "2026-12-28" and "Boxing Day" in task["due_non_working"]
    assert cli("task", "list", "boxing").stdout.endswith(
        f"! 2026-12-28 is not a working day: {task['due_non_working']}\n"
    )


def test_an_expiry_in_working_days_counts_on_the_calendar(cli, book):
    assert new(cli, book, "--calendar", "GB-ENG").exit_code == 0
    assert cli("person", "add", "yule", "Ann", "--side", "provider").exit_code == 0
    assert cli("system", "add", "yule", "CRM", "--tier", "1").exit_code == 0
    granted = cli(
        "access",
        "grant",
        "yule",
        "--person",
        "Ann",
        "--system",
        "CRM",
        "--role",
        "admin",
        "--expires",
        "discovery.end+3bd",
    )
    assert granted.exit_code == 0, granted.stderr
    (grant,) = json.loads(cli("access", "list", "yule", "--json").stdout)
    # discovery ends 2026-12-29; 2027-01-01 is New Year's Day.
    assert grant["expires_on"] == "2027-01-04"
    assert cli("audit", "yule", "--verify").exit_code == 0


def test_playbook_validate_and_show_take_working_days(cli, book, tmp_path):
    assert cli("playbook", "validate", book).exit_code == 0
    shown = cli("playbook", "show", book)
    assert shown.exit_code == 0, shown.stderr
    assert "(5bd)" in shown.stdout and "-2bd]" in shown.stdout


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--calendar", "XX"), "error: unknown calendar 'XX'"),
        (("--calendar", "GB-ZZZ"), "error: unknown calendar 'GB-ZZZ'"),
        (("--timezone", "Mars/Base"), "error: unknown time zone 'Mars/Base'"),
        (("--workweek", "weekdays"), "error: invalid work week 'weekdays'"),
        (("--holidays", "missing.txt"), "error: missing.txt: file not found"),
    ],
)
def test_bad_calendar_options_exit_2_with_nothing_written(cli, book, options, message):
    result = new(cli, book, *options)
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert nothing_written(cli)


def test_a_bad_date_in_a_holidays_file_names_its_line(cli, book, tmp_path):
    holidays = tmp_path / "closed.txt"
    holidays.write_text("2026-12-24\n# comment\n2026-02-30\n", encoding="utf-8")
    result = new(cli, book, "--holidays", str(holidays))
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {holidays}:3: invalid date '2026-02-30': expected one ISO date "
        "(YYYY-MM-DD) per line, # for comments\n"
    )
    assert nothing_written(cli)


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        ("due: +1bd", "due: +bd", "invalid due offset '+bd'"),
        ("due: +3bd", "due: 3x", "invalid due offset '3x'"),
        ("duration: 5bd", "duration: 0bd", "duration must be at least one day"),
        ("duration: 10bd", "duration: -10bd", "must not be negative"),
    ],
)
def test_a_bad_offset_in_a_playbook_exits_2(cli, tmp_path, before, after, message):
    path = tmp_path / "bad.yaml"
    path.write_text(BD_PLAYBOOK.replace(before, after, 1), encoding="utf-8")
    checked = cli("playbook", "validate", str(path))
    assert checked.exit_code == 2 and message in checked.stderr
    started = cli("engagement", "new", "Yule", "--playbook", str(path))
    assert started.exit_code == 2 and message in started.stderr
    assert nothing_written(cli)
