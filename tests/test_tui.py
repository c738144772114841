"""The TUI driven through the keyboard on the demo data; the database is checked after."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import select
from tui_snapshot_app import demo_app, first_choice, run_async, settle

from transition import db
from transition.models import (
    AccessGrant,
    AuditEvent,
    Engagement,
    HandoverItem,
    Phase,
    Runbook,
    Task,
)
from transition.services.views import TaskView

pytest.importorskip("textual")

NW = "northwind-service-desk"


def session(app):
    return db.session_scope(db.get_engine(app.backend.url), actor="tester", write=False)


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


@run_async
async def test_dashboard_lists_engagements_and_opens_one(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#engagements")
        assert table.row_count == 3
        await pilot.press("r")
        assert type(app.screen).__name__ == "ReasonsScreen"
        await pilot.press("escape", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"
        assert app.screen.slug == NW


@run_async
async def test_dashboard_columns_fit_the_terminal_width(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch)

    def keys() -> list[str]:
        return [c.key.value for c in table.columns.values()]

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#engagements")
        await pilot.press("down")
        second = table.current_key()
        assert second != NW
        for width in (80, 100, 160, 80):
            await pilot.resize_terminal(width, 30)
            await settle(pilot)
            assert table.virtual_size.width <= width, width  # no sideways scrolling
            assert "cutover" in keys() and ("parties" in keys()) == (width >= 140)
            assert table.row_count == 3 and table.current_key() == second  # cursor kept
        phase = table.get_row(second)[keys().index("phase")]
        assert phase.plain == "◉○○○○○"  # marks only at 80; the name is in the detail below


@run_async
async def test_toggle_a_task_with_space(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one("#pane-tasks")
        table = pane.table
        # The first task row under the ramp-up heading that is open and not waiting.
        key = next(
            k
            for k, r in pane.rows.items()
            if isinstance(r, TaskView) and r.status != "done" and not r.waiting_on
        )
        table.move_cursor(row=table.get_row_index(key))
        await pilot.press("space")
        await settle(pilot)
        with session(app) as s:
            status = s.execute(
                select(Task.status).join(Engagement).where(Task.key == key, Engagement.slug == NW)
            ).scalar_one()
        assert status == "done"
        assert table.get_row(key)[0].plain == "✓"
        await pilot.press("space")  # reopening asks for an optional note first
        await settle(pilot)
        assert app.screen.id == "task-status"
        await pilot.press("enter")
        await settle(pilot)
        with session(app) as s:
            assert (
                s.execute(
                    select(Task.status)
                    .join(Engagement)
                    .where(Task.key == key, Engagement.slug == NW)
                ).scalar_one()
                == "todo"
            )


@run_async
async def test_engagement_lists_drop_minor_columns_on_a_narrow_terminal(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one("#pane-tasks")
        table = pane.table

        def shown() -> list[str]:
            return [c.key.value for c in table.columns.values()]

        assert shown() == ["mark", "due", "title"]  # the title wins over the key
        key = next(
            k
            for k, r in pane.rows.items()
            if isinstance(r, TaskView) and r.status != "done" and r.assignee
        )
        table.move_cursor(row=table.get_row_index(key))
        await pilot.press("space")  # changed while the assignee column is hidden
        await settle(pilot)
        await pilot.resize_terminal(160, 30)
        await settle(pilot)
        assert shown() == ["mark", "key", "due", "assignee", "waiting", "title"]
        assert table.current_key() == key  # the cursor stayed on its row
        row = table.get_row(key)
        assert row[0].plain == "✓" and row[3].plain == pane.rows[key].assignee
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert shown() == ["mark", "due", "title"] and table.current_key() == key
        # The column that says what state a row is in, per tab: never the one pushed off.
        state = {
            "systems": "ready",
            "people": "missing",
            "access": "status",
            "kt": "status",
            "runbooks": "status",
            "handover": "status",
            "raid": "status",
            "scorecard": "met",
            "golive": "what",
            "meetings": "status",
            "audit": "action",
        }
        for tab, key in state.items():
            app.screen.show_tab(tab)
            await settle(pilot)
            listed = app.screen.query_one(f"#pane-{tab}").table
            widths = [c.get_render_width(listed) for c in listed.columns.values()]
            keys = [c.key.value for c in listed.columns.values()]
            edge = sum(widths[: keys.index(key) + 1])
            assert edge <= listed.scrollable_content_region.width, (tab, keys, widths)
            if tab not in ("golive", "meetings"):
                # every column but the last (free text, cut at its end) is fully on screen
                assert sum(widths[:-1]) <= 80, (tab, widths)


@run_async
async def test_fail_a_gate_then_override_it(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        assert type(app.screen).__name__ == "GateScreen"
        await pilot.press("ctrl+s")  # no reason: refused inline, nothing written
        await pilot.pause()
        assert type(app.screen).__name__ == "GateScreen"
        assert "write a reason" in str(app.screen.query_one("#override-error").render())
        await type_text(pilot, "sponsor accepts the risk")
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"
        with session(app) as s:
            ramp = s.execute(select(Phase).where(Phase.key == "ramp-up")).scalars().first()
            assert (ramp.status, ramp.gate_decision) == ("done", "overridden")
            assert ramp.gate_reason == "sponsor accepts the risk"
            assert s.execute(
                select(AuditEvent.id).where(
                    AuditEvent.field == "gate_reason",
                    AuditEvent.after == "sponsor accepts the risk",
                )
            ).first()


@run_async
async def test_grant_then_revoke_access_resolves_the_handover_item(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        app.screen.show_tab("access")
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert form.id == "grant"
        form.query_one("#f-person").value = first_choice(form, "person")
        form.query_one("#f-system").value = first_choice(form, "system")
        form.query_one("#f-role").focus()
        await type_text(pilot, "read-only")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"
        with session(app) as s:
            grant = s.execute(select(AccessGrant).order_by(AccessGrant.id.desc())).scalars().first()
            assert grant.role == "read-only" and grant.revoked_at is None
            item = s.execute(
                select(HandoverItem).where(
                    HandoverItem.source_kind == "grant", HandoverItem.source_id == grant.id
                )
            ).scalar_one()
            assert item.status == "open"
        pane = app.screen.query_one("#pane-access")
        pane.table.move_cursor(row=pane.table.get_row_index(str(grant.id)))
        await pilot.press("x")
        await pilot.pause()
        assert app.screen.id == "revoke"
        await type_text(pilot, "left the project")
        await pilot.press("ctrl+s")
        await settle(pilot)
        with session(app) as s:
            revoked = s.get(AccessGrant, grant.id)
            assert revoked.revoked_at is not None and revoked.revoke_reason == "left the project"
            assert s.get(HandoverItem, item.id).status == "resolved"
        app.screen.show_tab("handover")
        await settle(pilot)
        handover = app.screen.query_one("#pane-handover")
        assert handover.table.get_row(item.key)[0].plain == "resolved"


@run_async
async def test_form_shows_errors_next_to_fields(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("P")
        await pilot.pause()
        form = app.screen
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "required" in str(form.query_one("#e-name").render())
        form.query_one("#f-name").value = "Zoe New"
        form.query_one("#f-side").value = "provider"
        form.query_one("#f-release").value = "next week"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "invalid release date" in str(form.query_one("#e-release").render())
        form.query_one("#f-release").value = ""
        form.query_one("#f-email").value = "not-an-email"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "invalid email" in str(form.query_one("#e-email").render())


@run_async
async def test_generate_a_runbook_with_preview(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        app.screen.show_tab("runbooks")
        await settle(pilot)
        with session(app) as s:
            before = len(s.execute(select(Runbook.id)).all())
        await pilot.press("n")
        await settle(pilot)  # the templates are read in a worker, then the form opens
        form = app.screen
        assert form.id == "runbook"
        form.query_one("#f-system").value = first_choice(form, "system")
        form.query_one("#f-template").value = "service-restart"
        form.query_one("#f-out_dir").value = str(tmp_path / "out")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        preview = str(form.query_one("#preview").render())
        assert "would write" in preview
        with session(app) as s:
            assert len(s.execute(select(Runbook.id)).all()) == before
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"
        with session(app) as s:
            rows = s.execute(select(Runbook).order_by(Runbook.id.desc())).scalars().all()
        assert len(rows) == before + 1
        assert rows[0].template == "service-restart"
        assert (tmp_path / "out").exists()


@run_async
async def test_every_tab_loads_without_error(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(8):
            await pilot.press("right_square_bracket")
            await settle(pilot)
        errors = [n for n in app._notifications if n.severity == "error"]
        assert not errors, [n.message for n in errors]
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"


def test_headless_commands_never_import_textual(tmp_path):
    code = (
        "import sys\n"
        "from transition.cli.main import main\n"
        "try:\n"
        f"    main(['--db', 'sqlite:///{tmp_path / 'x.db'}', 'engagement', 'list'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "import transition.services.dashboard, transition.tui.backend\n"
        "print('textual' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr
