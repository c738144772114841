"""Playbook roles resolved to people (``role assign|list``), tasks carried by a role's
people (``task list`` owners, ``--mine``), and ``transition agenda`` across engagements."""

from __future__ import annotations

from datetime import date

import pytest

from tests.core_books import write_many
from transition.playbooks import load_playbook
from transition.services import access, agenda, engagements, kt, people, roles, systems, tasks
from transition.services.common import get_engagement

ENG = "acme-helpdesk"


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def team(acme, cli, monkeypatch):
    monkeypatch.setenv("TRANSITION_TODAY", "2026-12-01")
    for args in (
        (
            "person",
            "add",
            acme,
            "Maria Lopez",
            "--side",
            "provider",
            "--email",
            "maria@new.example",
        ),
        ("person", "add", acme, "Ann Old", "--side", "incumbent", "--release", "2026-12-10"),
        ("person", "add", acme, "Bob New", "--side", "provider"),
        ("system", "add", acme, "CRM"),
    ):
        ok(cli(*args))
    return acme


def verified(cli, eng=ENG):
    assert ok(cli("audit", eng, "--verify")).stdout.startswith("chain intact")


def test_assign_list_and_remove(cli, team):
    result = ok(cli("role", "assign", team, "Transition Manager", "maria lopez"))
    assert result.stdout == "Maria Lopez holds the role transition-manager\n"
    assert result.stderr == ""
    rows = ok(cli("role", "list", team, "--json")).json()
    held = [r for r in rows if r["person"]]
    assert held == [
        {
            "role": "transition-manager",
            "person": "Maria Lopez",
            "slug": "maria-lopez",
            "side": "provider",
            "open_tasks": held[0]["open_tasks"],
        }
    ]
    assert held[0]["open_tasks"] > 0
    # Roles open tasks are owned by and nobody holds are listed too.
    assert {"role": "incumbent-lead", "person": None} in [
        {"role": r["role"], "person": r["person"]} for r in rows
    ]
    table = ok(cli("role", "list", team)).stdout
    assert "transition-manager" in table and "(nobody)" in table
    removed = ok(cli("role", "assign", team, "transition-manager", "Maria Lopez", "--remove"))
    assert removed.stdout == "Maria Lopez no longer holds the role transition-manager\n"
    assert not [r for r in ok(cli("role", "list", team, "--json")).json() if r["person"]]
    verified(cli)


def test_refusals_change_nothing(cli, team):
    ok(cli("role", "assign", team, "transition-manager", "Maria Lopez"))
    before = ok(cli("audit", team, "--json")).json()
    cases = [
        (("role", "assign", team, "transition-manager", "maria-lopez"), 1, "already holds"),
        (("role", "assign", team, "transition-manager", "Nobody"), 2, "unknown person"),
        (("role", "assign", "nope", "transition-manager", "Maria Lopez"), 2, "unknown engagement"),
        (("role", "assign", team, "  ", "Maria Lopez"), 2, "role"),
        (("role", "assign", team, "a\x07b", "Maria Lopez"), 2, "role"),
        (("role", "assign", team, "x" * 101, "Maria Lopez"), 2, "role"),
        (("role", "assign", team, "kt-lead", "Maria Lopez", "--remove"), 1, "does not hold"),
    ]
    for args, code, words in cases:
        result = cli(*args)
        assert result.exit_code == code, (args, result.stdout, result.stderr)
        assert result.stderr.startswith("error: ") and words in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert ok(cli("audit", team, "--json")).json() == before


def test_unknown_role_is_assigned_with_a_warning(cli, team):
    result = ok(cli("role", "assign", team, "Night Watch", "Bob New"))
    assert result.stdout == "Bob New holds the role night-watch\n"
    assert result.stderr.startswith("warning: no task of acme-helpdesk is owned by the role")


