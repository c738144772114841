"""From the command palette (or their keys), for the engagement on screen: the access review
in full, the status report, a calendar and the exit checklist written to files."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_snapshot_app import demo_app, run_async, settle, workers_done

pytest.importorskip("textual")

NW = "northwind-service-desk"


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


async def palette_hits(pilot, ready) -> list[str]:
    """The names the palette lists, once its search has ended and they are ``ready(names)``
    (bounded: each round waits for the search running, however it ends; a key typed may
    start the next search a message later)."""
    from textual.command import CommandList

    options = pilot.app.screen.query_one(CommandList)
    names: list[str] = []
    for _ in range(50):
        await workers_done(pilot.app)
        await pilot.pause()
        prompts = (str(options.get_option_at_index(i).prompt) for i in range(options.option_count))
        names = [prompt.split("\n")[0] for prompt in prompts]  # the name, not its help
        still = not options.loading and not any(w.is_running for w in pilot.app.workers)
        if still and ready(names):
            break
    return names


def noted(app) -> list[str]:
    notes: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kw: (notes.append(message), notify(message, **kw))[1]
    return notes


async def fill_and_save(pilot, **values: str) -> None:
    form = pilot.app.screen
    for name, value in values.items():
        form.query_one(f"#f-{name}").value = value
    await pilot.press("ctrl+s")
    await settle(pilot)


@run_async
async def test_the_palette_reaches_the_review_and_the_exports(tmp_path, monkeypatch):
    from transition.services import access

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        labels = (
            "Access review",
            "Write status report…",
            "Export calendar (.ics)…",
            "Export exit checklist…",
        )
        hits = await palette_hits(pilot, lambda names: set(labels) <= set(names))
        for label in labels:
            assert label in hits, hits
        await type_text(pilot, "access review")
        hits = await palette_hits(pilot, lambda names: names[:1] == ["Access review"])
        assert hits[0] == "Access review", hits
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "AccessReviewScreen"
        findings = app.backend.read(access.review, NW)
        assert findings and screen.query_one("#review-table").row_count == len(findings)
        title = str(screen.query_one("#review-title").render())
        assert f"{len(findings)} findings" in title
        detail = str(screen.query_one("#review-detail").render())
        assert findings[0].message in detail  # in full, not cut
        table = screen.query_one("#review-table")
        table.move_cursor(row=table.row_count - 1)
        await settle(pilot)
        assert findings[-1].message in str(screen.query_one("#review-detail").render())

        # x revokes the grant of the highlighted finding; the review is read again.
        key, finding = next((k, f) for k, f in screen.findings.items() if f.grant_id)
        table.move_cursor(row=table.get_row_index(key))
        await pilot.press("x")
        await settle(pilot)
        assert app.screen.id == "review-revoke"
        await type_text(pilot, "found in review")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and screen.changed
        grant = next(
            g for g in app.backend.read(access.list_grants, NW) if g.id == finding.grant_id
        )
        assert grant.revoked_at is not None and grant.revoke_reason == "found in review"
        assert all(f.grant_id != finding.grant_id for f in screen.findings.values())
        assert table.row_count == len(screen.findings)  # the review as it is now
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "EngagementScreen"


@run_async
async def test_report_calendar_and_checklist_are_written_to_files(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    notes = noted(app)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        form = app.screen
        assert form.id == "export-report"
        assert form.query_one("#f-path").value == f"{NW}-report-2026-11-20.md"
        await fill_and_save(pilot, format="html", path="")  # a path is required
        assert app.screen is form
        await fill_and_save(pilot, path=f"{NW}-report-2026-11-20.md")
        written = Path.cwd() / f"{NW}-report-2026-11-20.html"  # the default follows
        assert written.read_text().lstrip().lower().startswith("<!doctype html")
        assert notes[-1] == f"wrote the status report to {written}"
        assert written.stat().st_mode & 0o777 == 0o600

        report = tmp_path / "status.md"
        await pilot.press("O")
        await fill_and_save(pilot, path=str(report))
        assert report.read_text().startswith("#")
        await pilot.press("O")
        await fill_and_save(pilot, path=str(report))  # there already: refused, in place
        error = str(app.screen.query_one("#e-path").render())
        assert "already exists" in error and app.screen.id == "export-report"
        await fill_and_save(pilot, replace="yes")
        assert type(app.screen).__name__ == "EngagementScreen"

        ics = tmp_path / "kt.ics"
        await pilot.press("C")
        await fill_and_save(pilot, path=str(ics))
        assert ics.read_text().startswith("BEGIN:VCALENDAR") and "VEVENT" in ics.read_text()
        everything = tmp_path / "all.ics"
        await pilot.press("C")
        await fill_and_save(pilot, what="all", path=str(everything))
        assert everything.read_text().count("VEVENT") > ics.read_text().count("VEVENT")

        checklist = tmp_path / "exit.yaml"
        await pilot.press("L")
        await fill_and_save(pilot, path=str(checklist), name="northwind-exit")
        assert "name: northwind-exit" in checklist.read_text()
        assert notes[-1] == f"wrote the exit checklist to {checklist}"
        await pilot.press("question_mark")  # the help lists them with their keys
        await settle(pilot)
        lines = [str(w.render()) for w in app.screen.query(".help-line")]
        assert any(line.split()[0] == "V" and "access finding" in line for line in lines)
        assert any(line.split()[0] == "k" and "Skip the task" in line for line in lines)


@run_async
async def test_help_opens_on_the_keys_of_where_you_are_and_misses_no_tab(tmp_path, monkeypatch):
    from transition.services import access
    from transition.tui.screens.engagement import TABS

    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.show_tab("access")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        groups = [str(w.render()) for w in app.screen.query(".help-group")]
        assert groups[0] == "Access tab (here)", groups
        for _, title, pane in TABS:  # every tab that has keys has its group
            if pane.BINDINGS:
                assert f"{title} tab" in groups or f"{title} tab (here)" in groups, title
        assert "Access review" in groups
        lines = [str(w.render()) for w in app.screen.query(".help-line")]
        for key, words in (
            ("c", "Cancel the planned session"),
            ("U", "playbook"),
            ("H", "archived"),
        ):
            assert any(line.split()[0] == key and words in line for line in lines), key
        await pilot.press("escape")
        await settle(pilot)
        box = str(app.screen.query_one("#findings").render())
        findings = app.backend.read(access.review, NW)
        high = sum(f.severity == "high" for f in findings)
        assert box.startswith(f"Review: {len(findings)} findings: {high} high"), box
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert str(app.screen.query_one(".help-group").render()) == "Access review (here)"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)

        # At 80x24 the gate dialog keeps the reason box and its buttons in sight (the
        # criteria scroll instead).
        await pilot.press("g")
        await settle(pilot)
        gate = app.screen
        dialog = gate.query_one("#gate").region
        for selector in ("#override", "#advance", "#cancel"):
            shown = gate.query_one(selector).region
            assert shown.height and dialog.contains_region(shown), selector


@run_async
async def test_the_palette_offers_the_screens_commands_a_tab_shadows_and_not_list_keys(
    tmp_path, monkeypatch
):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        app.screen.show_tab("runbooks")  # where U and X are the runbook's own keys
        await settle(pilot)
        await pilot.press("ctrl+p")
        wanted = ("Upgrade playbook", "Start exit", "Runbooks: Exercise", "Help")
        hits = await palette_hits(pilot, lambda names: set(wanted) <= set(names))
        for label in wanted:
            assert label in hits, hits
        for label in ("Cursor up", "Page Left", "Focus Next", "Keys"):
            assert label not in hits, hits
        assert hits.count("Quit") == 1, hits
        await type_text(pilot, "start exit")
        await palette_hits(pilot, lambda names: names[:1] == ["Start exit"])
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.id == "start-exit"  # not the Runbooks tab's X (an exercise)
