"""One settings object and one clock: the environment is read in ``transition/settings.py``
only, once per run, and every service reads the time through ``transition.dates``."""

from __future__ import annotations

import ast
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from test_imports import _modules_after

from transition import dates, settings
from transition.errors import BadInput
from transition.settings import Settings, get_settings

PACKAGE = Path(__file__).resolve().parent.parent / "transition"
ENV_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def _environment_reads(tree: ast.AST) -> list[int]:
    """Lines that touch the process environment: ``os.environ``, ``os.getenv``, … or
    ``from os import environ``."""
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ENV_NAMES
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ) or (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(alias.name in ENV_NAMES for alias in node.names)
        ):
            lines.append(node.lineno)
    return lines


def test_only_the_settings_module_reads_the_environment():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative == "settings.py":
            continue
        lines = _environment_reads(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            found[relative] = lines
    assert not found, f"environment read outside transition/settings.py: {found}"


def test_the_scan_sees_every_form_of_environment_read():
    for code in (
        "import os\nos.environ.get('X')",
        "import os\nos.getenv('X')",
        "from os import environ",
        "import os\nos.environ['X'] = '1'",
    ):
        assert _environment_reads(ast.parse(code)), code
    assert not _environment_reads(ast.parse("import os\nos.pathsep"))


def test_settings_read_each_variable_with_its_documented_form():
    sep = os.pathsep
    built = Settings.from_env(
        {
            "TRANSITION_DATABASE_URL": "sqlite:///x.db",
            "TRANSITION_ACTOR": "alice",
            "TRANSITION_PLAYBOOKS": f"one{sep}{sep}two",
            "TRANSITION_TEMPLATES": f"t1{sep} {sep}t2",
            "TRANSITION_TODAY": "2026-11-20",
            "TRANSITION_ADMIN_ROLES": "deployer, break-glass",
        }
    )
    assert built.database_url == "sqlite:///x.db" and built.actor == "alice"
    assert built.playbooks == (Path("one"), Path("two"))
    assert built.templates == ("t1", "t2")
    assert dates.pinned(built) == date(2026, 11, 20)
    assert built.admin_roles == ("deployer", " break-glass")
    empty = Settings.from_env({"TRANSITION_ACTOR": "", "TRANSITION_ADMIN_ROLES": ""})
    assert empty == Settings()
    assert dates.pinned(empty) is None and empty.admin_roles is None


def test_a_bad_pinned_date_is_refused_where_a_date_is_needed():
    built = Settings.from_env({"TRANSITION_TODAY": "2026-02-30"})
    with pytest.raises(BadInput, match="invalid TRANSITION_TODAY '2026-02-30'"):
        dates.pinned(built)


def test_settings_are_read_once_until_reset(monkeypatch):
    first = get_settings()
    monkeypatch.setenv("TRANSITION_ACTOR", "someone-else")
    assert get_settings() is first and first.actor == "tester"
    settings.reset()
    assert get_settings().actor == "someone-else"


def test_data_folders_come_from_platformdirs(tmp_path):
    # conftest points XDG_DATA_HOME into tmp_path
    assert get_settings().data_dir() == tmp_path / "xdg-data" / "transition"


def test_the_clock_is_what_utcnow_and_today_read(clock, setting):
    instant = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    clock.pin(now=instant, today="2026-11-19")
    assert dates.utcnow() == instant and dates.today() == date(2026, 11, 19)
    setting("TRANSITION_TODAY", "2026-12-01")  # the documented pin wins over the clock
    assert dates.today() == date(2026, 12, 1)
    with pytest.raises(ValueError):
        clock.pin(now=datetime(2026, 11, 20, 9, 30))  # naive: not an instant


def test_commands_stamp_and_date_with_the_clock(cli, clock):
    clock.pin(now=datetime(2026, 11, 20, 9, 30, tzinfo=UTC), today="2026-11-16")
    made = cli("engagement", "new", "Clockwork", "--playbook", "managed-service-onboarding")
    assert made.exit_code == 0, made.stderr
    shown = cli("engagement", "show", "clockwork", "--json").json()
    assert shown["start_date"] == "2026-11-16"
    events = cli("audit", "clockwork", "--json").json()
    assert events and {e["at"][:16] for e in events} == {"2026-11-20T09:30"}


def test_importing_settings_and_dates_stays_light():
    loaded = _modules_after("import transition.settings, transition.dates")
    heavy = {"sqlalchemy", "sqlmodel", "pydantic", "pydantic_settings", "platformdirs", "typer"}
    assert not loaded & heavy, sorted(loaded & heavy)
