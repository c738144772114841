"""KT sessions: lifecycle, sign-off rules, coverage, key-person risk, the kt_coverage gate
and the iCalendar export."""

from __future__ import annotations

import pytest

from transition.services import audit
from transition.services.common import get_engagement

ENG = "acme-helpdesk"


@pytest.fixture
def team(acme, cli):
    for args in (
        ("system", "add", acme, "Service Desk", "--tier", "1"),
        ("system", "add", acme, "CRM", "--tier", "3"),
        (
            "person",
            "add",
            acme,
            "Ann Old",
            "--side",
            "incumbent",
            "--release",
            "2026-11-20",
            "--email",
            "ann@old.example",
        ),  # fmt: skip
        ("person", "add", acme, "Olaf Old", "--side", "incumbent"),
        ("person", "add", acme, "Bob New", "--side", "provider", "--email", "bob@new.example"),
        ("person", "add", acme, "Bea New", "--side", "provider"),
    ):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
    return acme


def schedule(cli, system="CRM", kind="walkthrough", presenter="Ann Old", attendees=("Bob New",),
             at="2026-11-16T10:00"):  # fmt: skip
    args = ["kt", "schedule", ENG, "--system", system, "--topic", f"{kind} of {system}",
            "--presenter", presenter, "--at", at, "--kind", kind]  # fmt: skip
    for a in attendees:
        args += ["--attendee", a]
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    return int(result.stdout.split("#")[1].split(":")[0])


def sessions(cli):
    result = cli("kt", "list", ENG, "--json")
    assert result.exit_code == 0, result.stderr
    return {s["id"]: s for s in result.json()}


def audit_count(session_scope) -> int:
    with session_scope(write=False) as s:
        return audit.count(s, get_engagement(s, ENG).id)


def test_lifecycle(team, cli):
    sid = schedule(cli, attendees=("Bob New", "Bea New"))
    s = sessions(cli)[sid]
    assert s["status"] == "planned" and s["kind"] == "walkthrough" and s["minutes"] == 60
    assert s["presenters"] == ["Ann Old"] and s["attendees"] == ["Bea New", "Bob New"]
    assert s["starts_at"].endswith("+00:00")
    assert cli("kt", "hold", ENG, str(sid)).exit_code == 0
    assert sessions(cli)[sid]["status"] == "held"
    r = cli("kt", "signoff", ENG, str(sid), "--by", "bob new", "--confidence", "4",
            "--follow-ups", "walk through the batch jobs again")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    s = sessions(cli)[sid]
    assert s["status"] == "signed_off" and s["signed_off_by"] == "Bob New"
    assert s["confidence"] == 4 and s["follow_ups"] == "walk through the batch jobs again"
    again = cli("kt", "signoff", ENG, str(sid), "--by", "Bea New")
    assert again.exit_code == 1 and "already signed off" in again.stderr
    assert cli("kt", "hold", ENG, str(sid)).exit_code == 1


def test_signoff_rules_write_nothing(team, cli, session_scope):
    sid = schedule(cli)
    before = audit_count(session_scope)
    early = cli("kt", "signoff", ENG, str(sid), "--by", "Bob New")
    assert early.exit_code == 1
    assert early.stderr.startswith("error: ") and "not been held" in early.stderr
    assert cli("kt", "hold", ENG, str(sid)).exit_code == 0
    held = audit_count(session_scope)
    assert held > before
    cases = [
        (("--by", "Ann Old"), 1, "only an attendee"),  # the presenter
        (("--by", "Bea New"), 1, "did not attend"),
        (("--by", "Nobody"), 2, "unknown person"),
        (("--by", "Bob New", "--confidence", "6"), 2, "invalid confidence"),
        (("--by", "Bob New", "--confidence", "0"), 2, "invalid confidence"),
        (("--by", "Bob New", "--follow-ups", "password=Secret123"), 2, "credential"),
    ]
    for args, code, message in cases:
        r = cli("kt", "signoff", ENG, str(sid), *args)
        assert r.exit_code == code, (args, r.stderr)
        assert r.stderr.startswith("error: ") and message in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
    assert audit_count(session_scope) == held
    assert sessions(cli)[sid]["status"] == "held"


