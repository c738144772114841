"""People who have left take no new part in the plan: a KT session is neither scheduled,
moved nor joined with someone released (``person release``) or whose release date is
before the session's day, and no task is given to someone released. Each refusal is exit
1, one ``error:`` line naming the person, their release date and the day, nothing
written; the release itself, and cancelling or thinning out what was planned, still work."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from safety import dump, refused_unwritten

from transition.errors import Refused
from transition.services import kt, kt_edit, meeting_edit, tasks

ENG = "acme-helpdesk"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SCHEDULE = ("kt", "schedule", ENG, "--system", "CRM", "--topic", "Reports")


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def scheduled(result) -> str:
    return ok(result).stdout.split("#")[1].split(":")[0]


@pytest.fixture
def team(acme, cli, clock):
    """Ann (incumbent) leaves on 2026-12-10; Rita (incumbent) was released on 2026-11-30;
    Bob and Bea (provider) stay. Two planned sessions on 2026-12-08: ``ann`` (Ann presents
    to Bob) and ``bob`` (Bob presents to Bea); a task and a meeting to act on."""
    clock.pin(now=NOW, today="2026-12-01")
    for args in (
        ("system", "add", ENG, "CRM"),
        ("person", "add", ENG, "Ann Old", "--side", "incumbent", "--release", "2026-12-10"),
        ("person", "add", ENG, "Rita Gone", "--side", "incumbent"),
        ("person", "add", ENG, "Bob New", "--side", "provider"),
        ("person", "add", ENG, "Bea New", "--side", "provider"),
        ("person", "release", ENG, "Rita Gone", "--on", "2026-11-30", "--override", "left"),
    ):
        ok(cli(*args))
    at = ("--at", "2026-12-08T10:00")
    return {
        "ann": scheduled(cli(*SCHEDULE, "--presenter", "Ann Old", "--attendee", "Bob New", *at)),
        "bob": scheduled(cli(*SCHEDULE, "--presenter", "Bob New", "--attendee", "Bea New", *at)),
        "task": ok(cli("task", "list", ENG, "--json")).json()[0]["key"],
        "meeting": str(ok(cli("meeting", "list", ENG, "--json")).json()[0]["number"]),
    }


def refusals(ids: dict[str, str]) -> list[tuple[tuple[str, ...], str]]:
    """Each command that would put someone gone into the plan, and its error."""
    rita = "Rita Gone was released on 2026-11-30 and cannot"
    ann = "Ann Old's release date is 2026-12-10: they cannot"
    return [
        ((*SCHEDULE, "--presenter", "Rita Gone", "--attendee", "Bob New",
          "--at", "2026-11-20T10:00"), f"{rita} present a KT session on 2026-11-20"),
        ((*SCHEDULE, "--presenter", "Bob New", "--attendee", "Rita Gone",
          "--at", "2026-12-03T10:00"), f"{rita} attend a KT session on 2026-12-03"),
        ((*SCHEDULE, "--presenter", "Ann Old", "--attendee", "Bob New",
          "--at", "2026-12-11T09:00"), f"{ann} present a KT session on 2026-12-11"),
        ((*SCHEDULE, "--presenter", "Bob New", "--attendee", "Bea New", "--attendee", "Ann Old",
          "--at", "2026-12-14T09:00"), f"{ann} attend a KT session on 2026-12-14"),
        (("kt", "reschedule", ENG, ids["ann"], "--at", "2026-12-11T09:00"),
         f"{ann} present a KT session on 2026-12-11"),
        (("kt", "set", ENG, ids["bob"], "--add-attendee", "Rita Gone"),
         f"{rita} attend a KT session on 2026-12-08"),
        (("kt", "hold", ENG, ids["bob"], "--attendee", "Rita Gone"),
         "Rita Gone left on 2026-11-30, before the KT session on 2026-12-08: they cannot "
         "have attended it"),
        (("task", "assign", ENG, ids["task"], "Rita Gone"), f"{rita} take task {ids['task']}"),
        (("meeting", "action", ENG, ids["meeting"], "--title", "Hand over the scripts",
          "--owner", "Rita Gone", "--due", "2026-12-10"), f"{rita} take an action"),
    ]  # fmt: skip


def test_the_cli_refuses_whoever_has_left_and_writes_nothing(team, cli, engine, db_url):
    before = dump(db_url)
    for args, error in refusals(team):
        assert refused_unwritten(cli, engine, *args) == f"error: {error}\n", args
    assert dump(db_url) == before


def test_the_services_refuse_about_the_field_before_writing_anything(team, session_scope, db_url):
    """The TUI's forms call the same services: each refusal names the field it is about,
    and the service itself has written nothing when it refuses (the unit of work that
    caught it commits)."""
    ann, bob = team["ann"], team["bob"]
    schedule = {"system": "CRM", "topic": "Reports"}
    cases = [
        (lambda s: kt.schedule(s, ENG, **schedule, presenters="Rita Gone", at="2026-12-03T10:00"),
         "presenters"),
        (lambda s: kt.schedule(s, ENG, **schedule, presenters="Bob New",
                               attendees=["Bea New", "Ann Old"], at="2026-12-14T09:00"),
         "attendees"),
        (lambda s: kt_edit.reschedule(s, ENG, ann, at="2026-12-11T09:00"), "at"),
        (lambda s: kt_edit.update(s, ENG, bob, add_attendees="Rita Gone"), "add_attendees"),
        (lambda s: kt.hold(s, ENG, bob, attendees="Rita Gone"), "attendees"),
        (lambda s: tasks.assign(s, ENG, team["task"], "Rita Gone"), "person"),
        (lambda s: meeting_edit.action(s, ENG, team["meeting"], title="X", owner="Rita Gone",
                                       due="2026-12-10"), "owner"),
    ]  # fmt: skip
    before = dump(db_url)
    for call, field in cases:
        with session_scope() as s, pytest.raises(Refused) as caught:
            call(s)
        assert caught.value.field == field, caught.value.message
        assert "2026-" in caught.value.message
    assert dump(db_url) == before


def test_someone_leaving_after_the_session_or_on_its_day_takes_part(team, cli):
    """The release date is the person's last day: a session on it, or moved back before
    it, is planned; people who stay are joined and given work as before."""
    on_last_day = cli(*SCHEDULE, "--presenter", "Ann Old", "--attendee", "Bob New",
                      "--at", "2026-12-10T17:00")  # fmt: skip
    scheduled(on_last_day)
    ok(cli("kt", "reschedule", ENG, team["ann"], "--at", "2026-12-10T09:00"))
    ok(cli("kt", "reschedule", ENG, team["ann"], "--at", "2026-12-04T09:00"))
    ok(cli("kt", "set", ENG, team["bob"], "--add-attendee", "Ann Old"))
    ok(cli("kt", "hold", ENG, team["ann"], "--attendee", "Bea New"))
    ok(cli("task", "assign", ENG, team["task"], "Ann Old"))
    ok(cli("meeting", "action", ENG, team["meeting"], "--title", "Send the scripts",
           "--owner", "Ann Old", "--due", "2026-12-09"))  # fmt: skip
    sessions = {str(s["id"]): s for s in ok(cli("kt", "list", ENG, "--json")).json()}
    assert sessions[team["ann"]]["status"] == "held"
    assert sessions[team["bob"]]["attendees"] == ["Ann Old", "Bea New"]


def test_the_session_day_is_the_engagements_day(team, cli, engine):
    """10 December 22:00 UTC is already 11 December in Tokyo: past Ann's last day there."""
    args = (*SCHEDULE, "--presenter", "Ann Old", "--attendee", "Bob New")
    scheduled(cli(*args, "--at", "2026-12-10T22:00"))
    ok(cli("engagement", "set", ENG, "--timezone", "Asia/Tokyo"))
    error = refused_unwritten(cli, engine, *args, "--at", "2026-12-11T07:00")
    assert "cannot present a KT session on 2026-12-11" in error
    scheduled(cli(*args, "--at", "2026-12-10T23:00"))