def test_the_database_refuses_a_duplicate(session_scope, team):
    """Two writers racing: the unique constraint answers, as a plain refusal."""
    from sqlalchemy import select

    from transition.errors import Refused
    from transition.models import Person, RoleAssignment

    with session_scope() as s:
        eng = get_engagement(s, ENG)
        person = s.execute(select(Person).where(Person.slug == "bob-new")).scalar_one()
        s.add(RoleAssignment(engagement_id=eng.id, role="kt-lead", person_id=person.id))
    refused = pytest.raises(Refused, match="this role held by this person already exists")
    with refused, session_scope() as s:
        eng = get_engagement(s, ENG)
        s.add(RoleAssignment(engagement_id=eng.id, role="kt-lead", person_id=person.id))


def test_task_list_shows_the_roles_people(cli, team):
    ok(cli("role", "assign", team, "transition-manager", "Maria Lopez"))
    ok(cli("role", "assign", team, "transition-manager", "Bob New"))
    ok(cli("task", "assign", team, "stakeholder-map", "Ann Old"))
    rows = {t["key"]: t for t in ok(cli("task", "list", team, "--json")).json()}
    assert rows["kickoff-workshop"]["owners"] == ["Bob New", "Maria Lopez"]
    assert rows["stakeholder-map"]["owners"] == []  # assigned: its assignee carries it
    assert rows["system-inventory"]["owners"] == []  # incumbent-lead: nobody holds it
    line = next(
        x for x in ok(cli("task", "list", team)).stdout.splitlines() if "kickoff-workshop" in x
    )
    assert "(Bob New, Maria Lopez)" in line


def test_task_list_mine(cli, team, monkeypatch):
    ok(cli("role", "assign", team, "transition-manager", "Maria Lopez"))
    ok(cli("task", "assign", team, "system-inventory", "Maria Lopez"))
    ok(cli("task", "assign", team, "stakeholder-map", "Bob New"))
    monkeypatch.setenv("TRANSITION_ACTOR", "maria@new.example")  # by email
    mine = ok(cli("task", "list", team, "--mine", "--json")).json()
    keys = {t["key"] for t in mine}
    assert "system-inventory" in keys and "kickoff-workshop" in keys
    assert "stakeholder-map" not in keys  # transition-manager's, but assigned to Bob
    assert all(t["assignee"] == "Maria Lopez" or "Maria Lopez" in t["owners"] for t in mine)
    by_name = ok(cli("--actor", "Maria Lopez", "task", "list", team, "--mine", "--json")).json()
    assert by_name == mine
    stranger = cli("--actor", "someone", "task", "list", team, "--mine")
    assert stranger.exit_code == 2
    assert "the acting user 'someone' is not a person of acme-helpdesk" in stranger.stderr


def test_undo_role_changes(cli, team):
    ok(cli("role", "assign", team, "kt-lead", "Bob New"))
    ok(cli("role", "assign", team, "kt-lead", "Bob New", "--remove"))
    undone = ok(cli("undo", team))
    assert "role kt-lead of Bob New" in undone.stdout
    assert [r["person"] for r in ok(cli("role", "list", team, "--json")).json() if r["role"] == "kt-lead"] == ["Bob New"]  # fmt: skip
    ok(cli("undo", team))  # the assignment itself
    assert [r["person"] for r in ok(cli("role", "list", team, "--json")).json() if r["role"] == "kt-lead"] == [None]  # fmt: skip
    verified(cli)


def test_undo_refused_when_changed_since(cli, team):
    ok(cli("role", "assign", team, "kt-lead", "Bob New"))
    ok(cli("--actor", "other", "role", "assign", team, "kt-lead", "Bob New", "--remove"))
    result = cli("undo", team)
    assert result.exit_code == 1
    assert "changed by other" in result.stderr and "nothing undone" in result.stderr
    # Undoing the creation of a person who holds a role is refused: the role refers to them.
    ok(cli("person", "add", team, "Eve New", "--side", "provider"))
    ok(cli("--actor", "other", "role", "assign", team, "kt-lead", "Eve New"))
    refused = cli("undo", team)
    assert refused.exit_code == 1 and "roles" in refused.stderr


def gone(cli, eng):
    ok(cli("engagement", "archive", eng))
    ok(cli("engagement", "delete", eng, "--confirm", eng))


