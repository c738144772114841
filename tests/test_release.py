"""Release readiness, releases and movers: ``person readiness|release|move``, the
``release_ready`` gate criterion and the access findings that warn ahead of a release."""

from __future__ import annotations

import pytest
from runbook_steps import advance
from safety import refused_unwritten
from sqlalchemy import func, select

from transition.models import (
    AccessGrant,
    AuditEvent,
    HandoverItem,
    KTSession,
    KTTopic,
    Person,
    System,
    SystemPerson,
    SystemTopic,
)
from transition.services import release
from transition.services.common import get_engagement

ENG = "acme-helpdesk"


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def team(acme, cli, clock):
    """acme on 2026-12-01: Ann (incumbent, leaving 2026-12-10) presents KT on CRM and
    holds a grant on it; Bob (provider) attends; Ivan (incumbent, leaving 2027-01-15)."""
    clock.pin(today="2026-12-01")
    for args in (
        ("system", "add", acme, "CRM", "--tier", "1"),
        ("person", "add", acme, "Ann Old", "--side", "incumbent", "--release", "2026-12-10"),
        ("person", "add", acme, "Ivan Stay", "--side", "incumbent", "--release", "2027-01-15"),
        ("person", "add", acme, "Bob New", "--side", "provider"),
        ("access", "grant", acme, "--person", "Ann Old", "--system", "CRM", "--role", "reader",
         "--expires", "2026-12-31", "--justification", "operations"),
        ("access", "grant", acme, "--person", "Ivan Stay", "--system", "CRM", "--role", "operator",
         "--expires", "2026-12-20", "--justification", "on-call"),
        ("kt", "schedule", acme, "--system", "CRM", "--topic", "Nightly jobs", "--presenter",
         "Ann Old", "--attendee", "Bob New", "--at", "2026-11-20T10:00"),
    ):  # fmt: skip
        ok(cli(*args))
    return acme


def sign_off(cli, session_id: int) -> None:
    ok(cli("kt", "hold", ENG, str(session_id)))
    ok(cli("kt", "signoff", ENG, str(session_id), "--by", "Bob New"))


def readiness_json(cli, *person):
    return ok(cli("person", "readiness", ENG, *person, "--json")).json()


def events(session_scope) -> int:
    with session_scope(write=False) as s:
        return s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def verify_clean(cli) -> None:
    data = ok(cli("audit", ENG, "--verify", "--json")).json()
    assert data["intact"] and data["problems"] == [], data


def test_readiness_lists_incumbents_leaving_with_what_they_hold(team, cli):
    rows = readiness_json(cli)
    assert [r["person"] for r in rows] == ["ann-old", "ivan-stay"]
    ann, ivan = rows
    assert ann["ready"] is False and ann["state"] == "not ready"
    assert ann["days_left"] == 9
    # No topics yet on CRM: the system as a whole, by core kind.
    assert ann["topics"] == [
        {"system": "CRM", "topic": None, "missing": ["walkthrough", "shadow", "reverse-shadow"]}
    ]
    assert [g["role"] for g in ann["grants"]] == ["reader"]
    # Ivan presents nothing and owns nothing: only his grant stands in the way.
    assert ivan["topics"] == [] and [g["role"] for g in ivan["grants"]] == ["operator"]
    shown = ok(cli("person", "readiness", ENG)).stdout
    assert "ann-old" in shown and "not ready: 1 topic(s), 1 grant(s)" in shown
    one = ok(cli("person", "readiness", ENG, "ann old")).stdout
    assert "KT not signed off for CRM (walkthrough, shadow, reverse-shadow)" in one
    assert "still holds grant 1 (reader on CRM)" in one


