"""Changing planned KT sessions (reschedule, cancel, set), times read and shown in the
engagement's time zone, and the calendar export following every change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transition.services import audit
from transition.services.common import get_engagement

ENG = "acme-helpdesk"


@pytest.fixture
def team(acme, cli):
    for args in (
        ("system", "add", acme, "CRM", "--tier", "1"),
        ("person", "add", acme, "Ann Old", "--side", "incumbent", "--email", "ann@old.example"),
        ("person", "add", acme, "Bob New", "--side", "provider", "--email", "bob@new.example"),
        ("person", "add", acme, "Bea New", "--side", "provider"),
        ("person", "add", acme, "Raj New", "--side", "provider"),
    ):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
    return acme


def set_zone(session_scope, zone: str | None, **people: str) -> None:
    """The engagement's time zone (and people's, by name), set on the rows directly."""
    from sqlalchemy import select

    from transition.models import Person

    with session_scope() as s:
        eng = get_engagement(s, ENG)
        eng.timezone = zone
        s.add(eng)
        for person in s.execute(select(Person).where(Person.engagement_id == eng.id)).scalars():
            if person.name in people:
                person.timezone = people[person.name]
                s.add(person)


def schedule(cli, at="2026-12-03T10:00", attendees=("Bob New",)) -> int:
    args = ["kt", "schedule", ENG, "--system", "CRM", "--topic", "Nightly jobs",
            "--presenter", "Ann Old", "--at", at]  # fmt: skip
    for a in attendees:
        args += ["--attendee", a]
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    return int(result.stdout.split("#")[1].split(":")[0])


def sessions(cli) -> dict[int, dict]:
    result = cli("kt", "list", ENG, "--json")
    assert result.exit_code == 0, result.stderr
    return {s["id"]: s for s in result.json()}


def verified(cli) -> None:
    result = cli("audit", ENG, "--verify")
    assert result.exit_code == 0, result.stdout + result.stderr


def events(session_scope) -> list[dict]:
    from sqlalchemy import select

    from transition.models import AuditEvent

    with session_scope(write=False) as s:
        eid = get_engagement(s, ENG).id
        rows = s.execute(
            select(AuditEvent.action, AuditEvent.field, AuditEvent.before, AuditEvent.after)
            .where(AuditEvent.engagement_id == eid, AuditEvent.entity == "kt_session")
            .order_by(AuditEvent.id)
        )
        return [dict(r._mapping) for r in rows]


def audit_count(session_scope) -> int:
    with session_scope(write=False) as s:
        return audit.count(s, get_engagement(s, ENG).id)


def ics_events(cli) -> dict[str, object]:
    from icalendar import Calendar

    result = cli("kt", "ics", ENG)
    assert result.exit_code == 0, result.stderr
    cal = Calendar.from_ical(result.stdout)
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


# --------------------------------------------------------------------------- commands


def test_reschedule_moves_the_session_with_field_events(team, cli, session_scope):
    sid = schedule(cli)
    result = cli("kt", "reschedule", ENG, str(sid), "--at", "2026-12-04T11:30", "--minutes", "90")
    assert result.exit_code == 0, result.stderr
    assert "2026-12-04 11:30 UTC" in result.stdout and "90 min" in result.stdout
    s = sessions(cli)[sid]
    assert s["starts_at"] == "2026-12-04T11:30:00+00:00"
    assert s["ends_at"] == "2026-12-04T13:00:00+00:00"
    assert s["minutes"] == 90 and s["version"] == 2
    moved = [e for e in events(session_scope) if e["action"] == "reschedule"]
    assert {e["field"] for e in moved} == {"starts_at", "minutes"}
    # The same time again changes nothing (no event, same version).
    before = audit_count(session_scope)
    again = cli("kt", "reschedule", ENG, str(sid), "--at", "2026-12-04T11:30")
    assert again.exit_code == 0, again.stderr
    assert audit_count(session_scope) == before and sessions(cli)[sid]["version"] == 2
    # Into the past is accepted, as scheduling accepts it.
    past = cli("kt", "reschedule", ENG, str(sid), "--at", "2026-01-05T09:00")
    assert past.exit_code == 0, past.stderr
    verified(cli)


def test_cancel_keeps_the_row_and_says_why(team, cli, session_scope):
    sid = schedule(cli)
    result = cli("kt", "cancel", ENG, str(sid), "--reason", "SME on leave")
    assert result.exit_code == 0, result.stderr
    s = sessions(cli)[sid]
    assert s["status"] == "cancelled" and s["cancel_reason"] == "SME on leave"
    shown = cli("kt", "list", ENG)
    assert "cancelled" in shown.stdout
    cancels = {e["field"]: e["after"] for e in events(session_scope) if e["action"] == "cancel"}
    assert cancels == {"status": "cancelled", "cancel_reason": "SME on leave"}
    # A cancelled session no longer counts as planned KT.
    coverage = cli("kt", "coverage", ENG, "--json").json()
    assert all(c["status"] != "planned" for row in coverage for c in row["kinds"])
    verified(cli)


def test_set_changes_topic_and_attendees(team, cli, session_scope):
    sid = schedule(cli, attendees=("Bob New", "Bea New"))
    result = cli("kt", "set", ENG, str(sid), "--topic", "  Month-end   close ",
                 "--add-attendee", "Raj New", "--remove-attendee", "bea new")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    s = sessions(cli)[sid]
    assert s["topic"] == "Month-end close"
    assert s["attendees"] == ["Bob New", "Raj New"] and s["presenters"] == ["Ann Old"]
    assert s["version"] == 2
    mine = [e for e in events(session_scope) if e["action"] == "update"]
    assert {"field": "topic", "action": "update", "before": "Nightly jobs",
            "after": "Month-end close"} in mine  # fmt: skip
    assert {"action": "update", "field": "attendee", "before": None, "after": "Raj New"} in mine
    assert {"action": "update", "field": "attendee", "before": "Bea New", "after": None} in mine
    # Attendees alone still move the version (the calendar's SEQUENCE follows).
    only = cli("kt", "set", ENG, str(sid), "--remove-attendee", "Raj New")
    assert only.exit_code == 0, only.stderr
    assert sessions(cli)[sid]["version"] == 3
    verified(cli)


@pytest.mark.parametrize("verb", ["hold", "signoff", "cancel"])
def test_only_planned_sessions_change(team, cli, session_scope, verb):
    sid = schedule(cli)
    if verb == "cancel":
        assert cli("kt", "cancel", ENG, str(sid), "--reason", "moved").exit_code == 0
    else:
        assert cli("kt", "hold", ENG, str(sid)).exit_code == 0
        if verb == "signoff":
            assert cli("kt", "signoff", ENG, str(sid), "--by", "Bob New").exit_code == 0
    state = {"hold": "held", "signoff": "signed off", "cancel": "cancelled"}[verb]
    before = audit_count(session_scope)
    for args in (
        ("reschedule", ENG, str(sid), "--at", "2026-12-05T10:00"),
        ("cancel", ENG, str(sid), "--reason", "again"),
        ("set", ENG, str(sid), "--topic", "Other"),
    ):
        result = cli("kt", *args)
        assert result.exit_code == 1, (args, result.stdout)
        assert f"is {state}: only a planned session" in result.stderr
        assert result.stderr.startswith("error:") and "Traceback" not in result.stderr
    if verb == "cancel":
        assert cli("kt", "hold", ENG, str(sid)).exit_code == 1
    assert audit_count(session_scope) == before
    verified(cli)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("reschedule", "{sid}", "--at", "next week"), 2, "invalid start time"),
        (("reschedule", "{sid}", "--at", "2026-12-05T10:00", "--minutes", "2"), 2, "between 5"),
        (("reschedule", "99", "--at", "2026-12-05T10:00"), 2, "unknown KT session 99"),
        (("cancel", "{sid}", "--reason", "   "), 2, "needs a reason"),
        (("set", "{sid}"), 2, "nothing to change"),
        (("set", "{sid}", "--topic", " "), 2, "needs a topic"),
        (("set", "{sid}", "--add-attendee", "Nobody"), 2, "unknown person"),
        (("set", "{sid}", "--add-attendee", "Ann Old"), 2, "presents this session"),
        (("set", "{sid}", "--add-attendee", "Bob New"), 2, "attends this session already"),
        (("set", "{sid}", "--remove-attendee", "Raj New"), 2, "does not attend"),
        (("set", "{sid}", "--remove-attendee", "Ann Old"), 2, "presents this session"),
        (("set", "{sid}", "--add-attendee", "Raj New", "--remove-attendee", "raj new"), 2,
         "both added and removed"),
    ],
)  # fmt: skip
def test_bad_input_changes_nothing(team, cli, session_scope, args, code, message):
    sid = schedule(cli)
    before, listed = audit_count(session_scope), sessions(cli)
    result = cli("kt", *(a.replace("{sid}", str(sid)) for a in (args[0], ENG, *args[1:])))
    assert result.exit_code == code, result.stdout
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert audit_count(session_scope) == before and sessions(cli) == listed


def test_a_stale_version_is_refused_naming_who(team, cli, session_scope):
    from transition.errors import Conflict
    from transition.services import kt_edit

    sid = schedule(cli)
    assert cli("kt", "reschedule", ENG, str(sid), "--at", "2026-12-05T10:00").exit_code == 0
    with session_scope() as s, pytest.raises(Conflict, match="was changed by"):
        kt_edit.cancel(s, ENG, sid, reason="late", expected_version=1)
    assert sessions(cli)[sid]["status"] == "planned"


# --------------------------------------------------------------------------- time zones


def test_at_is_read_in_the_engagements_zone(team, cli, session_scope):
    set_zone(session_scope, "Europe/London")
    winter = schedule(cli, at="2026-12-03T10:00")  # GMT = UTC
    summer = schedule(cli, at="2026-07-01T10:00")  # BST = UTC+1
    offset = schedule(cli, at="2026-07-01T10:00+02:00")  # an offset wins over the zone
    listed = sessions(cli)
    assert listed[winter]["starts_at"] == "2026-12-03T10:00:00+00:00"
    assert listed[summer]["starts_at"] == "2026-07-01T09:00:00+00:00"
    assert listed[summer]["starts_local"] == "2026-07-01T10:00:00+01:00"
    assert listed[offset]["starts_at"] == "2026-07-01T08:00:00+00:00"
    assert listed[summer]["timezone"] == "Europe/London"
    table = cli("kt", "list", ENG).stdout
    assert "2026-07-01 10:00 Europe/London" in table
    assert "2026-07-01 09:00 Europe/London" in table  # the +02:00 one, shown locally
    moved = cli("kt", "reschedule", ENG, str(winter), "--at", "2026-06-01T14:00")
    assert "2026-06-01 14:00 Europe/London" in moved.stdout
    assert sessions(cli)[winter]["starts_at"] == "2026-06-01T13:00:00+00:00"
    verified(cli)


def test_dst_edges_of_europe_london(team, cli, session_scope):
    """2026-03-29: 01:00 GMT jumps to 02:00 BST (01:30 does not exist); 2026-10-25: 01:00
    to 02:00 happens twice (the first, BST, is taken)."""
    set_zone(session_scope, "Europe/London")
    before = audit_count(session_scope)
    gap = cli("kt", "schedule", ENG, "--system", "CRM", "--topic", "T", "--presenter",
              "Ann Old", "--at", "2026-03-29T01:30")  # fmt: skip
    assert gap.exit_code == 2 and "does not exist in Europe/London" in gap.stderr
    assert audit_count(session_scope) == before
    sid = schedule(cli, at="2026-03-29T00:30")
    assert sessions(cli)[sid]["starts_at"] == "2026-03-29T00:30:00+00:00"
    gap = cli("kt", "reschedule", ENG, str(sid), "--at", "2026-03-29T01:59")
    assert gap.exit_code == 2 and "does not exist" in gap.stderr
    after = cli("kt", "reschedule", ENG, str(sid), "--at", "2026-03-29T02:00")
    assert after.exit_code == 0, after.stderr
    assert sessions(cli)[sid]["starts_at"] == "2026-03-29T01:00:00+00:00"
    twice = cli("kt", "reschedule", ENG, str(sid), "--at", "2026-10-25T01:30")
    assert twice.exit_code == 0, twice.stderr
    assert sessions(cli)[sid]["starts_at"] == "2026-10-25T00:30:00+00:00"
    second = cli("kt", "reschedule", ENG, str(sid), "--at", "2026-10-25T01:30+00:00")
    assert sessions(cli)[sid]["starts_at"] == "2026-10-25T01:30:00+00:00", second.stderr
    verified(cli)


def test_participants_own_times_are_listed(team, cli, session_scope):
    set_zone(session_scope, "Europe/London", **{"Raj New": "Asia/Kolkata", "Bob New": "UTC"})
    sid = schedule(cli, at="2026-07-01T22:00", attendees=("Raj New", "Bob New"))
    row = sessions(cli)[sid]
    assert row["local_times"] == [
        {"person": "Bob New", "timezone": "UTC", "starts": "21:00 UTC"},
        {"person": "Raj New", "timezone": "Asia/Kolkata", "starts": "02:30 Asia/Kolkata (+1d)"},
    ]
    assert "Raj New 02:30 Asia/Kolkata (+1d)" in cli("kt", "list", ENG).stdout


def test_without_a_zone_times_are_utc(team, cli):
    sid = schedule(cli, at="2026-07-01T10:00")
    row = sessions(cli)[sid]
    assert row["timezone"] == "UTC" and row["starts_local"] == "2026-07-01T10:00:00+00:00"
    assert row["local_times"] == []
    assert "2026-07-01 10:00 UTC" in cli("kt", "list", ENG).stdout
    assert "THEIR TIME" not in cli("kt", "list", ENG).stdout


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    st.sampled_from(["Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]),
)
def test_a_time_shown_in_a_form_reads_back_to_the_same_instant(moment, zone):
    from transition.services.kt_times import form_value, read_at

    instant = moment.replace(second=0, microsecond=0, tzinfo=UTC)
    assert read_at(form_value(instant, zone), zone) == instant


# --------------------------------------------------------------------------- calendar


def test_ics_sequence_follows_changes_and_cancellation(team, cli):
    sid = schedule(cli)
    uid = sessions(cli)[sid]["uid"] + "@transition"
    first = ics_events(cli)[uid]
    assert first["status"] == "CONFIRMED"
    sequence = [int(first["sequence"])]
    for args in (
        ("reschedule", ENG, str(sid), "--at", "2026-12-04T15:00", "--minutes", "45"),
        ("set", ENG, str(sid), "--add-attendee", "Bea New"),
        ("cancel", ENG, str(sid), "--reason", "merged into another session"),
    ):
        assert cli("kt", *args).exit_code == 0
        sequence.append(int(ics_events(cli)[uid]["sequence"]))
    assert sequence == sorted(set(sequence)) and len(sequence) == 4
    event = ics_events(cli)[uid]
    assert event["status"] == "CANCELLED"
    assert "merged into another session" in str(event["description"])
    assert event.decoded("dtstart") == datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2026, 12, 4, 15, 45, tzinfo=UTC)


def test_ics_carries_the_engagements_zone(team, cli, session_scope):
    from icalendar import Calendar

    set_zone(session_scope, "Europe/London")
    sid = schedule(cli, at="2026-07-01T10:00")
    result = cli("kt", "ics", ENG)
    assert "DTSTART;TZID=Europe/London:20260701T100000" in result.stdout
    cal = Calendar.from_ical(result.stdout)
    assert [str(z["tzid"]) for z in cal.walk("VTIMEZONE")] == ["Europe/London"]
    (event,) = cal.walk("VEVENT")
    assert event.decoded("dtstart").astimezone(UTC) == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert sessions(cli)[sid]["starts_at"] == "2026-07-01T09:00:00+00:00"


# --------------------------------------------------------------------------- history


def test_export_and_import_keep_changed_sessions(team, cli, tmp_path):
    """An export with a rescheduled, re-attended, cancelled session imports into another
    database, where the audit replay agrees with the rows."""
    from typer.testing import CliRunner

    from transition.cli.main import app

    sid = schedule(cli, attendees=("Bob New", "Bea New"))
    for args in (
        ("reschedule", ENG, str(sid), "--at", "2026-12-08T09:00"),
        ("set", ENG, str(sid), "--remove-attendee", "Bea New", "--add-attendee", "Raj New"),
        ("cancel", ENG, str(sid), "--reason", "no longer needed"),
    ):
        assert cli("kt", *args).exit_code == 0
    out = tmp_path / "acme.json"
    assert cli("export", ENG, "-o", str(out)).exit_code == 0
    other = ["--db", str(tmp_path / "other.db")]
    runner = CliRunner()
    imported = runner.invoke(app, [*other, "import", str(out)])
    assert imported.exit_code == 0, imported.stderr
    listed = runner.invoke(app, [*other, "kt", "list", ENG, "--json"])
    (row,) = __import__("json").loads(listed.stdout)
    assert row["status"] == "cancelled" and row["cancel_reason"] == "no longer needed"
    assert row["attendees"] == ["Bob New", "Raj New"]
    check = runner.invoke(app, [*other, "audit", ENG, "--verify"])
    assert check.exit_code == 0, check.stdout + check.stderr


def test_a_cancelled_session_is_not_open_kt(team, cli):
    sid = schedule(cli)
    crm = next(s for s in cli("system", "list", ENG, "--json").json() if s["name"] == "CRM")
    assert crm["kt_open"] == 1
    findings = cli("access", "review", ENG, "--json").json()
    assert [f["person"] for f in findings if f["kind"] == "missing_access"] == ["Bob New"]
    assert cli("kt", "cancel", ENG, str(sid), "--reason", "not needed").exit_code == 0
    crm = next(s for s in cli("system", "list", ENG, "--json").json() if s["name"] == "CRM")
    assert crm["kt_open"] == 0
    review = cli("access", "review", ENG, "--json")
    assert review.exit_code == 0, review.stderr
    assert not [f for f in review.json() if f["kind"] == "missing_access"]


def test_the_replay_follows_attendee_removal(team, cli, session_scope):
    """After `kt set --remove-attendee` the log says who attends: a participant put back
    behind the tool's back is reported."""
    from sqlalchemy import insert, select

    from transition.models import KTParticipant, Person

    sid = schedule(cli, attendees=("Bob New", "Bea New"))
    assert cli("kt", "set", ENG, str(sid), "--remove-attendee", "Bea New").exit_code == 0
    verified(cli)
    with session_scope() as s:
        bea = s.execute(select(Person.id).where(Person.name == "Bea New")).scalar_one()
        s.execute(insert(KTParticipant).values(session_id=sid, person_id=bea, role="attendee"))
    result = cli("audit", ENG, "--verify")
    assert result.exit_code == 1
    assert f"KT session {sid}: its presenters and attendees differ" in result.stdout + result.stderr
