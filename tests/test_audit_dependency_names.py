"""The Audit tab names a system dependency by its two systems, as it names a grant by its
person and system: the dependencies in place by their rows, those removed since by what
their events recorded; its search finds them by either system's name, in a bounded
number of queries."""

from __future__ import annotations

from transition.services import audit_names

ENG = "acme-helpdesk"


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def dependency_events(session_scope, text: str | None = None):
    with session_scope(write=False) as s:
        found = audit_names.events(s, ENG, text=text)
    return [e for e in found if e.entity == "system_dependency"]


def test_dependency_events_are_named_by_their_systems_and_found_by_them(cli, acme, session_scope):
    for name in ("Active Directory", "SAP ERP", "Intranet"):
        ok(cli("system", "add", ENG, name))
    ok(cli("system", "depends", ENG, "SAP ERP", "--on", "Active Directory", "--kind", "auth"))
    ok(cli("system", "depends", ENG, "Intranet", "--on", "SAP ERP"))
    ok(cli("system", "depends", ENG, "Intranet", "--on", "SAP ERP", "--remove"))

    events = dependency_events(session_scope)
    assert [(e.action, e.name) for e in events] == [
        ("add", "SAP ERP → Active Directory"),  # in place: its row names it
        ("add", "Intranet → SAP ERP"),  # removed since: its events name it
        ("remove", "Intranet → SAP ERP"),
        ("remove", "Intranet → SAP ERP"),
        ("remove", "Intranet → SAP ERP"),
    ]

    # The source system is named on no event of an added dependency: found by its row.
    assert [e.name for e in dependency_events(session_scope, "sap erp")] == [
        "SAP ERP → Active Directory",
        "Intranet → SAP ERP",
        "Intranet → SAP ERP",
        "Intranet → SAP ERP",
        "Intranet → SAP ERP",
    ]
    # The source of a removed one is named by its removal only: every event of it is found.
    assert {(e.action, e.name) for e in dependency_events(session_scope, "intranet")} == {
        ("add", "Intranet → SAP ERP"),
        ("remove", "Intranet → SAP ERP"),
    }
    assert [e.name for e in dependency_events(session_scope, "Directory")] == [
        "SAP ERP → Active Directory"
    ]


def test_dependency_names_take_a_bounded_number_of_queries(cli, acme, session_scope, count_queries):
    names = [f"System {i:02}" for i in range(12)]
    for name in names:
        ok(cli("system", "add", ENG, name))

    def counted() -> int:
        with session_scope(write=False) as s, count_queries() as q:
            audit_names.events(s, ENG)
        return q.count

    ok(cli("system", "depends", ENG, names[1], "--on", names[0]))
    ok(cli("system", "depends", ENG, names[2], "--on", names[0]))
    ok(cli("system", "depends", ENG, names[2], "--on", names[0], "--remove"))
    few = counted()
    for source in names[3:]:
        ok(cli("system", "depends", ENG, source, "--on", names[0]))
        ok(cli("system", "depends", ENG, source, "--on", names[1]))
    for source in names[3:8]:
        ok(cli("system", "depends", ENG, source, "--on", names[1], "--remove"))
    assert counted() == few
    assert all(e.name for e in dependency_events(session_scope))


def test_a_removed_dependency_keeps_its_name_when_another_is_added_after_it(
    cli, acme, session_scope
):
    """A dependency's id is never given again (SQLite included): the newest one removed,
    the next one added takes a new id, and the old events still name the old one."""
    for name in ("Active Directory", "SAP ERP", "Intranet"):
        ok(cli("system", "add", ENG, name))
    ok(cli("system", "depends", ENG, "Intranet", "--on", "SAP ERP"))
    ok(cli("system", "depends", ENG, "Intranet", "--on", "SAP ERP", "--remove"))
    ok(cli("system", "depends", ENG, "SAP ERP", "--on", "Active Directory"))

    events = dependency_events(session_scope)
    first, last = events[0], events[-1]
    assert first.entity_id != last.entity_id
    assert [(e.action, e.name) for e in events] == [
        ("add", "Intranet → SAP ERP"),
        *[("remove", "Intranet → SAP ERP")] * (len(events) - 2),
        ("add", "SAP ERP → Active Directory"),
    ]