def test_readiness_by_topic_and_owned_runbooks(team, cli, session_scope, tmp_path):
    ok(cli("runbook", "new", ENG, "--system", "CRM", "--template", "incident-response",
           "--out", str(tmp_path)))  # fmt: skip
    with session_scope() as s:
        eng = get_engagement(s, ENG)
        crm = s.execute(select(System).where(System.slug == "crm")).scalar_one()
        ann = s.execute(select(Person).where(Person.slug == "ann-old")).scalar_one()
        s.add(SystemPerson(engagement_id=eng.id, system_id=crm.id, person_id=ann.id, role="owner"))
        for key, title in (("backups", "Backups"), ("month-end", "Month end")):
            s.add(SystemTopic(engagement_id=eng.id, system_id=crm.id, key=key, title=title))
        s.flush()
        backups = s.execute(select(SystemTopic).where(SystemTopic.key == "backups")).scalar_one()
        s.add(KTTopic(session_id=1, topic_id=backups.id))
    sign_off(cli, 1)
    (ann,) = readiness_json(cli, "Ann Old")
    gaps = {t["topic"]: t["missing"] for t in ann["topics"]}
    # KT on CRM is organised by topic now: the team's topics, and one default topic per
    # runbook the playbook requires of a tier-1 system, each needing every core kind.
    assert gaps["Backups"] == ["shadow", "reverse-shadow"]
    assert gaps["Month end"] == ["walkthrough", "shadow", "reverse-shadow"]
    assert gaps["incident-response"] == ["walkthrough", "shadow", "reverse-shadow"]
    assert None not in gaps
    assert [(r["title"], r["status"]) for r in ann["runbooks"]] == [
        (ann["runbooks"][0]["title"], "drafted")
    ]
    advance(cli, ENG, 1, "accepted", by="Bob New")
    (ann,) = readiness_json(cli, "Ann Old")
    assert ann["runbooks"] == []


def test_readiness_of_an_unknown_person_is_bad_input(team, cli):
    result = cli("person", "readiness", ENG, "Nobody")
    assert result.exit_code == 2 and result.stderr.startswith("error:")


def test_release_is_refused_while_readiness_is_unmet_and_nothing_is_written(
    team, cli, session_scope
):
    before = events(session_scope)
    result = cli("person", "release", ENG, "Ann Old")
    assert result.exit_code == 1
    assert "not ready to be released" in result.stderr
    assert "KT not signed off for CRM (walkthrough, shadow, reverse-shadow)" in result.stderr
    assert "--override" in result.stderr and "Traceback" not in result.stderr
    assert events(session_scope) == before
    assert readiness_json(cli, "Ann Old")[0]["released_on"] is None


def test_release_overridden_revokes_grants_and_resolves_their_items(team, cli, session_scope):
    with session_scope(write=False) as s:
        open_items = s.execute(
            select(func.count()).select_from(HandoverItem).where(HandoverItem.status == "open")
        ).scalar_one()
    result = ok(cli("person", "release", ENG, "Ann Old", "--override", "contract ends"))
    assert "released ann-old on 2026-12-01; revoked grant(s) 1" in result.stdout
    assert "1 exit-checklist item(s) resolved" in result.stdout
    assert "released with 1 unmet: contract ends" in result.stderr
    with session_scope(write=False) as s:
        grant = s.get(AccessGrant, 1)
        assert grant.revoked_at is not None and grant.revoke_reason == "released on 2026-12-01"
        assert s.get(AccessGrant, 2).revoked_at is None  # Ivan's stays
        ann = s.execute(select(Person).where(Person.slug == "ann-old")).scalar_one()
        assert (ann.released_on.isoformat(), ann.release_override) == (
            "2026-12-01",
            "contract ends",
        )
        assert ann.release_date.isoformat() == "2026-12-01"
        still_open = s.execute(
            select(func.count()).select_from(HandoverItem).where(HandoverItem.status == "open")
        ).scalar_one()
    assert still_open == open_items - 1
    (ann,) = readiness_json(cli, "Ann Old")
    assert ann["state"] == "released" and ann["grants"] == []
    verify_clean(cli)
    again = cli("person", "release", ENG, "Ann Old", "--override", "again")
    assert again.exit_code == 1 and "already released on 2026-12-01" in again.stderr


