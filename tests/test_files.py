"""Every file the program writes goes through one atomic writer: special files, links and
folders are refused untouched, a full disk leaves nothing behind, ``-`` is stdout."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from safety import ROOT, assert_clean_error, dump

from transition import files


@pytest.fixture
def world(cli, acme, tmp_path, monkeypatch):
    """acme with a system, a person and a KT session (so every export has content)."""
    monkeypatch.chdir(tmp_path)
    steps = [
        ("system", "add", acme, "Ticketing"),
        ("person", "add", acme, "Dana Old", "--side", "incumbent"),
        ("kt", "schedule", acme, "--system", "Ticketing", "--topic", "Queues",
         "--presenter", "Dana Old", "--at", "2026-11-20T10:00"),
    ]  # fmt: skip
    for step in steps:
        assert cli(*step).exit_code == 0
    return acme


def _file_commands(eng: str) -> dict[str, tuple[str, ...]]:
    """Every command that writes a file given with ``-o``: its arguments before the file."""
    return {
        "export": ("export", eng, "-o"),
        "export-all": ("export", "-o"),
        "kt-ics": ("kt", "ics", eng, "-o"),
        "handover-export": ("handover", "export", eng, "-o"),
        "report-md": ("report", eng, "-o"),
        "report-html": ("report", eng, "--format", "html", "-o"),
    }


def _runbook(eng: str, out: Path) -> tuple[str, ...]:
    return ("runbook", "new", eng, "--system", "Ticketing", "--template", "incident-response",
            "--out", str(out))  # fmt: skip


def _make(kind: str, target: Path, victim: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink":
        victim.write_text("the file a link points at\n")
        target.symlink_to(victim)
    elif kind == "dangling-symlink":
        target.symlink_to(victim)
    elif kind == "directory":
        target.mkdir()
    elif kind == "full-disk":
        target.write_text("the previous version\n")


def _state(folder: Path) -> dict[str, tuple[int, str | None]]:
    """Every entry under ``folder``: its type and, for regular files, its text."""
    out = {}
    for path in sorted(folder.rglob("*")):
        info = os.lstat(path)
        text = path.read_text() if stat.S_ISREG(info.st_mode) else None
        out[str(path.relative_to(folder))] = (stat.S_IFMT(info.st_mode), text)
    return out


KINDS = ["fifo", "symlink", "dangling-symlink", "directory", "full-disk"]


def test_every_written_file_refuses_special_targets_and_survives_a_full_disk(
    cli, world, tmp_path, db_url, monkeypatch
):
    """Every ``-o`` command (and ``runbook new``) against every kind of target."""
    before = dump(db_url)
    for kind in KINDS:
        with monkeypatch.context() as patch:
            if kind == "full-disk":
                real = files._write_all

                def full(fd: int, data: bytes, real=real) -> None:
                    real(fd, data[: len(data) // 2])
                    raise OSError(errno.ENOSPC, "No space left on device")

                patch.setattr(files, "_write_all", full)
            _each_command(cli, world, tmp_path / kind, kind)
    assert dump(db_url) == before


def _each_command(cli, eng: str, base: Path, kind: str) -> None:
    commands = {name: (*args, None) for name, args in _file_commands(eng).items()}
    commands["runbook-new"] = (*_runbook(eng, base / "rb-out"), "runbook")
    for name, args in commands.items():
        area = base / f"area-{name}"
        if args[-1] == "runbook":
            area = base / "rb-out"
            target = area / "ticketing" / "incident-response.md"
            argv = args[:-1]
        else:
            target = area / f"out-{name}"
            argv = (*args[:-1], str(target))
        victim = base / f"victim-{name}"
        if kind == "full-disk" and args[-1] == "runbook":
            target.parent.mkdir(parents=True)  # a new runbook: nothing may be left behind
        else:
            _make(kind, target, victim)
        seen = _state(area)
        victim_before = victim.read_text() if victim.exists() else None
        result = cli(*argv)
        assert_clean_error(result, 2)
        assert str(target) in result.stderr, (kind, name, result.stderr)
        if kind == "full-disk":
            assert "disk full" in result.stderr, (name, result.stderr)
        assert _state(area) == seen, (kind, name)  # nothing replaced, nothing left behind
        assert (victim.read_text() if victim.exists() else None) == victim_before, (kind, name)


def test_dash_and_dev_stdout_write_to_standard_output(cli, world, tmp_path):
    for name, args in _file_commands(world).items():
        for target in ("-", "/dev/stdout"):
            result = cli(*args, target)
            assert result.exit_code == 0, (name, result.stderr)
            assert len(result.stdout) > 20 and "wrote" not in result.stdout, name
    assert not (tmp_path / "-").exists()


def test_modes_runbooks_shared_everything_else_private(cli, world, tmp_path):
    """Runbooks are committed and shared by teams: 0644. Exports, reports, calendars and
    checklists may hold sensitive data: 0600. Whatever the umask; the README says so."""
    old = os.umask(0o077)
    try:
        made = cli(*_runbook(world, tmp_path / "rb"))
        assert made.exit_code == 0, made.stderr
        for name, args in _file_commands(world).items():
            assert cli(*args, str(tmp_path / name)).exit_code == 0
    finally:
        os.umask(old)
    runbook = tmp_path / "rb" / "ticketing" / "incident-response.md"
    assert runbook.stat().st_mode & 0o777 == 0o644
    for name in _file_commands(world):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600, name
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "Runbooks are written readable by everyone (mode 0644)" in readme
    assert "(exports, reports, calendars, checklists) are readable by their owner only" in readme


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_input_files_that_are_not_regular_files_are_refused_at_once(
    db_url, cli, acme, tmp_path, kind
):
    """A FIFO nobody writes to would block a reader forever, ``/dev/zero`` never ends:
    every command that reads an input file refuses both at once (exit 2), nothing written."""
    import subprocess
    import sys

    if kind == "fifo":
        source = tmp_path / "input"
        os.mkfifo(source)
    else:
        source = tmp_path / "input"
        source.symlink_to("/dev/zero")
    before = dump(db_url)
    for args in (
        ("access", "import", acme, source),
        ("handover", "import", acme, source),
        ("handover", "upgrade", acme, "--to", source),
        ("playbook", "validate", source),
        ("engagement", "new", "From A Pipe", "--playbook", source),
        ("import", source),
    ):
        result = subprocess.run(
            [sys.executable, "-c", "from transition.cli.main import main; main()"]
            + ["--db", db_url, *map(str, args)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith("error: "), (args, result.stderr)
        assert "not a regular file" in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert dump(db_url) == before


@given(st.lists(st.text(max_size=40), max_size=30), st.integers(min_value=1, max_value=64))
@settings(max_examples=60, deadline=None)
def test_text_in_pieces_is_written_as_the_whole_text(pieces, block):
    """A large export streams into its file in pieces (blocks of ``BLOCK`` characters);
    the file holds exactly the text joined, in UTF-8, whatever the block size."""
    import tempfile
    from unittest import mock

    with tempfile.TemporaryDirectory() as folder, mock.patch.object(files, "BLOCK", block):
        target = Path(folder) / "out.json"
        files.write_file(target, iter(pieces))
        assert target.read_bytes() == "".join(pieces).encode("utf-8")
        assert stat.S_IMODE(target.stat().st_mode) == files.PRIVATE