def test_export_import_keeps_roles(cli, team, tmp_path, db_url):
    import json

    # A file written before roles existed has no such section: it still imports.
    before = tmp_path / "before.json"
    ok(cli("export", team, "-o", str(before)))
    older = json.loads(before.read_text())
    del older["engagements"][0]["role_assignments"]
    (tmp_path / "older.json").write_text(json.dumps(older))

    ok(cli("role", "assign", team, "transition-manager", "Maria Lopez"))
    path = tmp_path / "out.json"
    ok(cli("export", team, "-o", str(path)))
    data = json.loads(path.read_text())
    assert [r["role"] for r in data["engagements"][0]["role_assignments"]] == ["transition-manager"]
    gone(cli, team)
    ok(cli("import", str(path)))
    held = [r["person"] for r in ok(cli("role", "list", team, "--json")).json() if r["person"]]
    assert held == ["Maria Lopez"]
    verified(cli)
    gone(cli, team)
    ok(cli("import", str(tmp_path / "older.json")))
    assert not [r for r in ok(cli("role", "list", team, "--json")).json() if r["person"]]
    # A role not in its stored form is a bad file; a row the log never assigned too.
    bundle = data["engagements"][0]
    for role, words in (("Big Boss", "role_assignments"), ("kt-lead", "not in the log")):
        bundle["role_assignments"] = [
            {"id": 1, "engagement_id": bundle["engagement"]["id"], "role": role,
             "person_id": bundle["people"][0]["id"]}
        ]  # fmt: skip
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps(data))
        gone(cli, team)
        result = cli("import", str(bad))
        assert result.exit_code == 2 and words in result.stderr, result.stderr
        ok(cli("import", str(tmp_path / "older.json")))


def test_agenda(cli, team, monkeypatch):
    ok(cli("role", "assign", team, "transition-manager", "Maria Lopez"))
    ok(cli("task", "assign", team, "system-inventory", "Maria Lopez"))
    ok(cli("kt", "schedule", team, "--system", "CRM", "--topic", "Nightly jobs", "--presenter", "Ann Old", "--attendee", "Maria Lopez", "--at", "2026-12-05T10:00"))  # fmt: skip
    ok(cli("kt", "schedule", team, "--system", "CRM", "--topic", "Month end", "--presenter", "Ann Old", "--attendee", "Maria Lopez", "--at", "2026-11-20T10:00"))  # fmt: skip
    ok(cli("kt", "hold", team, "2"))
    # Past Ann's release date (10 December): Bob presents it.
    ok(cli("kt", "schedule", team, "--system", "CRM", "--topic", "Far", "--presenter", "Bob New", "--attendee", "Maria Lopez", "--at", "2027-03-01T10:00"))  # fmt: skip
    ok(cli("--actor", "Maria Lopez", "access", "grant", team, "--person", "Bob New", "--system", "CRM", "--role", "reader", "--expires", "2026-12-08"))  # fmt: skip
    ok(cli("--actor", "Maria Lopez", "access", "grant", team, "--person", "Bob New", "--system", "CRM", "--role", "writer", "--expires", "2027-06-01"))  # fmt: skip
    result = ok(cli("--actor", "Maria Lopez", "agenda", "--json")).json()
    assert result["person"] == "Maria Lopez" and result["engagements"] == [team]
    assert (result["today"], result["until"]) == ("2026-12-01", "2026-12-15")
    kinds = {(i["kind"], i["ref"], i["via"]) for i in result["items"]}
    assert ("task", "system-inventory", "assignee") in kinds
    assert ("task", "kickoff-workshop", "role transition-manager") in kinds
    assert ("kt", "kt 1", "attendee") in kinds
    assert ("signoff", "kt 2", "attendee") in kinds
    assert ("grant-expiry", "grant 1", "approver") in kinds
    assert ("release", "ann-old", "role transition-manager") in kinds
    assert not any(i["ref"] in ("kt 3", "grant 2") for i in result["items"])  # beyond 14 days
    dues = [i["due"] for i in result["items"]]
    assert dues == sorted(dues)
    # By name or email; --days narrows; the presenter sees their session.
    same = ok(cli("agenda", "--person", "maria@new.example", "--json")).json()
    assert same["person"] == "Maria Lopez"
    ann = ok(cli("agenda", "--person", "Ann Old", "--days", "120", "--json")).json()
    assert {(i["ref"], i["via"]) for i in ann["items"]} == {("kt 1", "presenter")}
    bob = ok(cli("agenda", "--person", "Bob New", "--days", "120", "--json")).json()
    assert ("kt 3", "presenter") in {(i["ref"], i["via"]) for i in bob["items"]}
    assert ("kt 3", "presenter") not in {
        (i["ref"], i["via"])
        for i in ok(cli("agenda", "--person", "Bob New", "--json")).json()["items"]
    }
    text = ok(cli("agenda", "--person", "Maria Lopez")).stdout
    assert text.startswith("agenda of Maria Lopez until 2026-12-15 (acme-helpdesk)\n")
    assert "late" in text