def test_a_ready_person_is_released_without_override(team, cli):
    ok(cli("person", "release", ENG, "Ivan Stay", "--on", "2026-11-30"))
    (ivan,) = readiness_json(cli, "Ivan Stay")
    assert ivan["released_on"] == "2026-11-30" and ivan["release_override"] is None
    assert ivan["grants"] == []
    verify_clean(cli)


@pytest.mark.parametrize(
    "args",
    [
        ("--on", "2026-12-05"),  # in the future
        ("--on", "not a date"),
        ("--override", "   "),
    ],
)
def test_release_bad_input(team, cli, session_scope, args):
    before = events(session_scope)
    result = cli("person", "release", ENG, "Ivan Stay", *args)
    assert result.exit_code == 2 and result.stderr.startswith("error:")
    assert events(session_scope) == before

    # also once released: bad input is told as bad input (2), not as the rule (1)
    ok(cli("person", "release", ENG, "Ivan Stay", "--override", "left"))
    before = events(session_scope)
    result = cli("person", "release", ENG, "Ivan Stay", *args)
    assert result.exit_code == 2 and result.stderr.startswith("error:"), result.stderr
    assert events(session_scope) == before


def test_release_undo_puts_grants_and_release_back(team, cli):
    ok(cli("person", "release", ENG, "Ann Old", "--override", "contract ends"))
    ok(cli("undo", ENG))
    (ann,) = readiness_json(cli, "Ann Old")
    assert ann["released_on"] is None and ann["release_override"] is None
    assert ann["release_date"] == "2026-12-10"
    assert [g["id"] for g in ann["grants"]] == [1]
    verify_clean(cli)


def test_the_release_date_of_a_released_person_cannot_change(team, cli, engine):
    ok(cli("person", "release", ENG, "Ann Old", "--override", "contract ends"))
    for value in ("none", "2027-05-01"):
        error = refused_unwritten(cli, engine, "person", "set", ENG, "Ann Old", "--release", value)
        assert error == (
            "error: person ann-old was released on 2026-12-01: the release date cannot change "
            "(undo the release to change it)\n"
        )
    ok(cli("person", "set", ENG, "Ann Old", "--release", "2026-12-01", "--role", "Former lead"))
    (ann,) = readiness_json(cli, "Ann Old")
    assert (ann["release_date"], ann["released_on"]) == ("2026-12-01", "2026-12-01")
    ok(cli("undo", ENG, "--last", "2"))  # the release undone, the date can move again
    ok(cli("person", "set", ENG, "Ann Old", "--release", "2027-05-01"))


def test_move_keeps_access_re_justified_and_clears_the_release(team, cli, session_scope):
    result = ok(cli("person", "move", ENG, "Ivan Stay", "--to", "provider", "--role", "Engineer"))
    assert "moved ivan-stay from incumbent to provider; kept grant(s) 2" in result.stdout
    with session_scope(write=False) as s:
        ivan = s.execute(select(Person).where(Person.slug == "ivan-stay")).scalar_one()
        assert (ivan.side, ivan.moved_from, ivan.role) == ("provider", "incumbent", "Engineer")
        assert ivan.release_date is None and ivan.moved_on.isoformat() == "2026-12-01"
        grant = s.get(AccessGrant, 2)
        assert grant.revoked_at is None
        assert grant.justification == (
            "on-call; kept on moving from the incumbent to the provider side on 2026-12-01"
        )
        logged = (
            s.execute(
                select(AuditEvent.action).where(
                    AuditEvent.entity == "access_grant",
                    AuditEvent.field == "justification",
                    AuditEvent.entity_id == 2,
                )
            )
            .scalars()
            .all()
        )
        assert logged == ["grant", "move"]
        eng = get_engagement(s, ENG)
        assert [m.person for m in release.movers(s, eng)] == ["ivan-stay"]
    assert [r["person"] for r in readiness_json(cli)] == ["ann-old"]
    verify_clean(cli)
    ok(cli("undo", ENG))
    with session_scope(write=False) as s:
        ivan = s.execute(select(Person).where(Person.slug == "ivan-stay")).scalar_one()
        assert (ivan.side, ivan.moved_from, ivan.release_date.isoformat()) == (
            "incumbent",
            None,
            "2027-01-15",
        )
        assert s.get(AccessGrant, 2).justification == "on-call"
    verify_clean(cli)


