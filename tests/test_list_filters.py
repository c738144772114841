"""The text filter and the order of paged lists, in the query: every row is searched (not
only a loaded page), in any case and any script, with ``%`` and ``_`` as plain text."""

from __future__ import annotations

import pytest

from transition.errors import BadInput
from transition.services import access, audit, tasks
from transition.services.views.tasks import TaskCursor, TaskFilter, TaskView


def add_task(cli, eng: str, key: str, title: str, phase: str = "discovery") -> None:
    result = cli("task", "add", eng, "--phase", phase, "--key", key, "--title", title)
    assert result.exit_code == 0, result.stderr


def keys(rows) -> list[str]:
    return [r.key for r in rows if isinstance(r, TaskView)]


def test_task_text_matches_every_word_in_any_column_any_case_any_script(cli, acme, session_scope):
    add_task(cli, acme, "mail-move", "Перенос ПОЧТЫ to Exchange Online")
    add_task(cli, acme, "audit-fix", "Über-Prüfung of 100% of_items")
    with session_scope(write=False) as s:

        def found(text: str) -> list[str]:
            return [t.key for t in tasks.list_tasks(s, acme, text=text)]

        assert found("почты") == ["mail-move"]
        assert found("перенос EXCHANGE") == ["mail-move"]  # words in any order
        assert found("перенос nowhere") == []
        assert found("ÜBER-prüfung") == ["audit-fix"]
        assert found("AUDIT-F") == ["audit-fix"]  # the key is a column too
        assert found("100%") == ["audit-fix"]  # % and _ are plain characters
        assert found("of_i") == ["audit-fix"]
        assert found("%") == ["audit-fix"]
        every = tasks.list_tasks(s, acme)
        assert found("") == [t.key for t in every]
        # The status (as shown: "in progress"), the due date and the owner role match.
        assert set(found("todo")) == {t.key for t in every if t.status == "todo"}
        day = next(t.due_date for t in every if t.due_date).isoformat()
        assert set(found(day)) == {
            t.key for t in every if t.due_date and t.due_date.isoformat() == day
        }
        role = next(t.owner_role for t in every if t.owner_role)
        assert set(found(role.upper())) >= {t.key for t in every if t.owner_role == role}


def test_a_filtered_page_covers_the_rows_not_yet_loaded(acme, session_scope):
    with session_scope(write=False) as s:
        every = tasks.list_tasks(s, acme)
        word = "review"
        wanted = [t.key for t in every if word in f"{t.key} {t.title}".casefold()]
        assert len(wanted) >= 3
        order = list(dict.fromkeys(t.phase for t in every))  # the phases in their order
        cursor, got = TaskCursor(), []
        while not cursor.done:
            page = tasks.page(s, acme, order, TaskFilter(text=word.upper()), cursor, limit=2)
            got += keys(page.rows)
            cursor = page.cursor
        assert got == wanted


def test_open_only_keeps_the_tasks_asked_for(cli, acme, session_scope):
    with session_scope() as s:
        first = tasks.list_tasks(s, acme)[0]
        tasks.set_status(s, acme, first.key, "done")
    with session_scope(write=False) as s:
        open_ = [t.key for t in tasks.list_tasks(s, acme, open_only=True)]
        assert first.key not in open_ and open_
        kept = [t.key for t in tasks.list_tasks(s, acme, open_only=True, keep=[first.key])]
        assert kept == [first.key, *open_]


def test_tasks_sort_within_each_phase(acme, session_scope):
    with session_scope(write=False) as s:
        every = tasks.list_tasks(s, acme)
        by_title = tasks.list_tasks(s, acme, sort="title")
        back = tasks.list_tasks(s, acme, sort="title", descending=True)
        phases = list(dict.fromkeys(t.phase for t in every))
        for phase in phases:
            titles = [t.title for t in by_title if t.phase == phase]
            assert titles == sorted(titles, key=str.casefold)
            assert [t.title for t in back if t.phase == phase] == titles[::-1]
        assert [t.phase for t in by_title] == [t.phase for t in every]  # phases stay in order
        with pytest.raises(BadInput, match="cannot sort tasks by 'colour'"):
            tasks.list_tasks(s, acme, sort="colour")


def test_grants_and_events_filter_and_sort_in_the_query(cli, acme, session_scope):
    for name in ("Ольга Петрова", "Ben Carter"):
        assert cli("person", "add", acme, name, "--side", "provider").exit_code == 0
    assert cli("system", "add", acme, "SAP ERP").exit_code == 0
    for person, role, expires in (
        ("Ольга Петрова", "basis-admin", "2027-01-10"),
        ("Ben Carter", "reader", None),
        ("Ben Carter", "writer", "2026-12-01"),
    ):
        args = ["--expires", expires] if expires else []
        result = cli(
            "access",
            "grant",
            acme,
            "--person",
            person,
            "--system",
            "SAP ERP",
            "--role",
            role,
            *args,
        )
        assert result.exit_code == 0, result.stderr
    with session_scope(write=False) as s:

        def roles(**kw) -> list[str]:
            return [g.role for g in access.list_grants(s, acme, **kw)]

        assert roles(text="ольга") == ["basis-admin"]
        assert roles(text="never") == ["reader"]  # no expiry shows as "never"
        assert roles(text="carter sap") == ["writer", "reader"]  # newest first
        assert roles(sort="expires") == ["writer", "basis-admin", "reader"]  # none: last
        assert roles(sort="expires", descending=True) == ["basis-admin", "writer", "reader"]
        assert roles(sort="person", limit=1, offset=2) == ["basis-admin"]  # Latin before Cyrillic
        assert [e.actor for e in audit.events(s, acme, text="ПЕТРОВА")]
        assert not audit.events(s, acme, text="no such words here")
        assert len(audit.events(s, acme, text="grant", sort="actor", limit=2)) == 2


def test_events_filter_by_the_name_the_audit_tab_shows(cli, acme, session_scope):
    """A task's events are found by words of its title (the tab shows the title, while
    the log stores the task's id), in any case and any script; so are a grant's by its
    person's or system's name."""
    add_task(cli, acme, "mail-move", "Перенос ПОЧТЫ to Exchange Online")
    assert cli("person", "add", acme, "Ольга Петрова", "--side", "provider").exit_code == 0
    assert cli("system", "add", acme, "Ядро Биллинга").exit_code == 0
    args = ["--person", "Ольга Петрова", "--system", "Ядро Биллинга", "--role", "admin"]
    assert cli("access", "grant", acme, *args, "--justification", "x").exit_code == 0
    with session_scope(write=False) as s:
        mine = audit.events(s, acme, text="почты exchange")
        assert mine and {(e.entity, e.entity_id) for e in mine} == {("task", mine[0].entity_id)}
        assert not audit.events(s, acme, text="почты nowhere")
        grant = next(g for g in access.list_grants(s, acme) if g.system == "Ядро Биллинга")
        about = audit.events(s, acme, text="БИЛЛИНГА")
        assert any(e.entity == "access_grant" and e.entity_id == grant.id for e in about)