def test_agenda_refusals(cli, team):
    for args, code, words in (
        (("agenda", "--person", "Nobody"), 2, "no person 'Nobody' in any engagement"),
        (("agenda",), 2, "no person 'tester'"),
        (("agenda", "--me", "--person", "Bob New"), 2, "not both"),
        (("agenda", "--person", "Bob New", "--days", "-1"), 2, "--days"),
        (("agenda", "--person", "Bob New", "--days", "400"), 2, "--days"),
    ):
        result = cli(*args)
        assert result.exit_code == code, (args, result.stderr)
        assert result.stderr.startswith("error: ") and words in result.stderr, result.stderr


def test_agenda_skips_archived_and_removed(cli, team):
    ok(cli("role", "assign", team, "transition-manager", "Maria Lopez"))
    ok(cli("engagement", "archive", team))
    assert cli("agenda", "--person", "Maria Lopez").exit_code == 2


def _engagement(session_scope, path, n: int) -> None:
    with session_scope() as s:
        eng = engagements.create(
            s, name=f"Eng {n}", playbook=load_playbook(path), raw=path.read_bytes(),
            start=date(2026, 11, 2),
        )  # fmt: skip
        people.add(s, eng, "Maria Lopez", side="provider", release_date=None)
        people.add(s, eng, "Ann Old", side="incumbent", release_date="2026-12-05")
        systems.add(s, eng, "CRM")
        roles.assign(s, eng, "transition-manager", "Maria Lopez")
        first = tasks.list_tasks(s, eng)[0]
        tasks.assign(s, eng, first.key, "Maria Lopez")
        kt.schedule(
            s, eng, system="CRM", topic="Jobs", presenters=["Ann Old"],
            attendees=["Maria Lopez"], at="2026-12-03T10:00",
        )  # fmt: skip
        access.grant(s, eng, person="Ann Old", system="CRM", role="reader", expires="2026-12-04")


def test_agenda_query_count_does_not_grow_with_engagements(
    session_scope, count_queries, tmp_path, clock
):
    clock.pin(today="2026-12-01")
    path = write_many(tmp_path, 6, "few")
    counts = {}
    for total in (5, 50):
        for n in range(len(counts) and 5, total):
            _engagement(session_scope, path, n)
        with session_scope(actor="Maria Lopez", write=False) as s, count_queries() as q:
            result = agenda.agenda(s, me=True)
        assert len(result.engagements) == total
        assert {i.kind for i in result.items} >= {"task", "kt", "release"}
        counts[total] = q.count
    assert counts[5] == counts[50], counts
    assert counts[5] <= 10, counts


# --------------------------------------------------------------------------- TUI

NW = "northwind-service-desk"


def _app(tmp_path, monkeypatch, actor: str, engagement: str | None = None):
    from tui_snapshot_app import demo_database

    from transition.tui.app import make_app

    return make_app(demo_database(tmp_path, monkeypatch), actor, engagement)


