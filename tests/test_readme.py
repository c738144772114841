"""README.md is an executable story: every command of its ```console and ```sh blocks runs,
in order, against one fresh database, and the output a block shows is the output produced.

Rules (also what a README author needs to know):

- ```sh blocks: each line is a command (a trailing backslash continues it; ``# …`` is a
  comment). It must exit 0.
- ```console blocks: ``$ `` starts a command; the lines after it, up to the next ``$ ``,
  are its expected output (stdout, then stderr). A line ending in ``...`` matches any line
  that starts with the text before it. A command that shows an ``error:`` line must fail
  (exit 1 or 2); one without shown output must exit 0, and its output is not compared.
- Not run: commands that do not start with ``transition`` (``pip install``, ``pytest``,
  ``python bench/…``, ``export …``), and the ones that open the TUI (bare ``transition``,
  ``transition tui``, ``transition demo`` without ``--no-tui``). ``a && b`` is two commands.
- ``<!-- readme-test: skip REASON -->`` just before a block skips it (e.g. it needs a
  PostgreSQL server); ``<!-- readme-test: file NAME -->`` just before a block writes its
  content to NAME in the working folder, for the commands that follow (a later block may
  write the same NAME anew: a file edited, a template improved).
- Every command gets ``--db`` pointing at the test's database (SQLite, and PostgreSQL when
  the suite runs on it) unless it names its own ``--db``; ``TRANSITION_TODAY`` is fixed,
  HOME, the data folders and the working folder are fresh temporary folders.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT
from transition.cli.main import app

README = ROOT / "README.md"
TODAY = "2026-11-23"
FENCE = re.compile(r"^```(\w*)\s*$")
MARKER = re.compile(r"^<!--\s*readme-test:\s*(skip|file)\s*(.*?)\s*-->\s*$")


@dataclass
class Step:
    line: int  # where the command starts in README.md
    command: str
    expected: list[str] = field(default_factory=list)
    shows_output: bool = False


def blocks(text: str) -> list[tuple[int, str, list[str], tuple[str, str] | None]]:
    """(first line number, language, lines, marker) for each fenced block."""
    out = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        start, lang = i, match.group(1)
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        k = start - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        marker = MARKER.match(lines[k]) if k >= 0 else None
        out.append((start + 2, lang, lines[start + 1 : j], marker.groups() if marker else None))
        i = j + 1
    return out


def _join_continuations(lines: list[str], first: int) -> list[tuple[int, str]]:
    joined: list[tuple[int, str]] = []
    buffer, at = "", first
    for n, line in enumerate(lines, start=first):
        if not buffer:
            at = n
        if line.rstrip().endswith("\\"):
            buffer += line.rstrip()[:-1] + " "
            continue
        joined.append((at, buffer + line))
        buffer = ""
    return joined


def story(text: str) -> tuple[list[Step], dict[str, str]]:
    """The steps of the README in order, and the files its markers ask for (by name)."""
    steps: list[Step] = []
    files: dict[str, str] = {}
    for first, lang, lines, marker in blocks(text):
        if marker and marker[0] == "file":
            files[marker[1]] = "\n".join(lines) + "\n"
            # the content goes with the step: a later block may write the same file anew
            steps.append(Step(first, f"#file {marker[1]}", [files[marker[1]]]))
            continue
        if lang not in ("console", "sh") or (marker and marker[0] == "skip"):
            continue
        if lang == "sh":
            steps += [Step(n, cmd) for n, cmd in _join_continuations(lines, first) if cmd.strip()]
            continue
        current: Step | None = None
        pending: list[str] = []
        for n, line in enumerate(lines, start=first):
            if pending or line.startswith("$ "):
                pending.append(line[2:] if not pending else line)
                if line.rstrip().endswith("\\"):
                    continue
                ((at, cmd),) = _join_continuations(pending, n - len(pending) + 1)
                pending = []
                current = Step(at, cmd)
                steps.append(current)
            elif current is not None:
                current.expected.append(line.rstrip())
                current.shows_output = True
    return steps, files


def commands(step: Step) -> list[list[str]]:
    """The ``transition`` argument lists a step runs (the rules above)."""
    words = shlex.split(step.command, comments=True)
    parts: list[list[str]] = [[]]
    for word in words:
        if word == "&&":
            parts.append([])
        else:
            parts[-1].append(word)
    runs = []
    for part in parts:
        if not part or part[0] != "transition":
            continue
        args = part[1:]
        verbs = [a for a in args if not a.startswith("-")]
        opens_tui = (
            not args or (verbs[:1] == ["tui"]) or (verbs[:1] == ["demo"] and "--no-tui" not in args)
        )
        if not opens_tui:
            runs.append(args)
    return runs


def matches(expected: list[str], actual: list[str]) -> bool:
    if len(expected) != len(actual):
        return False
    for want, got in zip(expected, actual, strict=True):
        if want.endswith("..."):
            if not got.startswith(want[:-3]):
                return False
        elif want != got:
            return False
    return True


def test_the_story_parses_into_commands():
    steps, files = story(README.read_text(encoding="utf-8"))
    runnable = [args for step in steps for args in commands(step)]
    assert len(runnable) >= 30
    assert "access.csv" in files
    # The quick start stays: install + demo (opens the TUI, not run) and install + tests.
    text = README.read_text(encoding="utf-8")
    assert "pip install . && transition demo" in text
    assert "pip install -e '.[test]' && pytest" in text


def test_every_readme_command_runs_as_shown(db_url, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("TRANSITION_TODAY", TODAY)
    monkeypatch.setenv("TRANSITION_ACTOR", "readme")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    steps, files = story(README.read_text(encoding="utf-8"))
    runner = CliRunner()
    ran = 0
    for step in steps:
        if step.command.startswith("#file "):
            name = step.command.split(" ", 1)[1]
            Path(work, name).write_text(step.expected[0], encoding="utf-8")
            continue
        for args in commands(step):
            if "--db" not in args:
                args = ["--db", db_url, *args]
            result = runner.invoke(app, args)
            if result.exception and not isinstance(result.exception, SystemExit):
                raise AssertionError(f"README.md:{step.line}: {step.command}") from (
                    result.exception
                )
            ran += 1
            where = (
                f"README.md:{step.line}: $ {step.command}\n"
                f"exit {result.exit_code}\n{result.stdout}{result.stderr}"
            )
            assert "Traceback" not in result.stdout + result.stderr, where
            shows_error = any(line.startswith("error:") for line in step.expected)
            if shows_error:
                assert result.exit_code in (1, 2), where
            else:
                assert result.exit_code == 0, where
            if step.shows_output:
                actual = [line.rstrip() for line in (result.stdout + result.stderr).splitlines()]
                assert matches(step.expected, actual), f"{where}\nexpected:\n" + "\n".join(
                    step.expected
                )
    assert ran >= 30


@pytest.fixture(autouse=True)
def _no_files_in_the_tree():
    """Nothing the story writes lands in the repository."""
    before = {p.name for p in ROOT.iterdir()}
    yield
    assert {p.name for p in ROOT.iterdir()} - before == set()
