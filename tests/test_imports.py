"""Import hygiene: the headless core never imports Textual, and a command imports only what
it uses (checked in a fresh interpreter, from ``sys.modules``)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("textual", "jinja2", "icalendar", "alembic", "yaml", "rich")


def _modules_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    """Run ``code`` in a fresh interpreter, then return the top-level modules it loaded."""
    script = (
        "import sys, json\n"
        + code
        + "\nsys.__stdout__.write('\\n@@' + json.dumps(sorted(sys.modules)))\n"
    )
    import os

    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr
    names = json.loads(done.stdout.rsplit("@@", 1)[1])
    return {name.split(".")[0] for name in names} | set(names)


CORE = [
    "transition.models",
    "transition.db",
    "transition.playbooks",
    "transition.yamlfile",
    "transition.services.engagements",
    "transition.services.gates",
    "transition.services.tasks",
    "transition.services.systems",
    "transition.services.people",
    "transition.services.audit",
    "transition.cli.main",
]


def test_core_modules_never_import_textual():
    # One interpreter importing all of them: if none of them is loaded, no module did it.
    loaded = _modules_after("\n".join(f"import {module}" for module in CORE))
    assert set(CORE) <= loaded
    assert not loaded & {"textual", "rich"}, sorted(loaded & {"textual", "rich"})


def test_importing_the_cli_loads_no_heavy_library():
    loaded = _modules_after("import transition.cli.main")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    # Noun groups load only when invoked.
    assert "transition.cli.task" not in loaded
    assert "transition.services.access" not in loaded
    assert "transition.models" not in loaded  # `playbook validate` needs no tables


def _run_cli(*commands: list[str]) -> str:
    """Code running each command in turn in-process (each must exit 0)."""
    lines = ["import io, contextlib", "from transition.cli.main import main"]
    for args in commands:
        lines += [
            "with contextlib.redirect_stdout(io.StringIO()):",
            "    try:",
            f"        main({args!r})",
            "    except SystemExit as exc:",
            "        assert exc.code in (0, None), exc.code",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def engagement_db(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("imports")
    url = f"sqlite:///{folder / 'imports.db'}"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from transition.cli.main import main; main()",
            "--db",
            url,
            "engagement",
            "new",
            "Acme",
            "--playbook",
            "managed-service-onboarding",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return url


READ_COMMANDS = [
    ["task", "list", "acme", "--json"],
    ["task", "list", "acme"],
    ["phase", "status", "acme", "--json"],
    ["system", "list", "acme", "--json"],
    ["person", "list", "acme", "--json"],
    ["audit", "acme", "--json"],
]


def test_read_commands_import_nothing_heavy(engagement_db):
    loaded = _modules_after(_run_cli(*(["--db", engagement_db, *a] for a in READ_COMMANDS)))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_engagement_list_and_show_read_playbook_versions_but_load_nothing_else_heavy(
    engagement_db,
):
    """They mark an engagement whose playbook has a newer version: that reads the playbook
    files (YAML), and nothing else heavy."""
    commands = (["engagement", "list", "--json"], ["engagement", "show", "acme", "--json"])
    loaded = _modules_after(_run_cli(*(["--db", engagement_db, *a] for a in commands)))
    assert not loaded & (set(HEAVY) - {"yaml"}), sorted(loaded & set(HEAVY))


def test_task_list_loads_only_its_own_group(engagement_db):
    loaded = _modules_after(_run_cli(["--db", engagement_db, "task", "list", "acme", "--json"]))
    others = {
        "transition.cli.access",
        "transition.cli.kt",
        "transition.cli.handover",
        "transition.cli.engagement",
        "transition.services.access",
        "transition.services.kt",
        "transition.services.handover",
        "transition.playbooks",
    }
    assert not loaded & others, sorted(loaded & others)


def test_read_commands_on_sqlite_build_only_the_tables_they_name(engagement_db):
    """Neither the PostgreSQL dialect nor the area tables (RAID, meetings, scorecard,
    go-live, readiness, evidence) are built for a core read command on SQLite."""
    loaded = _modules_after(
        _run_cli(
            ["--db", engagement_db, "task", "list", "acme", "--json"],
            ["--db", engagement_db, "person", "list", "acme", "--json"],
        )
    )
    from transition.models import AREAS

    unneeded = {"sqlalchemy.dialects.postgresql"} | {f"transition.models.{a}" for a in AREAS}
    assert not loaded & unneeded, sorted(loaded & unneeded)
    # Commands that write (phase status keeps today's readiness score) or reach the
    # handover checklist load SQLite's insert only.
    loaded = _modules_after(
        _run_cli(
            ["--db", engagement_db, "phase", "status", "acme"],
            ["--db", engagement_db, "access", "list", "acme"],
            ["--db", engagement_db, "handover", "sync", "acme"],
        )
    )
    assert "sqlalchemy.dialects.postgresql" not in loaded


def test_playbook_commands_load_yaml_but_not_the_ui(engagement_db):
    loaded = _modules_after(_run_cli(["playbook", "show", "managed-service-onboarding"]))
    assert "yaml" in loaded
    assert not loaded & {"textual", "jinja2", "icalendar", "alembic"}


ORM = {"sqlmodel", "sqlalchemy", "textual"}


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["task", "--help"], ["report", "--help"], ["access", "--help"]],
    ids=" ".join,
)
def test_help_and_version_load_no_orm(args):
    """``--help`` (of the tool, a noun or a command) and ``--version`` answer before the
    database layer is imported."""
    code = (
        "import contextlib, io\n"
        "from transition.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        main({args!r})\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code in (0, None), exc.code\n"
    )
    loaded = _modules_after(code)
    assert not loaded & ORM, sorted(loaded & ORM)
    assert not any(name.startswith("transition.services") for name in loaded)


def test_shell_completion_loads_no_orm_and_lists_the_nouns():
    code = (
        "import contextlib, io\n"
        "from transition.cli.main import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        "        main([])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "assert out.getvalue().split() == ['task'], out.getvalue()\n"
    )
    env = {
        "_TRANSITION_COMPLETE": "complete_bash",
        "COMP_WORDS": "transition ta",
        "COMP_CWORD": "1",
    }
    loaded = _modules_after(code, env=env)
    assert not loaded & ORM, sorted(loaded & ORM)
    # Only the noun named: no other noun module was loaded to list it.
    assert not {"transition.cli.task", "transition.cli.access"} & loaded


def test_the_noun_catalog_matches_the_noun_groups():
    """``--help`` and completion list the nouns from ``catalog.NOUNS``: each entry must say
    what the real group says (its help and its commands), so the two cannot drift."""
    import typer

    from transition.cli.catalog import NOUNS
    from transition.cli.main import LAZY_GROUPS, app

    root = typer.main.get_command(app)
    ctx = typer.Context(root)
    assert list(LAZY_GROUPS) == list(NOUNS)
    for name, noun in NOUNS.items():
        group = root.get_command(ctx, name)
        assert group.help == noun.help, name
        assert tuple(sorted(group.commands)) == noun.commands, name


def test_root_help_lists_every_command_with_its_help(capsys):
    from transition.cli.main import main

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "access      Access grants: record, review and revoke them." in out
    assert "report      The weekly status report" in out
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("transition ")