def test_tui_my_work_lists_the_actors_agenda(tmp_path, monkeypatch):
    pytest.importorskip("textual")
    from tui_snapshot_app import run_async, settle

    @run_async
    async def body():
        app = _app(tmp_path, monkeypatch, "Priya Sharma")
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(pilot)
            await pilot.press("m")
            await settle(pilot)
            screen = app.screen
            assert screen.id == "agenda"
            title = str(screen.query_one("#agenda-title").render())
            assert title.startswith("Priya Sharma: ") and "item(s) until 2026-12-04" in title
            assert screen.items and set(screen.items.values()) == {NW}
            await pilot.press("enter")
            await settle(pilot)
            assert getattr(app.screen, "slug", None) == NW

    body()


def test_tui_my_work_says_when_the_actor_is_nobody(tmp_path, monkeypatch):
    pytest.importorskip("textual")
    from tui_snapshot_app import run_async, settle

    @run_async
    async def body():
        app = _app(tmp_path, monkeypatch, "tester")
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(pilot)
            await pilot.press("m")
            await settle(pilot)
            title = str(app.screen.query_one("#agenda-title").render())
            assert title.startswith("No agenda: no person 'tester' in any engagement")
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen.id != "agenda"

    body()


def test_tui_role_form_on_the_people_tab(tmp_path, monkeypatch):
    pytest.importorskip("textual")
    from tui_snapshot_app import run_async, settle

    from transition import db

    @run_async
    async def body():
        app = _app(tmp_path, monkeypatch, "tester", NW)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(pilot)
            app.screen.show_tab("people")
            await settle(pilot)
            pane = app.screen.query_one("#pane-people")
            pane.table.move_cursor(row=pane.table.get_row_index("ben-carter"))
            await pilot.pause()
            await pilot.press("o")
            await settle(pilot)
            form = app.screen
            assert form.id == "person-role"
            form.query_one("#f-role").value = "KT Lead"
            await pilot.pause()
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert app.screen is not form
            with db.session_scope(app.backend.engine, actor="tester", write=False) as s:
                held = [(r.role, r.person) for r in roles.list_roles(s, NW) if r.person]
            assert ("kt-lead", "Ben Carter") in held
            # The tasks pane shows the role's people on its unassigned tasks.
            app.screen.show_tab("tasks")
            await settle(pilot)
            tasks_pane = app.screen.query_one("#pane-tasks")
            carried = [r for r in tasks_pane.rows.values() if getattr(r, "owners", None)]
            assert any(r.owners == ["Ben Carter"] for r in carried)
            # Taking it back through the same form.
            app.screen.show_tab("people")
            await settle(pilot)
            pane.table.move_cursor(row=pane.table.get_row_index("ben-carter"))
            await pilot.pause()
            await pilot.press("o")
            await settle(pilot)
            form = app.screen
            form.query_one("#f-role").value = "kt-lead"
            form.query_one("#f-action").value = "remove"
            await pilot.pause()
            await pilot.press("ctrl+s")
            await settle(pilot)
            with db.session_scope(app.backend.engine, actor="tester", write=False) as s:
                held = [(r.role, r.person) for r in roles.list_roles(s, NW) if r.person]
            assert ("kt-lead", "Ben Carter") not in held

    body()


def test_audit_verify_sees_a_role_changed_behind_the_tools_back(cli, team, session_scope):
    from sqlalchemy import delete, select

    from transition.models import Person, RoleAssignment

    ok(cli("role", "assign", team, "kt-lead", "Bob New"))
    ok(cli("role", "assign", team, "transition-manager", "Maria Lopez"))
    verified(cli)
    with session_scope() as s:
        eng = get_engagement(s, ENG)
        ann = s.execute(select(Person).where(Person.slug == "ann-old")).scalar_one()
        s.add(RoleAssignment(engagement_id=eng.id, role="kt-lead", person_id=ann.id))
        s.execute(delete(RoleAssignment).where(RoleAssignment.role == "transition-manager"))
    result = cli("audit", team, "--verify")
    assert result.exit_code == 1
    assert "role kt-lead of Ann Old: not in the log" in result.stderr
    assert "role transition-manager of Maria Lopez: the log assigns it" in result.stderr