def test_move_keeps_a_grant_whose_justification_has_no_room_for_the_note(
    team, cli, session_scope, tmp_path
):
    """A justification already at the length limit is kept as it reads: the note would
    make it longer than an import accepts, and the export must import again."""
    from transition.text import TEXT_MAX

    full = "x" * TEXT_MAX
    ok(cli("access", "grant", ENG, "--person", "Ivan Stay", "--system", "CRM", "--role",
           "admin", "--expires", "2026-12-20", "--justification", full))  # fmt: skip
    result = ok(cli("person", "move", ENG, "Ivan Stay", "--to", "provider"))
    assert "kept grant(s) 2, 3" in result.stdout
    with session_scope(write=False) as s:
        assert s.get(AccessGrant, 3).justification == full
        assert s.get(AccessGrant, 2).justification.endswith("to the provider side on 2026-12-01")
    bundle = tmp_path / "acme.json"
    ok(cli("export", ENG, "-o", str(bundle)))
    ok(cli("engagement", "archive", ENG))
    ok(cli("engagement", "delete", ENG, "--confirm", ENG))
    ok(cli("import", str(bundle)))
    with session_scope(write=False) as s:
        moved = s.execute(select(Person).where(Person.slug == "ivan-stay")).scalar_one()
        assert moved.side == "provider"


def test_move_revoking_access(team, cli, session_scope):
    both = cli("person", "move", ENG, "Ann Old", "--to", "provider", "--keep-access",
               "--revoke-access")  # fmt: skip
    assert both.exit_code == 2 and both.stderr == (
        "error: give either --keep-access or --revoke-access, not both\n"
    )
    result = ok(cli("person", "move", ENG, "Ann Old", "--to", "provider", "--revoke-access"))
    assert "revoked grant(s) 1" in result.stdout
    with session_scope(write=False) as s:
        assert s.get(AccessGrant, 1).revoked_at is not None
        # Their KT stays theirs.
        assert s.execute(select(func.count()).select_from(KTSession)).scalar_one() == 1
    verify_clean(cli)


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("Bob New", "--to", "provider"), 1, "only incumbent people move"),
        (("Ann Old", "--to", "client"), 2, "a person moves to provider"),
        (("Nobody", "--to", "provider"), 2, "error:"),
        (("Bob New", "--to", "provider", "--role", "a\x1bb"), 2, "control character"),
        (("Bob New", "--to", "provider", "--role", "r" * 500), 2, "the limit is"),
    ],
)
def test_move_refusals(team, cli, session_scope, args, code, words):
    before = events(session_scope)
    result = cli("person", "move", ENG, *args)
    assert result.exit_code == code and words in result.stderr
    assert events(session_scope) == before


GATED = """\
name: gated
title: Gated playbook
phases:
  - key: ramp-up
    title: Ramp-up
    duration: 2w
    gate: [release_ready]
  - key: cutover
    title: Cutover
    duration: 8w
    gate: [release_ready]
"""


def test_release_ready_gate_criterion(cli, clock, tmp_path):
    clock.pin(today="2026-12-01")
    path = tmp_path / "gated.yaml"
    path.write_text(GATED, encoding="utf-8")
    ok(cli("playbook", "validate", str(path)))
    ok(cli("engagement", "new", "Gated", "--playbook", str(path), "--start", "2026-12-01"))
    for args in (
        ("system", "add", "gated", "CRM"),
        ("person", "add", "gated", "Ann Old", "--side", "incumbent", "--release", "2026-12-20"),
        ("person", "add", "gated", "Bob New", "--side", "provider"),
        ("kt", "schedule", "gated", "--system", "CRM", "--topic", "Jobs", "--presenter",
         "Ann Old", "--attendee", "Bob New", "--at", "2026-12-02T10:00"),
    ):  # fmt: skip
        ok(cli(*args))
    phases = ok(cli("phase", "status", "gated", "--json")).json()["phases"]
    ramp, cutover = ({c["name"]: c for c in p["gate"]}["release_ready"] for p in phases)
    # Ramp-up ends 2026-12-14, before Ann leaves; cutover ends after.
    assert ramp["met"] is True and "nobody is released before" in ramp["reason"]
    assert cutover["met"] is False and "ann-old" in cutover["reason"]
    ok(cli("person", "release", "gated", "Ann Old", "--override", "left early"))
    phases = ok(cli("phase", "status", "gated", "--json")).json()["phases"]
    assert {c["name"]: c for c in phases[1]["gate"]}["release_ready"]["met"] is True


