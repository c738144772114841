"""The Handover tab's upgrade: a preview of the checklist merge first, then the write; a
refusal is shown beside the field it is about."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tui_snapshot_app import demo_app, run_async, settle

from transition import db
from transition.models import HandoverItem
from transition.services.common import get_engagement

pytest.importorskip("textual")

NW = "northwind-service-desk"
SHIPPED = Path(__file__).resolve().parent.parent / "playbooks" / "handover" / "standard-exit.yaml"


def newer(tmp_path: Path, version: int = 3) -> str:
    data = yaml.safe_load(SHIPPED.read_text())
    data["version"] = version
    data["sections"][0]["items"].append({"key": "asset-register-export", "title": "Export assets"})
    path = tmp_path / f"exit-v{version}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def keys(app) -> set[str]:
    from sqlmodel import select

    with db.session_scope(db.get_engine(app.backend.url), actor="tester", write=False) as s:
        eid = get_engagement(s, NW).id
        rows = s.exec(select(HandoverItem.key).where(HandoverItem.engagement_id == eid)).all()
        return set(rows)


async def open_upgrade(app, pilot):
    await settle(pilot)
    app.screen.show_tab("handover")
    await settle(pilot)
    await pilot.press("U")
    await settle(pilot)
    form = app.screen
    assert form.id == "handover-upgrade"
    return form


@run_async
async def test_upgrade_previews_then_applies(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    path = newer(tmp_path)
    async with app.run_test(size=(110, 36)) as pilot:
        form = await open_upgrade(app, pilot)
        form.query_one("#f-to").value = path
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        shown = str(form.query_one("#preview").render())
        assert "standard-exit: v2 -> v3" in shown
        assert "added    asset-register-export: Export assets" in shown
        assert "asset-register-export" not in keys(app)  # the preview writes nothing
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
        assert "asset-register-export" in keys(app)
        notes = [n.message for n in app._notifications]
        assert any("exit checklist: 1 added" in n for n in notes), notes
        pane = app.screen.query_one("#pane-handover")
        assert "asset-register-export" in pane.rows


@run_async
async def test_a_downgrade_is_shown_beside_the_checklist_field(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    path = newer(tmp_path)
    async with app.run_test(size=(110, 36)) as pilot:
        form = await open_upgrade(app, pilot)
        form.query_one("#f-to").value = path
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = await open_upgrade(app, pilot)
        form.query_one("#f-to").value = str(SHIPPED)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "downgrade is refused" in str(form.query_one("#e-to").render())