def test_late_attendee_can_sign_off(team, cli):
    sid = schedule(cli, attendees=())
    assert cli("kt", "hold", ENG, str(sid), "--attendee", "Bea New").exit_code == 0
    assert sessions(cli)[sid]["attendees"] == ["Bea New"]
    assert cli("kt", "signoff", ENG, str(sid), "--by", "Bea New").exit_code == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--at", "2026-11-31T10:00"), 2, "invalid start time"),
        (("--at", "tomorrow"), 2, "invalid start time"),
        (("--kind", "lecture"), 2, "invalid KT kind"),
        (("--minutes", "0"), 2, "between 5 and 1440"),
        (("--system", "Mainframe"), 2, "unknown system"),
        (("--presenter", "Nobody"), 2, "unknown person"),
        (("--attendee", "Ann Old"), 2, "cannot both present and attend"),
    ],
)
def test_bad_schedule_writes_nothing(team, cli, session_scope, args, code, message):
    base = {"--system": "CRM", "--topic": "Batch jobs", "--presenter": "Ann Old",
            "--at": "2026-11-16T10:00"}  # fmt: skip
    given = dict(zip(args[::2], args[1::2], strict=True))
    argv = ["kt", "schedule", ENG]
    for key, value in {**base, **given}.items():
        argv += [key, value]
    before = audit_count(session_scope)
    r = cli(*argv)
    assert r.exit_code == code
    assert r.stderr.startswith("error: ") and message in r.stderr, r.stderr
    assert audit_count(session_scope) == before
    assert sessions(cli) == {}


def test_unknown_session_id(team, cli, session_scope):
    before = audit_count(session_scope)
    for command in (("hold",), ("signoff", "--by", "Bob New")):
        for ident in ("999", "x1"):
            r = cli("kt", command[0], ENG, ident, *command[1:])
            assert r.exit_code == 2
            assert r.stderr.startswith("error: ") and "KT session" in r.stderr
    assert audit_count(session_scope) == before


def test_kt_coverage_gate_end_to_end(team, cli):
    def criterion(kinds: str):
        data = cli("phase", "status", ENG, "--json").json()
        return next(
            c
            for p in data["phases"]
            for c in p["gate"]
            if c["name"] == "kt_coverage" and c["criterion"] == f"kt_coverage ({kinds})"
        )

    assert not criterion("walkthrough, shadow")["met"]
    for system in ("CRM", "Service Desk"):
        for kind in ("walkthrough", "shadow"):
            sid = schedule(cli, system=system, kind=kind)
            assert cli("kt", "hold", ENG, str(sid)).exit_code == 0
            assert not criterion("walkthrough, shadow")["met"]
            assert cli("kt", "signoff", ENG, str(sid), "--by", "Bob New").exit_code == 0
    assert criterion("walkthrough, shadow")["met"]
    full = criterion("walkthrough, shadow, reverse-shadow")
    assert not full["met"] and "reverse-shadow" in full["reason"]
    rows = cli("kt", "coverage", ENG, "--json").json()
    # Sessions covering none of the system's topics show as its "(other sessions)".
    cov = {row["system"]: row for row in rows if row["topic"] == "(other sessions)"}
    signed = [c["kind"] for c in cov["CRM"]["kinds"] if c["status"] == "signed_off"]
    assert signed == ["walkthrough", "shadow"]
    assert cov["CRM"]["missing"] == ["reverse-shadow"]


def test_key_person_risk(team, cli, clock, monkeypatch):
    clock.pin(today="2026-11-10")  # Ann leaves in 10 days
    schedule(cli, system="CRM", presenter="Ann Old")
    schedule(cli, system="Service Desk", presenter="Olaf Old")  # no release date: no risk

    def risky():
        rows = cli("system", "list", ENG, "--json").json()
        return {r["name"]: r["key_person_risk_reason"] for r in rows if r["key_person_risk"]}

    assert set(risky()) == {"CRM"}
    assert "Ann Old" in risky()["CRM"]
    status = cli("phase", "status", ENG)
    assert "key-person risk: CRM" in status.stdout
    assert [
        r["system"] for r in cli("phase", "status", ENG, "--json").json()["key_person_risks"]
    ] == ["CRM"]
    clock.pin(today="2026-11-01")  # 19 days left: not yet a risk
    assert risky() == {}
    clock.pin(today="2026-11-10")
    # A second presenter who stays removes the risk.
    schedule(cli, system="CRM", kind="shadow", presenter="Olaf Old")
    assert risky() == {}


