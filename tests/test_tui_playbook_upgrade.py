"""The engagement screen's Upgrade playbook action (``U``): a preview, then applied."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_playbook_upgrade import V1, V2
from tui_snapshot_app import run_async, settle

pytest.importorskip("textual")


def _setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_v2: bool = True) -> str:
    from transition import db, settings
    from transition.services import engagements

    books = tmp_path / "books"
    books.mkdir()
    (books / "svc.yaml").write_text(V1, encoding="utf-8")
    if with_v2:
        (books / "svc-v2.yaml").write_text(V2, encoding="utf-8")
    monkeypatch.setenv("TRANSITION_PLAYBOOKS", str(books))
    settings.reset()
    url = f"sqlite:///{tmp_path / 'tui.db'}"
    engine = db.get_engine(url)
    db.migrate(engine)
    with db.session_scope(engine, actor="tester") as s:
        engagements.create(s, name="Acme", playbook="svc", start="2026-11-02")
    return url


def _version(url: str) -> int:
    from transition import db
    from transition.services.common import get_engagement

    with db.session_scope(db.get_engine(url), write=False) as s:
        return get_engagement(s, "acme").playbook_version


@run_async
async def test_upgrade_preview_then_apply(tmp_path, monkeypatch):
    from textual.widgets import Static

    from transition.tui.app import make_app
    from transition.tui.screens.upgrade import UpgradeScreen

    url = _setup(tmp_path, monkeypatch)
    app = make_app(url, "tester", "acme")
    async with app.run_test(size=(130, 40)) as pilot:
        await settle(pilot)
        await pilot.press("U")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, UpgradeScreen)
        shown = "\n".join(str(s.render()) for s in dialog.query(Static).filter(".upgrade-line"))
        assert "add phase parallel-run: Parallel run" in shown
        assert "rename task access-review: access-list → access-review" in shown
        assert _version(url) == 1  # the preview wrote nothing
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, UpgradeScreen)
        assert _version(url) == 2
        # Once applied there is nothing newer: the action says so and opens nothing.
        await pilot.press("U")
        await settle(pilot)
        assert not isinstance(app.screen, UpgradeScreen)


@run_async
async def test_cancel_writes_nothing(tmp_path, monkeypatch):
    from transition.tui.app import make_app
    from transition.tui.screens.upgrade import UpgradeScreen

    url = _setup(tmp_path, monkeypatch)
    app = make_app(url, "tester", "acme")
    async with app.run_test(size=(130, 40)) as pilot:
        await settle(pilot)
        await pilot.press("U")
        await settle(pilot)
        assert isinstance(app.screen, UpgradeScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, UpgradeScreen)
    assert _version(url) == 1


@run_async
async def test_the_dashboard_marks_an_outdated_engagement(tmp_path, monkeypatch):
    from textual.widgets import Label

    from transition.tui.app import make_app

    url = _setup(tmp_path, monkeypatch)
    app = make_app(url, "tester")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        title = str(app.screen.query_one("#detail-title", Label).render())
        assert "playbook v2 available" in title
        assert "Acme ↑v2" in app.screen.cells(
            app.screen.query_one("#engagements"), app.screen.current()
        )