def test_a_release_goes_through_and_what_it_left_planned_is_cancelled_or_thinned(team, cli, engine):
    """Releasing Ann while she presents one planned session and attends another works as
    before; neither session then moves while she is in it, but she can be dropped as an
    attendee (and the session then moves), and her own session can be cancelled."""
    ok(cli("kt", "set", ENG, team["bob"], "--add-attendee", "Ann Old"))
    ok(cli("person", "release", ENG, "Ann Old", "--override", "contract ends"))
    error = refused_unwritten(cli, engine, "kt", "reschedule", ENG, team["ann"],
                              "--at", "2026-12-02T09:00")  # fmt: skip
    assert error == (
        "error: Ann Old was released on 2026-12-01 and cannot present a KT session on 2026-12-02\n"
    )
    error = refused_unwritten(cli, engine, "kt", "reschedule", ENG, team["bob"],
                              "--at", "2026-12-09T09:00")  # fmt: skip
    assert (
        "Ann Old was released on 2026-12-01 and cannot attend a KT session on 2026-12-09" in error
    )
    error = refused_unwritten(cli, engine, "task", "assign", ENG, team["task"], "Ann Old")
    assert error.startswith("error: Ann Old was released on 2026-12-01 and cannot take task")
    ok(cli("kt", "set", ENG, team["bob"], "--remove-attendee", "Ann Old"))
    ok(cli("kt", "reschedule", ENG, team["bob"], "--at", "2026-12-09T09:00"))
    ok(cli("kt", "cancel", ENG, team["ann"], "--reason", "Ann has left"))
    sessions = {str(s["id"]): s for s in ok(cli("kt", "list", ENG, "--json")).json()}
    assert sessions[team["ann"]]["status"] == "cancelled"
    assert sessions[team["bob"]]["attendees"] == ["Bea New"]
    assert ok(cli("audit", ENG, "--verify", "--json")).json()["intact"]


