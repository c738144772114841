"""The system inspector: a system's people and its knowledge by topic, as a service (in
a fixed number of queries) and as the Systems tab's ``i`` dialog."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, run_async, settle

from transition.services.system_inspect import inspect

ENG = "acme-helpdesk"
NW = "northwind-service-desk"


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def team(acme, cli):
    for args in (
        ("system", "add", acme, "Payroll", "--tier", "3"),
        ("person", "add", acme, "Uma Old", "--side", "incumbent", "--release", "2027-01-29"),
        ("person", "add", acme, "Vic New", "--side", "provider"),
        ("system", "owner", acme, "Payroll", "Uma Old", "--as", "owner"),
        ("system", "owner", acme, "Payroll", "Vic New", "--as", "backup"),
        ("system", "topic", acme, "Payroll", "add", "Year-end tax filing"),
    ):
        ok(cli(*args))
    return acme


def test_inspect_names_the_people_and_the_topics(team, session_scope):
    with session_scope(write=False) as s:
        data = inspect(s, ENG, "payroll")
    assert [(h.person, h.role, h.side) for h in data.people] == [
        ("Uma Old", "owner", "incumbent"),
        ("Vic New", "backup", "provider"),
    ]
    titles = [t.topic for t in data.topics]
    assert "Year-end tax filing" in titles and len(titles) >= 2
    assert all(t.at_risk == "Uma Old" for t in data.topics)  # the only holder, leaving


def test_inspect_of_an_unknown_system_is_not_found(team, session_scope):
    from transition.errors import NotFound

    with session_scope(write=False) as s, pytest.raises(NotFound):
        inspect(s, ENG, "nothing")


def test_inspect_takes_a_fixed_number_of_queries(team, cli, session_scope, count_queries):
    def count() -> int:
        with session_scope(write=False) as s, count_queries() as q:
            inspect(s, ENG, "payroll")
        return q.count

    few = count()
    for i in range(6):
        ok(cli("person", "add", ENG, f"Sme {i}", "--side", "incumbent"))
        ok(cli("system", "owner", ENG, "Payroll", f"Sme {i}", "--as", "sme"))
        ok(cli("system", "topic", ENG, "Payroll", "add", f"Topic {i}"))
    assert count() == few


@run_async
async def test_the_systems_tab_opens_the_inspector(tmp_path, monkeypatch):
    from textual.widgets import Static

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        app.screen.show_tab("systems")
        await settle(pilot)
        row = app.screen.query_one("#pane-systems").current()
        await pilot.press("i")
        await settle(pilot)
        dialog = app.screen
        assert type(dialog).__name__ == "SystemInspector"
        text = "\n".join(str(s.render()) for s in dialog.query(Static))
        assert "Grants (" in text and "Runbooks (" in text
        assert "People" in text and "Knowledge by topic" in text
        assert row.name in str(dialog.query_one("#inspector-title").render())
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"


def test_system_list_counts_the_topics_and_runbooks_the_topics_list_shows(team, cli, session_scope):
    """``system list`` reads only the playbook's runbook rules and the stored topics; it
    counts what ``topics_for`` lists and requires what the whole playbook requires."""
    from transition.playbooks import from_json
    from transition.services import system_people, systems
    from transition.services.common import get_engagement

    for args in (
        ("system", "add", team, "CRM", "--tier", "1"),
        ("system", "topic", team, "Payroll", "add", "Payslip layout"),
        ("system", "topic", team, "Payroll", "remove", "Payslip layout"),
        ("system", "topic", team, "CRM", "remove", "Incident response"),
        ("system", "topic", team, "CRM", "add", "Incident response"),
        ("system", "topic", team, "CRM", "remove", "Backup restore"),
    ):
        ok(cli(*args))
    with session_scope(write=False) as s:
        rows = systems.coverage(s, ENG)
        listed = system_people.topics_for(s, ENG)
        playbook = from_json(get_engagement(s, ENG).playbook_json)
    assert {r.slug: r.topics for r in rows} == {
        r.slug: sum(t.system == r.name for t in listed) for r in rows
    }
    for r in rows:
        assert r.runbooks_required == len(playbook.required_runbooks(r.tier))
    assert {r.tier for r in rows} >= {1, 3}
