"""The People tab (the roster by side, days left, what each leaver still has to hand over,
Enter inspects), the next 14 days (``upcoming``) in the engagement header and on the
dashboard with the gate readiness, the Audit tab's names, and the 80×24 header and footer."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, demo_database, run_async, settle

from transition import db
from transition.services import audit_names, upcoming
from transition.services.views.report import Upcoming

pytest.importorskip("textual")

NW = "northwind-service-desk"


def read(url: str, fn, *args, **kwargs):
    with db.session_scope(db.get_engine(url), actor="tester", write=False) as s:
        return fn(s, *args, **kwargs)


def plain(widget) -> str:
    return str(widget.render()).strip()


def test_upcoming_lists_the_next_14_days_by_day(tmp_path, monkeypatch):
    url = demo_database(tmp_path, monkeypatch)  # the demo on 2026-11-20
    ahead: Upcoming = read(url, upcoming.upcoming, NW)
    assert (str(ahead.today), str(ahead.until)) == ("2026-11-20", "2026-12-04")
    assert [i.day for i in ahead.items] == sorted(i.day for i in ahead.items)
    assert all(ahead.today <= i.day <= ahead.until for i in ahead.items)
    kinds = {i.kind for i in ahead.items}
    assert {"phase", "release", "expiry", "kt", "task"} <= kinds
    assert ahead.counts["release"] == 1 and ahead.first("release").text == (
        "Sofia Novak is released"
    )
    assert ahead.counts["task"] == sum(1 for i in ahead.items if i.kind == "task")
    assert ahead.late >= 1  # the demo has a task past its due date
    nothing = read(url, upcoming.upcoming, NW, days=0)
    assert all(i.day == nothing.today for i in nothing.items)
    from transition.errors import BadInput

    with pytest.raises(BadInput):
        read(url, upcoming.upcoming, NW, days=400)


def test_audit_events_are_told_by_name_in_a_bounded_number_of_queries(tmp_path, monkeypatch):
    from tests.conftest import QueryCounter

    url = demo_database(tmp_path, monkeypatch)
    engine = db.get_engine(url)
    counts = []
    for limit in (20, 400):
        with db.session_scope(engine, actor="tester", write=False) as s:
            with QueryCounter(engine) as q:
                events = audit_names.events(s, NW, limit=limit, newest_first=True)
            counts.append((len(events), q.count))
    (_, few), (_, many) = counts
    assert many <= few + 12, counts  # one query per kind of row on the page, at most
    events = read(url, audit_names.events, NW)  # every event, oldest first
    by_entity = {}
    for e in events:
        by_entity.setdefault(e.entity, e)
    assert by_entity["task"].name and not by_entity["task"].name.isdigit()
    assert by_entity["person"].name and not by_entity["person"].name.isdigit()
    grant = by_entity["access_grant"].name
    assert " on " in grant and grant.endswith(")")
    signed = [e for e in events if e.field == "signed_off_by_id" and e.after]
    assert signed and not any(e.after.isdigit() for e in signed)


@run_async
async def test_people_tab_groups_by_side_and_enter_inspects_and_audit_names_rows(
    tmp_path, monkeypatch
):
    from transition.tui.screens.person_inspect import PersonInspectScreen

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.show_tab("people")
        await settle(pilot)
        pane = app.screen.query_one("#pane-people")
        table = pane.table
        keys = [k.value for k in table.rows]
        headings = [k for k in keys if k.startswith("side:")]
        assert headings == ["side:client", "side:incumbent", "side:provider"]
        # each side's people follow its heading
        incumbents = keys[keys.index("side:incumbent") + 1 : keys.index("side:provider")]
        assert {pane.rows[k].side for k in incumbents} == {"incumbent"}
        assert not table.current_key().startswith("side:")  # the cursor on a person
        sofia = table.get_row("sofia-novak")
        columns = [c.key.value for c in table.columns.values()]
        cell = dict(zip(columns, (c.plain for c in sofia), strict=True))
        assert cell["left"] == "10d" and cell["release"] == "2026-11-30"
        assert cell["missing"] == "1 KT topic · 1 runbook"
        assert "3 leaving, 3 not ready" in plain_heading(table, "side:incumbent")

        table.move_cursor(row=table.get_row_index("sofia-novak"))
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PersonInspectScreen)
        assert screen.data.person.name == "Sofia Novak"
        text = "\n".join(plain(s) for s in screen.query(".reason"))
        assert "release 2026-11-30 · in 10 day(s)" in text
        assert "KT not signed off for SAP ERP" in text
        assert "owner · SAP ERP" in text
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not screen

        # a side's heading inspects nothing; P adds a person from any tab
        table.move_cursor(row=table.get_row_index("side:provider"))
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, PersonInspectScreen)
        await pilot.press("P")
        await settle(pilot)
        assert app.screen.query("#f-name")
        await pilot.press("escape")
        await settle(pilot)

        # the Audit tab tells its rows by name
        app.screen.show_tab("audit")
        await settle(pilot)
        table = app.screen.query_one("#pane-audit").table
        columns = [c.key.value for c in table.columns.values()]
        shown = [table.get_row_at(i)[columns.index("entity")].plain for i in range(5)]
        # the newest events: a task told by its title, the exercise by its scenario
        assert shown[0].startswith("task Only Sofia Novak can restart"), shown
        assert "exercise Key-person departure" in shown
        assert not any(s.split(" ", 1)[-1].isdigit() for s in shown)


def plain_heading(table, key: str) -> str:
    return " ".join(c.plain for c in table.get_row(key))


@run_async
async def test_80x24_header_keeps_the_figures_and_the_footer_keeps_help(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        figures = screen.query_one("#eng-figures")
        assert plain(figures) == "23/55 done · cutover in 37d"
        assert figures.region.right <= 80 and figures.region.width >= len(plain(figures))
        title = screen.query_one("#eng-title")
        assert title.region.right <= figures.region.x  # the name gives way, not the figures
        ahead = plain(screen.query_one("#eng-ahead"))
        assert ahead.startswith("Next 14 days: Ramp-up ends 29 Nov")
        await pilot.press("w")  # the same days in full
        await settle(pilot)
        from transition.tui.screens.upcoming import UpcomingScreen

        assert isinstance(app.screen, UpcomingScreen)
        lines = [plain(s) for s in app.screen.query(".reason")]
        assert "→ Sofia Novak is released" in lines
        assert lines[0].startswith("1 open task(s) already late")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen

        def footer_keys() -> list[str]:
            from textual.widgets._footer import FooterKey

            return [k.action for k in screen.query(FooterKey) if k.region.width]

        keys = footer_keys()
        assert "help" in keys
        assert screen.query_one("KeyFooter").has_class("-compact")
        for width in (60, 50):
            await pilot.resize_terminal(width, 24)
            await settle(pilot)
            keys = footer_keys()
            assert "help" in keys, (width, keys)
        await pilot.resize_terminal(200, 24)
        await settle(pilot)
        assert not screen.query_one("KeyFooter").has_class("-compact")
        assert "back" in footer_keys() and "help" in footer_keys()


@run_async
async def test_dashboard_shows_the_gate_readiness_and_next_14_days(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert plain(screen.query_one("#detail-reasons")).startswith(
            "Gate of Ramp-up: 0 of 2 criteria met · "
        )
        assert plain(screen.query_one("#detail-ahead")).startswith("Next 14 days: ")
        await pilot.press("down")
        await settle(pilot)
        row = screen.current()
        detail = screen.shown_detail
        assert detail is not None and detail.engagement == row.slug
        assert plain(screen.query_one("#detail-reasons")).startswith(
            f"Gate of {detail.gate.title}: {detail.gate.met} of {detail.gate.total}"
        )


def test_upcoming_on_every_backend(cli, acme, session_scope, clock):
    """The same facts through the CLI, read on the test's backend (SQLite, PostgreSQL)."""
    clock.pin(today="2026-11-10")
    for args in (
        ("system", "add", acme, "CRM", "--tier", "1"),
        ("person", "add", acme, "Ann Old", "--side", "incumbent", "--release", "2026-11-20"),
        ("person", "add", acme, "Bob New", "--side", "provider"),
        ("person", "add", acme, "Cy Later", "--side", "incumbent", "--release", "2027-01-20"),
    ):
        assert cli(*args).exit_code == 0
    for expires in ("2026-11-12", "2026-12-31"):
        r = cli("access", "grant", acme, "--person", "Bob New", "--system", "CRM",
                "--role", f"op-{expires}", "--expires", expires)  # fmt: skip
        assert r.exit_code == 0, r.stderr
    with session_scope(write=False) as s:
        ahead = upcoming.upcoming(s, acme)
    assert ahead.counts.get("release") == 1 and ahead.first("release").text == (
        "Ann Old is released"
    )
    assert ahead.counts.get("expiry") == 1
    assert "2026-11-12" in str(ahead.first("expiry").day)
    assert ahead.counts.get("task", 0) == sum(1 for i in ahead.items if i.kind == "task")


