"""A refusal is worded for where it is shown: the CLI names its flags and commands, the
Runbooks tab its own keys (or plain words where the TUI has no way of its own), from the
same refusal the service raises."""

from __future__ import annotations

import pytest
from tui_snapshot_app import demo_app, run_async, settle

from tests.safety import assert_clean_error

pytest.importorskip("textual")

NW = "northwind-service-desk"


async def press_on(pilot, pane, runbook_id: int, key: str) -> list[str]:
    pane.table.move_cursor(row=pane.table.get_row_index(str(runbook_id)))
    await pilot.press(key)
    await settle(pilot)
    return [n.message for n in pilot.app._notifications]


@run_async
async def test_runbook_status_refusals_give_the_tuis_own_way_out(tmp_path, monkeypatch):
    app = demo_app(tmp_path, monkeypatch, NW)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.screen.show_tab("runbooks")
        await settle(pilot)
        pane = app.screen.query_one("#pane-runbooks")
        drafted = next(r for r in pane.rows.values() if r.status == "drafted")
        assert drafted.placeholders_left
        said = (await press_on(pilot, pane, drafted.id, "p"))[-1]
        assert "placeholder(s) or conflict marker(s)" in said and said.endswith("fill them in")
        assert "--" not in said  # no flag a TUI user cannot type

        reviewed = next(r for r in pane.rows.values() if r.status == "reviewed" and not r.passes)
        said = (await press_on(pilot, pane, reviewed.id, "p"))[-1]
        assert said == (
            f"runbook #{reviewed.id} cannot move to validated: no passing exercise is "
            "recorded; record one first (X on the Runbooks tab)"
        )

        # Accepting is signed: the next status of a validated runbook asks who signs it.
        validated = next(r for r in pane.rows.values() if r.status == "validated")
        notes = await press_on(pilot, pane, validated.id, "p")
        assert app.screen.id == "runbook-sign"
        assert not any("--by" in n for n in notes)


def test_the_cli_keeps_its_flags_and_commands(cli, acme):
    eng = "acme-helpdesk"
    for args in (
        ("system", "add", eng, "Intranet"),
        ("person", "add", eng, "Ola", "--side", "provider"),
    ):
        assert cli(*args).exit_code == 0
    made = cli("runbook", "new", eng, "--system", "Intranet", "--template", "service-restart")
    assert made.exit_code == 0, made.stderr
    refused = cli("runbook", "status", eng, "1", "reviewed")
    assert_clean_error(refused, 1)
    assert refused.stderr.rstrip().endswith("; fill them in, or use --force --reason TEXT")
    skipped = cli("runbook", "status", eng, "1", "validated")
    assert_clean_error(skipped, 1)
    assert skipped.stderr == (
        "error: runbook #1 is drafted; moving it to validated skips reviewed; the next step "
        "is reviewed, or use --force --reason TEXT to do it anyway\n"
    )
    forced = ("--force", "--reason", "written during the parallel run")
    assert cli("runbook", "status", eng, "1", "reviewed", *forced).exit_code == 0
    unexercised = cli("runbook", "status", eng, "1", "validated")
    assert unexercised.stderr == (
        "error: runbook #1 cannot move to validated: no passing exercise is recorded; record "
        f"one with `transition runbook exercise {eng} 1 --on DATE --by PERSON --outcome pass`\n"
    )
    assert cli("runbook", "status", eng, "1", "accepted", *forced).exit_code == 1
    back = cli("runbook", "status", eng, "1", "drafted")
    assert back.stderr == (
        "error: runbook #1 is reviewed; going back to drafted is not allowed; the next step "
        "is validated, or use --force --reason TEXT to do it anyway\n"
    )
