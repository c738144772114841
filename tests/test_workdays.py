"""Working days through the whole plan: offsets counted on a calendar (property-tested),
the plan's dates (``services.plan``), engagements started on a calendar, milestones in
working days, and the audit replay laying the plan out on the calendar it was created
with."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from transition.errors import BadInput
from transition.models import Engagement, Phase, Task
from transition.playbooks import load_playbook
from transition.services import audit, engagements
from transition.services.common import apply_changes
from transition.services.plan import phase_end, task_due
from transition.workdays import (
    WEEKDAYS,
    Calendar,
    Offset,
    parse_workweek,
    show_workweek,
)

#: A playbook in working days: started on Saturday 2026-12-19 its tasks fall around
#: Christmas (2026-12-25, a Friday) and Boxing Day's substitute (Monday 2026-12-28).
BD_PLAYBOOK = """\
name: bd-small
title: Working days
phases:
  - key: discovery
    title: Discovery
    duration: 5bd
    tasks:
      - {key: start, title: Start, due: +0bd}
      - {key: first, title: First, due: +1bd}
      - {key: third, title: Third, due: +3bd}
      - {key: fourth, title: Fourth, due: +4bd}
      - {key: fifth, title: Fifth, due: +5bd}
  - key: ramp-up
    title: Ramp-up
    duration: 2w
    tasks:
      - {key: before, title: Before the phase, due: -2bd}
      - {key: eighth, title: Eighth, due: +8bd}
  - key: cutover
    title: Cutover
    duration: 10bd
    tasks:
      - {key: calendar-days, title: Calendar days, due: +5d}
      - {key: weeks, title: Weeks, due: 1w}