@run_async
async def test_every_tab_keeps_help_in_the_footer_at_80_columns(tmp_path, monkeypatch):
    from textual.widgets._footer import FooterKey

    from transition.tui.screens.engagement import TABS

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        missing = {}
        for key, _, _ in TABS:
            screen.show_tab(key)
            await settle(pilot)
            keys = [k.action for k in screen.query(FooterKey) if k.region.width]
            if "help" not in keys:
                missing[key] = keys
        assert not missing, missing


def test_upcoming_lists_a_capped_number_of_each_kind_and_counts_them_all(
    cli, acme, session_scope, clock, monkeypatch
):
    clock.pin(today="2026-11-10")
    monkeypatch.setattr(upcoming, "LIMIT", 2)
    assert cli("system", "add", acme, "CRM").exit_code == 0
    assert cli("person", "add", acme, "Bob New", "--side", "provider").exit_code == 0
    for n, expires in enumerate(("2026-11-12", "2026-11-13", "2026-11-14", "2027-01-05")):
        r = cli("access", "grant", acme, "--person", "Bob New", "--system", "CRM",
                "--role", f"op-{n}", "--expires", expires)  # fmt: skip
        assert r.exit_code == 0, r.stderr
    with session_scope(write=False) as s:
        ahead = upcoming.upcoming(s, acme)
    assert ahead.counts["expiry"] == 3  # the one in January is after the window
    assert [i.day.isoformat() for i in ahead.items if i.kind == "expiry"] == [
        "2026-11-12",
        "2026-11-13",
    ]
