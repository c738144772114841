"""Every command and every parameter of the CLI, fed generated values: the program answers
with output or `error:` lines and exit 0, 1 or 2, never a traceback.

The command tree is read from the click app (lazy noun groups included), so a new command
or option is fuzzed without touching this file. Each parameter gets a mix of plausible
values (names and ids that exist in the prepared database) and hostile ones: huge and
negative integers, empty strings, control characters, Unicode, impossible and out-of-range
dates. Paths are confined to the test's folder. Commands that open the TUI are skipped
(`tui`; `demo` always runs with `--no-tui`).

``TRANSITION_FUZZ_EXAMPLES`` raises the number of examples per command (default 6).
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from transition import db
from transition.cli.main import app

EXAMPLES = int(os.environ.get("TRANSITION_FUZZ_EXAMPLES", "6"))
#: Commands that open the TUI; every other command is fuzzed.
SKIPPED = {("tui",)}


def _walk(command: Any, path: tuple[str, ...], ctx: Any) -> Iterator[tuple[tuple[str, ...], Any]]:
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            yield from _walk(command.get_command(ctx, name), (*path, name), ctx)
    else:
        yield path, command


def command_tree() -> list[tuple[tuple[str, ...], Any]]:
    root = typer.main.get_command(app)
    ctx = root.make_context("transition", [], resilient_parsing=True)
    return [(path, cmd) for path, cmd in _walk(root, (), ctx) if path not in SKIPPED]


COMMANDS = command_tree()

# ------------------------------------------------------------------------- value strategies

no_nul = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
HOSTILE = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(
        ["", " ", "0", "-1", "1", "2", "6", "99999999999999999999", "9223372036854775808",
         "-9223372036854775809", "1e309", "nan", "2026-02-30", "0001-01-01", "9999-12-31",
         "9999-12-31T23:30", "0001-01-01T00:00", "2026-12-01T14:00+14:00", "2026-13-01",
         "+99999d", "-5d", "cutover+99999d", "\x1b[31mred\x1b[0m", "a\rb", "a\nb", "\t",
         "\x07\x08", "\u202eevil", "王伟", "Иван Петров", "é" * 300, "x" * 5000, "[/]",
         "[@click=app.quit]", "{{ 7*7 }}", "null", "true", "KEY=", "=v", "a=b=c"]
    ),
    st.text(no_nul, max_size=24),
)  # fmt: skip

#: Values that exist in the prepared database, by parameter name.
PLAUSIBLE = {
    "engagement": ["acme", "ACME"],
    "name": ["ERP", "Ann", "Zed", "managed-service-onboarding"],
    "system": ["ERP", "crm"],
    "person": ["Ann", "Bob"],
    "presenter": ["Ann"],
    "attendee": ["Bob"],
    "by": ["Bob", "Ann"],
    "key": ["kickoff-workshop"],
    "session_id": ["1", "2"],
    "grant_id": ["1"],
    "runbook_id": ["1"],
    "item": ["1", "2"],
    "template": ["service-restart"],
    "playbook": ["managed-service-onboarding"],
    "start": ["2026-11-02"],
    "at": ["2026-12-01T14:00", "2026-12-01T15:00+01:00"],
    "expires": ["2027-01-31", "cutover+30d"],
    "release": ["2027-02-01"],
    "since": ["2026-11-01"],
    "side": ["client", "incumbent", "provider"],
    "status": ["done", "todo", "accepted"],
    "kind": ["shadow", "qa"],
    "role": ["admin", "operator"],
    "sets": ["owner=Ann"],
    "phase": ["discovery", "ramp-up", "cutover"],
    "calendar": ["GB-ENG", "de-by", "none"],
    "timezone": ["Europe/Berlin", "Asia/Kolkata", "none"],
    "workweek": ["sun-thu", "mon-fri"],
    "due": ["+3bd", "-2bd", "2026-12-24", "none"],
    "title": ["Retitled"],
    "topic": ["Nightly batch"],
    "add_attendee": ["Ann", "Bob"],
    "remove_attendee": ["Bob"],
    "reason": ["slip"],
    "minutes": ["90"],
    "owner": ["service-manager"],
    "depends_on": ["kickoff-workshop"],
    "confirm": ["acme"],
}

PATH_PARAMS = {"output", "out", "templates", "path", "paths", "file", "playbook"}
PATH_METAVARS = ("FILE", "DIR", "PATH")


def is_path(param: Any) -> bool:
    metavar = (param.metavar or "").upper()
    return param.name in PATH_PARAMS or any(m in metavar for m in PATH_METAVARS)


#: Paths relative to the test's folder (the working directory while a command runs).
relative_names = st.text(
    st.characters(codec="utf-8", exclude_characters="\x00/\\", exclude_categories=("Cs",)),
    min_size=1,
    max_size=12,
).filter(lambda s: s not in {".", ".."} and not s.startswith("~"))
PATHS = st.one_of(
    st.sampled_from(
        ["access.csv", "checklist.yaml", "export.json", "a-dir", "a-dir/out.md", "missing/x.md",
         "out.md", "out.ics", "-", "", " ", "empty.txt", "bad.yaml", "playbooks-dir",
         "managed-service-onboarding"]
    ),
    relative_names,
    st.builds(lambda a, b: f"{a}/{b}", relative_names, relative_names),
)  # fmt: skip


def values_for(param: Any) -> st.SearchStrategy[str]:
    if is_path(param):
        return PATHS
    plausible = PLAUSIBLE.get(param.name)
    if plausible:
        return st.one_of(st.sampled_from(plausible), HOSTILE)
    return HOSTILE


@st.composite
def argv_for(draw: st.DrawFn, path: tuple[str, ...], command: Any) -> list[str]:
    args: list[str] = []
    if draw(st.integers(0, 9)) == 0:  # the global --actor gets fuzzed too
        args += ["--actor", draw(HOSTILE)]
    if draw(st.integers(0, 14)) == 0:  # and --db, as a path inside the test's folder
        args += ["--db", draw(PATHS)]
    args += list(path)
    positional: list[str] = []
    for param in command.params:
        if param.param_type_name == "argument":
            if param.nargs == -1:
                positional += draw(st.lists(values_for(param), min_size=0, max_size=3))
            elif param.required or draw(st.booleans()):
                positional.append(draw(values_for(param)))
            continue
        opt = param.opts[0]
        if path == ("demo",) and param.name == "no_tui":
            args.append(opt)  # never open the TUI
            continue
        if param.is_flag:
            if draw(st.booleans()):
                args.append(opt)
            continue
        if param.multiple:
            for value in draw(st.lists(values_for(param), max_size=2)):
                args += [opt, value]
            continue
        if param.required or draw(st.booleans()):
            args += [opt, draw(values_for(param))]
    # ``--`` keeps positional values that start with "-" positional.
    return [*args, "--", *positional] if positional else args


# ------------------------------------------------------------------------- the database


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with one of everything, and files the path parameters can point at."""
    folder = tmp_path_factory.mktemp("fuzz-template")
    url = f"sqlite:///{folder / 'template.db'}"
    runner = CliRunner()
    env = {"TRANSITION_TODAY": "2026-11-10", "TRANSITION_ACTOR": "tester"}
    steps = [
        ["engagement", "new", "Acme", "--playbook", "managed-service-onboarding",
         "--start", "2026-11-02"],
        ["system", "add", "acme", "ERP", "--tier", "1"],
        ["system", "add", "acme", "CRM"],
        ["person", "add", "acme", "Ann", "--side", "incumbent", "--release", "2027-02-01"],
        ["person", "add", "acme", "Bob", "--side", "provider"],
        ["kt", "schedule", "acme", "--system", "ERP", "--topic", "Batch", "--presenter", "Ann",
         "--attendee", "Bob", "--at", "2026-12-01T14:00"],
        ["kt", "schedule", "acme", "--system", "ERP", "--topic", "Jobs", "--presenter", "Ann",
         "--attendee", "Bob", "--at", "2026-12-02T14:00"],
        ["kt", "hold", "acme", "2"],
        ["access", "grant", "acme", "--person", "Bob", "--system", "ERP", "--role", "admin",
         "--expires", "2027-01-31", "--justification", "on call"],
        ["runbook", "new", "acme", "--system", "ERP", "--template", "service-restart", "--out",
         str(folder / "runbooks")],
        ["handover", "export", "acme", "-o", str(folder / "checklist.yaml")],
        ["export", "-o", str(folder / "export.json")],
    ]  # fmt: skip
    for step in steps:
        result = runner.invoke(app, ["--db", url, *step], env=env)
        assert result.exit_code == 0, (step, result.output, result.exception)
    db.reset_engines()
    (folder / "access.csv").write_text(
        "person,system,role,expires,justification\nAnn,ERP,reader,2027-01-31,read\n"
    )
    (folder / "empty.txt").write_text("")
    (folder / "bad.yaml").write_text("phases: [\n")
    (folder / "a-dir").mkdir()
    (folder / "playbooks-dir").mkdir()
    return folder


_counter = itertools.count()


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(path) for path, _ in COMMANDS])
def test_every_command_answers_generated_values_without_a_traceback(
    path, command, prepared, tmp_path, monkeypatch
):
    work = tmp_path / "work"
    shutil.copytree(prepared, work)
    monkeypatch.chdir(work)
    monkeypatch.setenv("TRANSITION_TODAY", "2026-11-10")
    runner = CliRunner()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(argv=argv_for(path, command))
    def check(argv: list[str]) -> None:
        # A fresh copy of the prepared database for each example.
        target = work / f"db-{next(_counter)}.db"
        shutil.copyfile(prepared / "template.db", target)
        try:
            result = runner.invoke(app, ["--db", f"sqlite:///{target}", *argv])
        finally:
            db.reset_engines()
        shown = f"argv={argv!r}\nstdout={result.stdout[-1500:]}\nstderr={result.stderr[-1500:]}"
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"uncaught {result.exception!r}\n{shown}") from result.exception
        assert result.exit_code in (0, 1, 2), shown
        assert "Traceback" not in result.stdout + result.stderr, shown
        if result.exit_code != 0:
            lines = result.stderr.splitlines()
            assert lines and lines[0].startswith("error:"), shown

    check()
