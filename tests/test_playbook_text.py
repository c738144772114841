"""Text in a playbook follows the rules of text typed on the command line: a control
character in a title, an owner, a description, a KPI or a meeting is reported with its
file:line, and no engagement is started from such a file (its tasks would carry the
character into the terminal, the reports and an export that `import` then refuses)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transition.errors import ValidationFailed
from transition.playbooks import from_json, load_playbook

BOOK = """\
name: texts
title: "Text playbook{title}"
version: 1
description: "A playbook{description}"
scorecard:
  - {{key: p1, title: "P1 resolved{kpi}", unit: "%", target: 95}}
cadence:
  - key: weekly
    title: "Weekly status{meeting}"
    every: weekly on tue at 10:00
    from: discovery.start
    agenda: ["Risks{agenda}"]
phases:
  - key: discovery
    title: "Discovery{phase}"
    duration: 2w
    tasks:
      - key: kickoff
        title: "Kick-off{task}"
        owner: "transition-manager{owner}"
        description: "Agree the scope{notes}"
"""

FIELDS = ("title", "description", "kpi", "meeting", "agenda", "phase", "task", "owner", "notes")


def book(**bad: str) -> str:
    return BOOK.format(**{field: bad.get(field, "") for field in FIELDS})


def test_the_clean_book_loads(tmp_path):
    path = tmp_path / "texts.yaml"
    path.write_text(book(), encoding="utf-8")
    assert load_playbook(path).phases[0].tasks[0].title == "Kick-off"


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("char", ["\\a", "\\e[31m", "\\x85", "\\u202e", "\\0"])
def test_a_control_character_is_reported_on_its_line(tmp_path, field, char):
    text = book(**{field: char})
    path = tmp_path / "texts.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        load_playbook(path)
    (error,) = info.value.errors
    line = next(i for i, row in enumerate(text.splitlines(), 1) if char in row)
    assert re.match(rf"^{re.escape(str(path))}:{line}:\d+: .*control character", error), error


def test_newlines_and_tabs_stay_allowed_in_a_description(tmp_path):
    path = tmp_path / "texts.yaml"
    path.write_text(book(notes="\\n\\tthen the RACI"), encoding="utf-8")
    assert load_playbook(path).phases[0].tasks[0].description == "Agree the scope\n\tthen the RACI"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(code=st.one_of(st.integers(0, 0x1F), st.integers(0x7F, 0x9F)))
def test_any_c0_or_c1_control_in_a_task_title_is_refused(tmp_path, code):
    path = tmp_path / "texts.yaml"
    path.write_text(book(task=f"\\u{code:04x}"), encoding="utf-8")
    with pytest.raises(ValidationFailed):
        load_playbook(path)


def test_validate_and_engagement_new_refuse_the_file(cli, tmp_path):
    path = tmp_path / "texts.yaml"
    path.write_text(book(task="\\e[2J"), encoding="utf-8")
    checked = cli("playbook", "validate", path)
    assert checked.exit_code == 2
    assert re.match(rf"^error: {re.escape(str(path))}:\d+:\d+: ", checked.stderr)
    before = cli("export").stdout
    started = cli("engagement", "new", "Acme", "--playbook", path)
    assert started.exit_code == 2 and started.stderr.startswith("error: ")
    assert "Traceback" not in started.stderr and started.stdout == ""
    assert cli("engagement", "list", "--json").json() == []
    assert json.loads(cli("export").stdout)["engagements"] == json.loads(before)["engagements"]


def test_a_playbook_stored_before_the_rule_still_reads(tmp_path):
    """An engagement started by an earlier version from such a file keeps working."""
    path = tmp_path / "texts.yaml"
    path.write_text(book(), encoding="utf-8")
    stored = load_playbook(path).model_dump(mode="json", by_alias=True)
    stored["phases"][0]["tasks"][0]["title"] = "Kick-off\x07"
    assert from_json(json.dumps(stored)).phases[0].tasks[0].title == "Kick-off\x07"
