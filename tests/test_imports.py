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


def test_playbook_commands_load_yaml_but_not_the_ui(engagement_db):
    loaded = _modules_after(_run_cli(["playbook", "show", "managed-service-onboarding"]))
    assert "yaml" in loaded
    assert not loaded & {"textual", "jinja2", "icalendar", "alembic"}
