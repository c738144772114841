"""Long names never push a row's state out of sight: when the columns before a list's
last are wider together than the terminal, the widest of them are narrowed (ending in
"…") so each is on screen without scrolling sideways."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_database, run_async, settle

from transition import db
from transition.services import people, systems
from transition.tui.app import make_app

pytest.importorskip("textual")

NW = "northwind-service-desk"
LONG_SYSTEM = "Billing 账单系统 " + "x" * 170
LONG_PERSON = "王伟 [@click=screen.dismiss()] " + "n" * 120


def add_long_names(url: str) -> None:
    with db.session_scope(db.get_engine(url), actor="tester", write=True) as s:
        systems.add(s, NW, LONG_SYSTEM, tier=1)
        people.add(s, NW, LONG_PERSON, side="incumbent", release_date="2026-12-20")


def fits(table) -> bool:
    """Every column before the last (free text, cut at its end) is on screen."""
    return sum(c.get_render_width(table) for c in table.ordered_columns[:-1]) <= (
        table.scrollable_content_region.width
    )


@pytest.mark.parametrize("size", [(80, 24), (140, 45)])
@pytest.mark.parametrize(
    ("tab", "column", "name"),
    [("systems", "name", "system"), ("people", "name", "person")],
)
@run_async
async def test_a_long_name_leaves_every_column_on_screen(
    tmp_path, monkeypatch, size, tab, column, name
):
    name = {"system": LONG_SYSTEM, "person": LONG_PERSON}[name]
    url = demo_database(tmp_path, monkeypatch)
    add_long_names(url)
    app = make_app(url, "tester", NW)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.screen.show_tab(tab)
        await settle(pilot)
        table = app.screen.query_one(f"#pane-{tab}").table
        await pilot.pause()
        assert fits(table)
        cell = next(c for c in table.get_column(column) if c.plain == name)  # held whole
        width = table.columns[column].get_render_width(table) - 2 * table.cell_padding
        assert width < cell.cell_len
        console = app.console
        lines = console.render_lines(
            cell, console.options.update_dimensions(width, 1).update(no_wrap=True)
        )
        drawn = "".join(segment.text for segment in lines[0]).rstrip()
        assert drawn.endswith("…") and name.startswith(drawn[:-1].rstrip())
    assert app.return_code in (None, 0)


@run_async
async def test_columns_that_fit_are_not_narrowed(tmp_path, monkeypatch):
    url = demo_database(tmp_path, monkeypatch)
    app = make_app(url, "tester", NW)
    async with app.run_test(size=(200, 45)) as pilot:
        await settle(pilot)
        app.screen.show_tab("systems")
        await settle(pilot)
        table = app.screen.query_one("#pane-systems").table
        assert table.caps == {}


@run_async
async def test_a_cjk_engagement_name_is_shortened_by_its_width_on_the_dashboard(
    tmp_path, monkeypatch
):
    from transition.playbooks import resolve_playbook
    from transition.services import engagements

    url = demo_database(tmp_path, monkeypatch)
    playbook, raw, _ = resolve_playbook("managed-service-onboarding")
    name = "北京数据中心迁移项目第二阶段服务台外包合同"  # 21 characters, 42 cells
    with db.session_scope(db.get_engine(url), actor="tester", write=True) as s:
        engagements.create(s, name=name, playbook=playbook, raw=raw, client="客户")
    app = make_app(url, "tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#engagements")
        # Every figure on screen, the cutover last among them: nothing to scroll sideways.
        assert table.virtual_size.width <= table.scrollable_content_region.width
        names = [c.plain for c in table.get_column("name")]
        assert "北京数据中心迁移项…" in names
