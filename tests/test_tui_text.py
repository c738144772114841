"""User text is shown literally everywhere in the TUI: names that look like Textual markup
(``Acme [/] Helpdesk``, ``[@click=app.quit]``, ``Billing [legacy]``) or are not Latin
open every screen, read as typed, and never run an action."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from transition import db
from transition.errors import TransitionError
from transition.text import clean_name

pytest.importorskip("textual")

MARKUP = st.sampled_from(
    [
        "[/]",
        "[@click=app.quit]",
        "[@click=screen.dismiss()]",
        "[legacy]",
        "[b]",
        "[/b]",
        "[red on blue]",
        "[link=https://x.test]",
        "[$name]",
        "[#fff]",
        "\\",
        "\\[",
        "[",
        "]",
        "$name",
        "&",
        "<b>",
    ]
)


def accepted(name: str) -> bool:
    try:
        clean_name(name, "name")
    except TransitionError:
        return False
    return True


WORD = st.text(
    alphabet=st.characters(categories=("L", "N"), exclude_characters="\x00"),
    min_size=1,
    max_size=6,
)
#: A Latin word first (every name needs one for its slug today), then markup and words
#: from any script.
#: Names the product refuses (a word mixing look-alike letters of two scripts, such as
#: Greek 'Δ' beside Latin 'Þ') are left to the name tests; this one is about display.
NAME = (
    st.lists(st.one_of(MARKUP, WORD), min_size=1, max_size=4)
    .map(lambda parts: "Acme " + " ".join(parts))
    .filter(accepted)
)


def plain(widget) -> str:
    return widget.visual.plain


def build(folder: Path, names: dict[str, str]) -> str:
    from transition.playbooks import resolve_playbook
    from transition.services import access, engagements, people, systems

    url = f"sqlite:///{folder / 't.db'}"
    engine = db.get_engine(url)
    db.migrate(engine)
    playbook, raw, _ = resolve_playbook("managed-service-onboarding")
    with db.session_scope(engine, actor="tester", write=True) as s:
        eng = engagements.create(
            s,
            name=names["engagement"],
            playbook=playbook,
            raw=raw,
            client=names["client"],
            provider=names["provider"],
        )
        systems.add(s, eng, names["system"], tier=1)
        people.add(s, eng, names["person"], side="provider")
        access.grant(
            s,
            eng,
            person=names["person"],
            system=names["system"],
            role="read-only",
            justification=names["why"],
        )
        return eng.slug


async def drive(url: str, slug: str, names: dict[str, str]) -> None:
    from textual.command import CommandList
    from tui_snapshot_app import settle

    from transition.tui.app import make_app

    app = make_app(url, "tester")
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#engagements")
        columns = [c.key.value for c in table.columns.values()]
        row = table.get_row(slug)
        assert row[columns.index("parties")].plain == f"{names['client']} → {names['provider']}"
        title = plain(app.screen.query_one("#detail-title"))
        assert title.startswith(f"{names['engagement']}  ·  {names['client']} → ")
        await pilot.click("#detail-title")  # a [@click=…] in the name is no action
        await pilot.press("r")
        await settle(pilot)
        assert type(app.screen).__name__ == "ReasonsScreen"
        assert plain(app.screen.query_one(".dialog-title")).startswith(names["engagement"])
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        for key in "engagement":
            await pilot.press(key)
        palette = app.screen
        for _ in range(50):
            await pilot.pause()
            if not any(w.is_running for w in palette.workers):
                break
        hits = palette.query_one(CommandList)
        prompts = [str(hits.get_option_at_index(i).prompt) for i in range(hits.option_count)]
        assert any(f"Engagement {names['engagement']}" in p for p in prompts), prompts
        await pilot.press("escape")
        await pilot.press("enter")  # open the engagement
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "EngagementScreen"
        assert plain(screen.query_one("#eng-title")).startswith(names["engagement"] + " · ")
        assert screen.sub_title == names["engagement"]
        screen.show_tab("systems")
        await settle(pilot)
        systems = screen.query_one("#pane-systems").table
        assert [systems.get_row_at(0)[1].plain] == [names["system"]]
        screen.show_tab("access")
        await settle(pilot)
        grants = screen.query_one("#pane-access").table
        cells = [c.plain for c in grants.get_row_at(0)]
        assert names["person"] in cells and names["why"] in cells
        await pilot.press("x")  # the revoke form names the grant
        await pilot.pause()
        assert plain(app.screen.query_one(".hint")).startswith(names["person"] + " · ")
        await pilot.press("escape")
        await pilot.pause()
        app.notify(names["engagement"])  # a notification shows it as it is
        await pilot.pause()
        assert [n.markup for n in app._notifications][-1] is False
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert not errors, errors
    assert app.return_code in (None, 0)


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(
    engagement=NAME,
    client=NAME,
    provider=NAME,
    system=NAME,
    person=NAME,
    why=NAME,
)
@example(
    engagement="Acme [/] Helpdesk",
    client="Billing [legacy]",
    provider="[@click=app.quit]",
    system="Система Биллинга [b]",
    person="王伟 [@click=screen.dismiss()]",
    why="\\[red] 10$ & [link=x]",
)
def test_user_text_is_shown_literally(engagement, client, provider, system, person, why):
    names = {
        "engagement": engagement,
        "client": client,
        "provider": provider,
        "system": system,
        "person": person,
        "why": why,
    }
    with tempfile.TemporaryDirectory() as folder:
        slug = build(Path(folder), names)
        asyncio.run(drive(f"sqlite:///{Path(folder) / 't.db'}", slug, names))
