"""TUI defects found in use, each driven through Pilot."""

from __future__ import annotations

import threading

import pytest
from runbook_steps import fill
from tui_snapshot_app import demo_app, first_choice, run_async, settle

pytest.importorskip("textual")

NW = "northwind-service-desk"


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


async def palette_hits(pilot) -> list[str]:
    from textual.command import CommandList

    palette = pilot.app.screen
    for _ in range(50):  # until the palette's search has finished
        await pilot.pause()
        if not palette.query_one(CommandList).loading and not any(
            w.is_running for w in palette.workers
        ):
            break
    options = palette.query_one(CommandList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


@pytest.mark.parametrize(
    ("typed", "hit", "slug", "tab"),
    [
        ("Lena Fischer", "Person Lena Fischer", NW, "access"),  # the engagement shown
        (
            "Tailspin Mobile",
            "Engagement Tailspin Mobile App",
            "tailspin-mobile-app",
            "tasks",
        ),  # another
    ],
)
@run_async
async def test_palette_jump_from_the_engagement_screen(
    tmp_path, monkeypatch, typed, hit, slug, tab
):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, typed)
        hits = await palette_hits(pilot)
        assert any(h.startswith(hit) for h in hits), hits
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"
        assert app.screen.slug == slug
        assert app.screen.query_one("TabbedContent").active == tab
        # Opened at an engagement, the app has no dashboard beneath it: the jump takes
        # the engagement's place (the stack does not grow), and escape shows the dashboard.
        assert [type(s).__name__ for s in app.screen_stack[1:]] == ["EngagementScreen"]
        await pilot.press("escape")
        await settle(pilot)
        assert [type(s).__name__ for s in app.screen_stack[1:]] == ["DashboardScreen"]
    assert app.return_code in (None, 0)  # None: still running when the test ended


@run_async
async def test_palette_finds_jumps_when_typing_before_the_index_is_read(tmp_path, monkeypatch):
    from transition.services import search

    app = demo_app(tmp_path, monkeypatch, NW)
    ready = threading.Event()
    read = search.palette_index

    def slow_index(session):
        ready.wait(10)
        return read(session)

    monkeypatch.setattr(search, "palette_index", slow_index)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, "Lena")  # while the index is still being read
        await pilot.pause()
        ready.set()
        hits = await palette_hits(pilot)
        assert any("Person Lena Fischer" in h for h in hits), hits


def session(app):
    from transition import db

    return db.session_scope(db.get_engine(app.backend.url), actor="tester", write=False)


def test_an_unhandled_exception_ends_the_tui_with_a_non_zero_exit(cli, monkeypatch):
    from transition.tui.app import TransitionApp

    run = TransitionApp.run

    def headless(self, **kwargs):
        return run(self, headless=True, **kwargs)

    async def crash(self) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(TransitionApp, "run", headless)
    monkeypatch.setattr(TransitionApp, "on_mount", crash)
    assert cli("tui").exit_code == 1


@run_async
async def test_enter_moves_a_runbook_to_its_next_status(tmp_path, monkeypatch):

    from transition.models import Runbook

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        app.screen.show_tab("runbooks")
        await settle(pilot)
        pane = app.screen.query_one("#pane-runbooks")
        key, row = next((k, r) for k, r in pane.rows.items() if r.status == "drafted")
        fill(row.path)  # reviewed needs a file with no placeholder left
        pane.table.move_cursor(row=pane.table.get_row_index(key))
        await pilot.press("p")
        await settle(pilot)
        with session(app) as s:
            assert s.get(Runbook, row.id).status == "reviewed"
        assert pane.table.get_row(key)[3].plain == "reviewed"