def test_a_release_date_before_planned_sessions_is_recorded_with_a_warning(team, cli):
    """Moving a release date before a session the person takes part in, or releasing them
    before it, is recorded and warns, naming the session and its day; a date on or after
    the session's day says nothing."""
    on_the_day = ok(cli("person", "set", ENG, "Ann Old", "--release", "2026-12-08"))
    assert "warning:" not in on_the_day.stderr
    earlier = ok(cli("person", "set", ENG, "Ann Old", "--release", "2026-12-05"))
    assert earlier.stderr.count("warning:") == 1, earlier.stderr
    assert (
        f"Ann Old leaves on 2026-12-05 but is in 1 planned KT session(s) after it: "
        f"#{team['ann']} Reports on 2026-12-08"
    ) in earlier.stderr
    people = {p["name"]: p for p in ok(cli("person", "list", ENG, "--json")).json()}
    assert people["Ann Old"]["release_date"] == "2026-12-05"
    released = ok(
        cli("person", "release", ENG, "Bea New", "--on", "2026-12-01", "--override", "left")
    )
    assert "Bea New leaves on 2026-12-01 but is in 1 planned KT session(s) after it: " in (
        released.stderr
    )
    assert f"#{team['bob']} Reports on 2026-12-08" in released.stderr


def test_what_took_place_is_judged_on_its_day(team, cli, engine, clock):
    """Holding and signing off record the past: a session whose presenter had left before
    its day cannot have taken place, and someone who had left before it cannot have
    attended it or sign it off; someone who left after it did take part."""
    ok(cli("person", "set", ENG, "Ann Old", "--release", "2026-12-05"))
    error = refused_unwritten(cli, engine, "kt", "hold", ENG, team["ann"])
    assert error == (
        f"error: KT session {team['ann']} on 2026-12-08 cannot have taken place: its presenter "
        "left before it (Ann Old on 2026-12-05); cancel it, or reschedule it with a presenter "
        "who is there\n"
    )
    clock.pin(now=datetime(2026, 12, 10, 12, 0, tzinfo=UTC), today="2026-12-10")
    ok(cli("person", "add", ENG, "Lou Late", "--side", "provider"))
    ok(cli("person", "release", ENG, "Lou Late", "--on", "2026-12-09", "--override", "left"))
    ok(cli("person", "release", ENG, "Bea New", "--on", "2026-12-07", "--override", "left"))
    ok(cli("kt", "hold", ENG, team["bob"], "--attendee", "Lou Late"))
    error = refused_unwritten(cli, engine, "kt", "signoff", ENG, team["bob"], "--by", "Bea New")
    assert error == (
        "error: Bea New left on 2026-12-07, before the KT session on 2026-12-08: they cannot "
        "have attended it\n"
    )
    ok(cli("kt", "signoff", ENG, team["bob"], "--by", "Lou Late"))