def test_key_person_risk_clears_when_signed_off(team, cli, clock, monkeypatch):
    clock.pin(today="2026-11-10")
    ids = [schedule(cli, kind=k) for k in ("walkthrough", "shadow", "reverse-shadow")]
    for sid in ids:
        assert cli("kt", "hold", ENG, str(sid)).exit_code == 0
        assert cli("kt", "signoff", ENG, str(sid), "--by", "Bob New").exit_code == 0
    assert not any(r["key_person_risk"] for r in cli("system", "list", ENG, "--json").json())


def test_ics_parses_and_uids_are_stable(team, cli, tmp_path):
    from icalendar import Calendar

    a = schedule(cli, at="2026-11-16T10:00+01:00")
    schedule(cli, system="Service Desk", kind="shadow", presenter="Olaf Old",
             attendees=("Bob New", "Bea New"))  # fmt: skip
    first = cli("kt", "ics", ENG)
    assert first.exit_code == 0, first.stderr
    cal = Calendar.from_ical(first.stdout)
    events = cal.walk("VEVENT")
    assert len(events) == 2
    by_uid = {str(e["UID"]): e for e in events}
    assert all(uid.endswith("@transition") for uid in by_uid)
    crm = next(e for e in events if "CRM" in str(e["SUMMARY"]))
    start = crm.decoded("DTSTART")
    assert start.utcoffset().total_seconds() == 0 and start.hour == 9  # 10:00+01:00 in UTC
    assert (crm.decoded("DTEND") - start).total_seconds() == 3600
    attendees = [str(x) for x in crm.get("ATTENDEE")]
    assert "mailto:bob@new.example" in attendees and "mailto:ann@old.example" in attendees
    assert str(crm["ORGANIZER"]) == "mailto:ann@old.example"
    assert int(crm["SEQUENCE"]) == 1

    assert cli("kt", "hold", ENG, str(a)).exit_code == 0
    out = tmp_path / "kt.ics"
    second = cli("kt", "ics", ENG, "-o", out)
    assert second.exit_code == 0, second.stderr
    assert (out.stat().st_mode & 0o777) == 0o600
    again = {str(e["UID"]): e for e in Calendar.from_ical(out.read_bytes()).walk("VEVENT")}
    assert set(again) == set(by_uid)
    held = next(e for e in again.values() if "CRM" in str(e["SUMMARY"]))
    assert int(held["SEQUENCE"]) > int(crm["SEQUENCE"])  # calendar apps update the entry


def test_list_is_bounded(team, cli, session_scope, count_queries):
    for i in range(12):  # up to Ann's last day (her release date, 20 November)
        schedule(cli, kind=("walkthrough", "shadow", "qa")[i % 3], at=f"2026-11-{i + 9:02}T10:00")
    from transition.services import kt, kt_calendar

    with count_queries() as q, session_scope(write=False) as s:
        eng = get_engagement(s, ENG)
        assert len(kt.list_sessions(s, eng)) == 12
        kt_calendar.ics(s, eng)
        kt.coverage(s, eng)
        kt.key_person_risks(s, eng)
    # key-person risk also reads owners and SMEs; each session list the topics covered
    assert q.count <= 11, q.statements