"""

CODES = (None, "GB-ENG", "DE-BY", "IN", "US")


def calendars() -> st.SearchStrategy[Calendar]:
    weeks = st.frozensets(st.integers(0, 6), min_size=1)
    extra = st.frozensets(st.dates(date(2025, 1, 1), date(2031, 12, 31)), max_size=30)
    return st.builds(Calendar, st.sampled_from(CODES), weeks, extra)


def working_between(calendar: Calendar, first: date, last: date) -> int:
    """Working days in ``first`` … ``last`` (both included), counted one by one."""
    return sum(
        calendar.is_working(first + timedelta(days=i)) for i in range((last - first).days + 1)
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    calendar=calendars(),
    day=st.dates(date(2026, 1, 1), date(2029, 12, 31)),
    count=st.integers(0, 40),
)
def test_working_day_offsets_count_exactly_on_any_calendar(calendar, day, count):
    later = calendar.shift(day, Offset(count, True))
    earlier = calendar.shift(day, Offset(-count, True))
    assert calendar.is_working(later) and calendar.is_working(earlier)
    if count == 0:
        # +0bd: the day itself when worked, else the next working day.
        assert later >= day and working_between(calendar, day, later - timedelta(1)) == 0
        return
    assert later > day and working_between(calendar, day + timedelta(1), later) == count
    assert earlier < day and working_between(calendar, earlier, day - timedelta(1)) == count
    # The same offsets written as text, as a playbook or an expiry gives them.
    assert task_due(calendar, day, f"+{count}bd") == later
    assert task_due(calendar, day, f"-{count}bd") == earlier
    assert phase_end(calendar, day, f"{count}bd") == later


@settings(max_examples=60, deadline=None)
@given(calendar=calendars(), day=st.dates(date(2026, 1, 1), date(2029, 12, 31)))
def test_calendar_day_offsets_ignore_the_calendar(calendar, day):
    assert task_due(calendar, day, "+5d") == day + timedelta(5)
    assert task_due(calendar, day, "2w") == day + timedelta(14)
    assert task_due(calendar, day, "-3d") == day - timedelta(3)
    assert phase_end(calendar, day, "10d") == day + timedelta(10)


@given(st.frozensets(st.integers(0, 6), min_size=1))
def test_a_work_week_shown_reads_back_as_itself(days):
    stored = ",".join(str(d) for d in sorted(days))
    shown = show_workweek(stored)
    assert parse_workweek(shown) == stored
    assert all(part.split("-")[0] in WEEKDAYS for part in shown.split(","))


@pytest.mark.parametrize("value", ["+bd", "3x", "bd", "+3 days", "", "++3bd", "3.5bd"])
def test_an_offset_without_a_number_or_unit_is_refused(value):
    with pytest.raises(BadInput, match="invalid due offset"):
        task_due(Calendar(), date(2026, 12, 21), value)


@pytest.mark.parametrize("value", ["0bd", "0d", "-2bd"])
def test_a_phase_lasts_at_least_one_day(value):
    with pytest.raises(BadInput, match="invalid duration"):
        phase_end(Calendar(), date(2026, 12, 21), value)


def test_boxing_day_and_its_substitute_on_the_english_calendar():
    gb = Calendar("GB-ENG")
    assert not gb.is_working(date(2026, 12, 25)) and not gb.is_working(date(2026, 12, 28))
    assert task_due(gb, date(2026, 12, 21), "+5d") == date(2026, 12, 26)  # a Saturday
    assert task_due(gb, date(2026, 12, 21), "+3bd") == date(2026, 12, 24)
    assert task_due(gb, date(2026, 12, 21), "+4bd") == date(2026, 12, 29)
    assert gb.why_not_working(date(2026, 12, 28)) is not None


def test_playbooks_accept_working_day_offsets_as_written(tmp_path):
    path = tmp_path / "bd.yaml"
    path.write_text(BD_PLAYBOOK, encoding="utf-8")
    pb = load_playbook(path)
    assert [p.duration for p in pb.phases] == ["5bd", "2w", "10bd"]
    assert pb.phases[0].span == Offset(5, True) and pb.phases[1].span == Offset(14)
    assert [t.due for t in pb.phases[1].tasks] == ["-2bd", "+8bd"]
    assert pb.phases[1].tasks[0].offset == Offset(-2, True)


def start_bd(session_scope, tmp_path, **options) -> str:
    path = tmp_path / "bd.yaml"
    path.write_text(BD_PLAYBOOK, encoding="utf-8")
    with session_scope() as s:
        eng = engagements.create(
            s, name="Yule", playbook=str(path), start=date(2026, 12, 19), **options
        )
        return eng.slug


def dues(session_scope, slug: str) -> dict[str, date]:
    with session_scope(write=False) as s:
        return dict(
            s.execute(
                select(Task.key, Task.due_date)
                .join(Engagement, Engagement.id == Task.engagement_id)
                .where(Engagement.slug == slug)
            ).all()
        )


def problems(session_scope, slug: str) -> list[str]:
    with session_scope(write=False) as s:
        return audit.verify(s, slug).problems


def test_a_plan_started_on_a_saturday_in_working_days_avoids_weekends_and_holidays(
    session_scope, tmp_path
):
    slug = start_bd(session_scope, tmp_path, calendar="GB-ENG")
    due = dues(session_scope, slug)
    holidays = {date(2026, 12, 25), date(2026, 12, 28)}
    gb = Calendar("GB-ENG")
    in_working_days = {k: d for k, d in due.items() if k not in ("calendar-days", "weeks")}
    for key, day in in_working_days.items():
        assert day.weekday() < 5 and day not in holidays, (key, day)
        assert gb.is_working(day)
    assert due["start"] == due["first"] == date(2026, 12, 21)
    assert due["third"] == date(2026, 12, 23) and due["fourth"] == date(2026, 12, 24)
    assert due["fifth"] == date(2026, 12, 29)  # over Christmas and Boxing Day's substitute
    with session_scope(write=False) as s:
        eng = engagements.detail(s, slug)
        rules = dict(s.execute(select(Task.key, Task.due_rule)).all())
        origins = set(s.execute(select(Task.origin)).scalars())
        phases = s.execute(select(Phase).order_by(Phase.position)).scalars().all()
        spans = [(p.planned_start, p.planned_end, p.baseline_start, p.baseline_end) for p in phases]
    assert eng.calendar == "GB-ENG" and eng.workweek == "mon-fri"
    assert rules["before"] == "-2bd" and rules["weeks"] == "1w" and origins == {"playbook"}
    # Phases end to end: 5bd from Saturday is 2026-12-29; 2w later; then 10 working days.
    assert [s[:2] for s in spans] == [
        (date(2026, 12, 19), date(2026, 12, 29)),
        (date(2026, 12, 29), date(2027, 1, 12)),
        (date(2027, 1, 12), date(2027, 1, 26)),
    ]
    assert all(s[:2] == s[2:] for s in spans)  # the baseline is the plan as created
    assert due["before"] == date(2026, 12, 23)  # two working days before 2026-12-29
    assert due["eighth"] == date(2027, 1, 11)  # 2027-01-01 is New Year's Day
    assert due["calendar-days"] == date(2027, 1, 17)  # +5d: a Sunday, flagged in lists
    assert problems(session_scope, slug) == []


def test_without_a_code_only_the_work_week_and_extra_days_are_off(session_scope, tmp_path):
    slug = start_bd(
        session_scope,
        tmp_path,
        workweek="sun-thu",
        holidays=[date(2026, 12, 22), date(2026, 12, 22)],
        timezone="Asia/Dubai",
    )
    due = dues(session_scope, slug)
    # Sunday to Thursday worked, 22 December off: +1bd from Saturday 19th is Sunday 20th.
    assert due["first"] == date(2026, 12, 20)
    assert due["third"] == date(2026, 12, 23)
    assert due["fourth"] == date(2026, 12, 24)
    assert due["fifth"] == date(2026, 12, 27)  # Friday and Saturday off
    with session_scope(write=False) as s:
        eng = engagements.detail(s, slug)
    assert (eng.calendar, eng.workweek, eng.timezone) == (None, "sun-thu", "Asia/Dubai")
    assert eng.extra_holidays == [date(2026, 12, 22)]
    assert problems(session_scope, slug) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"calendar": "XX"}, "unknown calendar 'XX'"),
        ({"calendar": "GB-ZZZ"}, "GB has no subdivision 'ZZZ'"),
        ({"timezone": "Mars/Base"}, "unknown time zone 'Mars/Base'"),
        ({"workweek": "mon-funday"}, "invalid work week"),
        ({"holidays": [date(3001, 1, 1)]}, "the year must be between"),
    ],
)
def test_a_bad_calendar_starts_nothing(session_scope, tmp_path, options, message):
    with pytest.raises(BadInput, match=message):
        start_bd(session_scope, tmp_path, **options)
    with session_scope(write=False) as s:
        assert s.execute(select(Engagement.id)).first() is None


def test_the_replay_lays_the_plan_on_the_calendar_it_was_created_with(session_scope, tmp_path):
    slug = start_bd(session_scope, tmp_path, calendar="GB-ENG")
    with session_scope() as s:
        eng = s.execute(select(Engagement).where(Engagement.slug == slug)).scalar_one()
        # As `engagement set --calendar` does: field events on the calendar's columns.
        apply_changes(
            s,
            eng,
            eng.id,
            "engagement",
            {"calendar": "DE-BY", "workweek": "0,1,2,3", "extra_holidays_json": '["2027-01-04"]'},
        )
    with session_scope() as s:
        eng = s.execute(select(Engagement).where(Engagement.slug == slug)).scalar_one()
        apply_changes(s, eng, eng.id, "engagement", {"calendar": "IN"})
    assert problems(session_scope, slug) == []
    # A due date moved behind the tool's back is still found.
    with session_scope() as s:
        task = s.execute(select(Task).where(Task.key == "fifth")).scalar_one()
        s.execute(
            Task.__table__.update()
            .where(Task.__table__.c.id == task.id)
            .values(due_date=date(2026, 12, 28))
        )
    found = problems(session_scope, slug)
    assert any("task fifth: due_date is '2026-12-28'" in p for p in found), found


def test_milestones_count_working_days_on_the_calendar(session_scope, tmp_path):
    start_bd(session_scope, tmp_path, calendar="GB-ENG")
    with session_scope(write=False) as s:
        phases = list(s.execute(select(Phase).order_by(Phase.position)).scalars())
        gb = Calendar.of(s.execute(select(Engagement)).scalar_one())
    # discovery ends 2026-12-29; cutover starts 2027-01-12.
    assert engagements.milestone(phases, "discovery.end-2bd", gb) == date(2026, 12, 23)
    assert engagements.milestone(phases, "discovery.end+3bd", gb) == date(2027, 1, 4)
    assert engagements.milestone(phases, "discovery.end+3d", gb) == date(2027, 1, 1)
    assert engagements.milestone(phases, "discovery.start+1bd") == date(2026, 12, 21)
    for bad in ("cutover+bd", "cutover+3x", "cutover+-3bd"):
        with pytest.raises(BadInput, match="invalid milestone"):
            engagements.milestone(phases, bad, gb)


def test_a_plan_past_the_accepted_years_in_working_days_is_refused(session_scope, tmp_path):
    path = tmp_path / "long.yaml"
    phases = "".join(f"  - {{key: p{i}, title: P{i}, duration: 9999bd}}\n" for i in range(40))
    path.write_text(f"name: long\ntitle: Long\nphases:\n{phases}", encoding="utf-8")
    with session_scope() as s, pytest.raises(BadInput, match="past the last date the tool"):
        engagements.create(s, name="Long", playbook=str(path), start=date(2026, 1, 1))
    with session_scope(write=False) as s:
        assert s.execute(select(Engagement.id)).first() is None