def test_a_playbook_with_an_unknown_criterion_is_still_refused(offline_cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(GATED.replace("release_ready]", "release_readyy]", 1), encoding="utf-8")
    result = offline_cli("playbook", "validate", str(path))
    assert result.exit_code == 2 and "release_readyy" in result.stderr


def findings(cli):
    return ok(cli("access", "review", ENG, "--json")).json()


def test_findings_warn_ahead_of_a_release(team, cli, setting):
    ok(cli("access", "grant", ENG, "--person", "Bob New", "--system", "CRM", "--role", "admin",
           "--expires", "2027-06-01", "--justification", "cover"))  # fmt: skip
    found = {(f["kind"], f["person"]) for f in findings(cli)}
    # Ann leaves in 9 days with her KT not out, and her grant runs past her release.
    assert ("release_not_ready", "Ann Old") in found
    assert ("expires_after_release", "Ann Old") in found
    # Ivan leaves in 45 days (outside the window); his grant ends before he does.
    assert not {k for k, p in found if p == "Ivan Stay"}
    # Bob's grant runs past the end of the transition plan: the provider runs the service
    # after it, so that is no finding (only an exit date, once recorded, is a limit).
    assert ("expires_after_exit", "Bob New") not in found
    setting("TRANSITION_RELEASE_WARNING_DAYS", "5")
    assert ("release_not_ready", "Ann Old") not in {(f["kind"], f["person"]) for f in findings(cli)}
    setting("TRANSITION_RELEASE_WARNING_DAYS", "soon")
    result = cli("access", "review", ENG)
    assert result.exit_code == 2 and "TRANSITION_RELEASE_WARNING_DAYS" in result.stderr


def test_readiness_answers_in_a_bounded_number_of_queries(team, cli, count_queries, session_scope):
    def count() -> int:
        with session_scope(write=False) as s, count_queries() as q:
            release.readiness(s, ENG)
        return len(q.statements)

    few = count()
    for i in range(8):
        ok(
            cli(
                "person",
                "add",
                ENG,
                f"Leaver {i}",
                "--side",
                "incumbent",
                "--release",
                "2026-12-24",
            )
        )
        ok(cli("kt", "schedule", ENG, "--system", "CRM", "--topic", f"T{i}", "--presenter",
               f"Leaver {i}", "--attendee", "Bob New", "--at", "2026-12-02T10:00"))  # fmt: skip
    assert count() <= few


def test_the_report_shows_release_readiness_and_movers(team, cli):
    ok(cli("person", "release", ENG, "Ann Old", "--override", "contract <ends>"))
    ok(cli("person", "move", ENG, "Ivan Stay", "--to", "provider", "--role", "Engineer"))
    md = ok(cli("report", ENG)).stdout
    readiness = md.split("## Release readiness")[1].split("## Movers")[0]
    assert "| Ann Old | 2026-12-01 |" in readiness
    assert "released 2026-12-01 (overridden)" in readiness
    movers = md.split("## Movers")[1].split("## Exit-handover checklist")[0]
    assert "| Ivan Stay | incumbent | provider | 2026-12-01 | Engineer |" in movers
    html = ok(cli("report", ENG, "--format", "html")).stdout
    assert "<h2>Release readiness</h2>" in html and "<h2>Movers</h2>" in html
    assert "contract &lt;ends&gt;" in html and "contract <ends>" not in html