def test_services_take_what_the_user_typed(team, session_scope):
    """The engagement by name, the start as typed (no offset: UTC), attendees as one
    comma-separated text, confidence as typed; each verb returns the view of its change."""
    from datetime import UTC, datetime

    from transition.services import kt
    from transition.services.views.kt import KTSessionView

    with session_scope() as s:
        row = kt.schedule(
            s,
            "Acme Helpdesk",
            system="crm",
            topic="Batch jobs",
            presenters="Ann Old",
            attendees="Bob New, Bea New",
            at="2026-11-16T10:00",
        )
    assert isinstance(row, KTSessionView)
    assert row.starts_at == datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
    assert (row.kind, row.minutes, row.status) == ("walkthrough", 60, "planned")
    assert row.presenters == ["Ann Old"] and row.attendees == ["Bea New", "Bob New"]
    with session_scope() as s:
        assert kt.hold(s, ENG, str(row.id)).status == "held"
        done = kt.signoff(s, ENG, row.id, by="Bea New", confidence="4")
    assert (done.status, done.confidence, done.signed_off_by) == ("signed_off", 4, "Bea New")
    assert done.model_dump(mode="json")["starts_at"] == "2026-11-16T10:00:00+00:00"
    with session_scope() as s:
        naive = kt.schedule(
            s, ENG, system="CRM", topic="t", presenters=["Ann Old"], at=datetime(2026, 11, 17, 9)
        )
        assert naive.starts_at == datetime(2026, 11, 17, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"at": "tomorrow"}, "at", "invalid start time"),
        ({"at": "2026-11-16T10:00+25:00"}, "at", "invalid start time"),
        ({"kind": "lecture"}, "kind", "invalid KT kind"),
        ({"minutes": "lots"}, "minutes", "a number of minutes"),
        ({"minutes": 2}, "minutes", "between 5 and 1440"),
        ({"topic": " "}, "topic", "needs a topic"),
        ({"system": "Mainframe"}, "system", "unknown system"),
        ({"presenters": ""}, "presenters", "at least one presenter"),
        ({"presenters": "Nobody"}, "presenters", "unknown person"),
        ({"attendees": "Bob New, Nobody"}, "attendees", "unknown person"),
        ({"attendees": ["Ann Old"]}, "attendees", "cannot both present and attend"),
    ],
)
def test_schedule_errors_name_their_argument(team, session_scope, given, field, message):
    from transition.errors import BadInput
    from transition.services import kt

    args = {"system": "CRM", "topic": "Batch jobs", "presenters": "Ann Old"}
    args["at"] = "2026-11-16T10:00"
    with pytest.raises(BadInput) as caught, session_scope() as s:
        kt.schedule(s, ENG, **{**args, **given})
    assert caught.value.field == field and message in caught.value.message


def test_signoff_errors_name_their_argument(team, session_scope):
    from transition.errors import TransitionError
    from transition.services import kt

    with session_scope() as s:
        sid = kt.schedule(
            s,
            ENG,
            system="CRM",
            topic="t",
            presenters="Ann Old",
            attendees="Bob New",
            at="2026-11-16",
        ).id
        kt.hold(s, ENG, sid)
    for given, field in (
        ({"by": "Bob New", "confidence": "7"}, "confidence"),
        ({"by": "Bob New", "confidence": "high"}, "confidence"),
        ({"by": "Ann Old"}, "by"),
        ({"by": "Bea New"}, "by"),
        ({"by": "Nobody"}, "by"),
    ):
        with pytest.raises(TransitionError) as caught, session_scope() as s:
            kt.signoff(s, ENG, sid, **given)
        assert caught.value.field == field, given
    with session_scope() as s:
        assert kt.signoff(s, ENG, sid, by="Bob New", confidence="").confidence is None


def test_people_and_systems_add_take_typed_values_and_return_views(acme, session_scope):
    from datetime import date

    from transition.errors import TransitionError
    from transition.services import people, systems

    with session_scope() as s:
        person = people.add(s, acme, "Ann Old", side="incumbent", release_date="2026-11-20")
        system = systems.add(s, acme, "CRM", tier="1")
    assert (person.name, person.slug, person.release_date) == (
        "Ann Old",
        "ann-old",
        date(2026, 11, 20),
    )
    assert (system.name, system.slug, system.tier, system.removed_at) == ("CRM", "crm", 1, None)
    with session_scope() as s:
        assert people.add(s, acme, "Bob New", side="provider", release_date="").release_date is None
        removed = systems.remove(s, acme, "CRM")
    assert removed.removed_at is not None and removed.removed_at.tzinfo is not None
    for call, field in (
        (lambda s: people.add(s, acme, "Cy", side="client", release_date="soon"), "release_date"),
        (lambda s: people.add(s, acme, "Dee", side="nobody"), "side"),
        (lambda s: people.add(s, acme, "Ann Old", side="client"), "name"),
        (lambda s: systems.add(s, acme, "ERP", tier="9"), "tier"),
        (lambda s: systems.remove(s, acme, "Nothing"), "name"),
    ):
        with pytest.raises(TransitionError) as caught, session_scope() as s:
            call(s)
        assert caught.value.field == field