@run_async
async def test_escape_on_an_open_dropdown_closes_only_the_dropdown(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        app.screen.show_tab("access")
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert form.id == "grant"
        person = form.query_one("#f-person")
        assert app.focused is person
        await pilot.press("enter")  # opens the dropdown
        await pilot.pause()
        assert person.expanded
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is form and not person.expanded
        await pilot.press("escape")  # now the form closes
        await pilot.pause()
        assert type(app.screen).__name__ == "EngagementScreen"


@run_async
async def test_a_template_that_fails_to_load_is_a_notification(tmp_path, setting, monkeypatch):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "broken.md.j2").write_text("---\ntitle: never closed\n# {{ system }}\n")
    app = demo_app(tmp_path, monkeypatch, NW)
    setting("TRANSITION_TEMPLATES", str(folder))
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        app.screen.show_tab("runbooks")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert any("broken.md.j2" in e and "front matter" in e for e in errors), errors
        setting("TRANSITION_TEMPLATES", None)
        await pilot.press("n")  # the shipped templates load: the form opens
        await settle(pilot)
        assert app.screen.id == "runbook"


@run_async
async def test_rows_are_painted_in_full_width_columns_at_once(tmp_path, monkeypatch):
    """A table sizes its columns when it is given rows, not when next idle: a paint in
    between showed every column at its header's width (``p0-t 202 transiti``)."""
    from textual.render import measure

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#pane-tasks").table
        table.fit(160)  # another layout, as after a resize: the columns are rebuilt
        for column in table.columns.values():
            cells = [measure(app.console, c, 1) for c in table.get_column(column.key)]
            assert column.get_render_width(table) >= max(cells) + 2, column.key.value
        key = next(k for k in table.full if not k.startswith("phase:"))
        index = table.get_row_index(key) + 1  # below the header
        assert key in table.render_line(index - table.scroll_offset.y).text


@run_async
async def test_dashboard_runbooks_are_accepted_of_required(tmp_path, monkeypatch):
    from transition import db
    from transition.services import dashboard, systems
    from transition.services.common import get_engagement

    app = demo_app(tmp_path, monkeypatch)
    with db.session_scope(db.get_engine(app.backend.url), actor="t", write=True) as s:
        systems.add(s, get_engagement(s, NW), "Payroll", tier=1)
    with session(app) as s:
        coverage = {
            r.slug: systems.coverage(s, get_engagement(s, r.slug)) for r in dashboard.overview(s)
        }
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#engagements")
        column = [c.key.value for c in table.columns.values()].index("runbooks")
        for slug, rows in coverage.items():
            accepted = sum(r.runbooks_accepted for r in rows)
            required = sum(r.runbooks_required for r in rows)
            assert table.get_row(slug)[column].plain == f"{accepted}/{required}"


@run_async
async def test_kt_times_are_taken_and_shown_in_utc(tmp_path, monkeypatch):
    import time
    from datetime import UTC, datetime

    from sqlalchemy import select

    from transition.models import KTSession

    app = demo_app(tmp_path, monkeypatch, NW)
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # +05:30: a local reading would be off
    time.tzset()
    try:
        async with app.run_test(size=(160, 40)) as pilot:
            await settle(pilot)
            app.screen.show_tab("kt")
            await settle(pilot)
            table = app.screen.query_one("#pane-kt").table
            labels = [c.label.plain for c in table.columns.values()]
            assert "When (UTC)" in labels
            await pilot.press("n")
            await pilot.pause()
            form = app.screen
            assert "UTC" in str(form.query_one("#f-at").placeholder)
            form.query_one("#f-system").value = first_choice(form, "system")
            form.query_one("#f-topic").value = "Month-end close"
            form.query_one("#f-presenter").value = first_choice(form, "presenter")
            form.query_one("#f-at").value = "2026-12-03T10:00"
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert type(app.screen).__name__ == "EngagementScreen"
            with session(app) as s:
                row = s.execute(select(KTSession).order_by(KTSession.id.desc())).scalars().first()
            at = row.starts_at if row.starts_at.tzinfo else row.starts_at.replace(tzinfo=UTC)
            assert at == datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
            column = labels.index("When (UTC)")
            assert table.get_row(str(row.id))[column].plain == "2026-12-03 10:00"
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
