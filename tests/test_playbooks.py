"""The playbook format: every class of error with its line, hostile files refused fast,
the shipped playbooks valid, and `playbook validate|list|show` on the command line."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from transition import resources
from transition.errors import NotFound, ValidationFailed
from transition.playbooks import (
    CRITERIA,
    load_playbook,
    playbook_files,
    playbook_names,
    resolve_playbook,
)

GOOD = """\
name: demo
title: Demo playbook
version: 2
description: A small playbook for tests.
handover: standard-exit
phases:
  - key: discovery
    title: Discovery
    duration: 2w
    tasks:
      - key: kickoff
        title: Kick-off workshop
        owner: transition-manager
        due: +3d
      - key: inventory
        title: System inventory
        owner: incumbent-lead
        due: +1w
        depends_on: [kickoff]
    gate: [tasks_done, systems_registered]
  - key: cutover
    title: Cutover
    duration: 10d
    tasks:
      - key: go-no-go
        title: Go/no-go meeting
        depends_on: [inventory]
    gate:
      - tasks_done
      - kt_coverage: [walkthrough, shadow]
      - runbooks_accepted
      - access_provisioned
"""


def line_of(text: str, snippet: str, nth: int = 1) -> int:
    """1-based line number of the ``nth`` line containing ``snippet``."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if snippet in line]
    assert len(hits) >= nth, f"{snippet!r} not in the test YAML"
    return hits[nth - 1]


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ValidationFailed) as info:
        load_playbook(path)
    return info.value.errors


def write(tmp_path: Path, text: str, name: str = "book.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_playbook_loads(tmp_path):
    pb = load_playbook(write(tmp_path, GOOD))
    assert pb.name == "demo" and pb.version == 2 and pb.handover == "standard-exit"
    assert [p.key for p in pb.phases] == ["discovery", "cutover"]
    assert pb.phases[0].span.days == 14 and pb.phases[1].span.days == 10
    assert [t.offset.days for t in pb.phases[0].tasks] == [3, 7]
    assert pb.phases[1].tasks[0].offset.days == 0  # no due: the phase's first day
    assert [c.label() for c in pb.phases[1].gate] == [
        "tasks_done",
        "kt_coverage (walkthrough, shadow)",
        "runbooks_accepted",
        "access_provisioned",
    ]


# (name, how to break GOOD, line marker in the broken text, expected message fragment)
ERROR_CASES = [
    (
        "unknown top-level key",
        lambda t: t.replace("description:", "descripton:"),
        "descripton:",
        "unknown key 'descripton' (did you mean 'description'?)"[:27],
    ),
    (
        "unknown phase key",
        lambda t: t.replace("    duration: 10d", "    duration: 10d\n    owner: bob"),
        "owner: bob",
        "phases[1].owner: unknown key 'owner'",
    ),
    (
        "unknown task key",
        lambda t: t.replace("        due: +3d", "        due: +3d\n        assignee: bob"),
        "assignee: bob",
        "phases[0].tasks[0].assignee: unknown key 'assignee'",
    ),
    (
        "missing required task key",
        lambda t: t.replace("        title: Go/no-go meeting\n", ""),
        "key: go-no-go",
        "phases[1].tasks[0]: missing required key 'title'",
    ),
    (
        "missing required phase key",
        lambda t: t.replace("    duration: 2w\n", ""),
        "key: discovery",
        "phases[0]: missing required key 'duration'",
    ),
    (
        "bad duration",
        lambda t: t.replace("duration: 2w", "duration: two weeks"),
        "duration: two weeks",
        "phases[0].duration: invalid duration 'two weeks'",
    ),
    (
        "zero duration",
        lambda t: t.replace("duration: 2w", "duration: 0d"),
        "duration: 0d",
        "duration must be at least one day",
    ),
    (
        "negative duration",
        lambda t: t.replace("duration: 10d", "duration: -3d"),
        "duration: -3d",
        "phases[1].duration: invalid duration '-3d': must not be negative",
    ),
    (
        "bad due offset",
        lambda t: t.replace("due: +1w", "due: next week"),
        "due: next week",
        "phases[0].tasks[1].due: invalid due offset 'next week'",
    ),
    (
        "working-day offset without a number",
        lambda t: t.replace("due: +3d", "due: +bd"),
        "due: +bd",
        "phases[0].tasks[0].due: invalid due offset '+bd'",
    ),
    (
        "duplicate phase key",
        lambda t: t.replace("key: cutover", "key: discovery"),
        "key: discovery",  # the second one
        "phases[1].key: duplicate phase key 'discovery'",
    ),
    (
        "duplicate task key",
        lambda t: t.replace("key: go-no-go", "key: kickoff"),
        "key: kickoff",
        "phases[1].tasks[0].key: duplicate task key 'kickoff'",
    ),
    (
        "unknown depends_on",
        lambda t: t.replace("depends_on: [inventory]", "depends_on: [inventroy]"),
        "depends_on: [inventroy]",
        "phases[1].tasks[0].depends_on[0]: unknown task key 'inventroy'",
    ),
    (
        "self-dependency",
        lambda t: t.replace("depends_on: [inventory]", "depends_on: [go-no-go]"),
        "depends_on: [go-no-go]",
        "task 'go-no-go' depends on itself",
    ),
    (
        "dependency cycle",
        lambda t: t.replace("        due: +3d", "        due: +3d\n        depends_on: [go-no-go]"),
        "depends_on: [go-no-go]",
        "dependency cycle: kickoff → go-no-go → inventory → kickoff",
    ),
    (
        "unknown gate criterion",
        lambda t: t.replace("[tasks_done, systems_registered]", "[tasks_done, sytems_registered]"),
        "sytems_registered",
        "phases[0].gate[1]: unknown gate criterion 'sytems_registered'",
    ),
    (
        "bad KT kinds",
        lambda t: t.replace("[walkthrough, shadow]", "[walkthrough, shadowing]"),
        "shadowing",
        "phases[1].gate[1]: unknown KT kind(s) 'shadowing'",
    ),
    (
        "KT coverage without kinds",
        lambda t: t.replace("      - kt_coverage: [walkthrough, shadow]", "      - kt_coverage"),
        "- kt_coverage",
        "kt_coverage needs the KT kinds",
    ),
    (
        "KT kinds not a list",
        lambda t: t.replace("[walkthrough, shadow]", "{kinds: shadow, max_tier: 1}"),
        "kinds: shadow",
        "kinds of kt_coverage must be a list",
    ),
    (
        "version too large to store",
        lambda t: t.replace("version: 2", "version: 100000000000000000000"),
        "version: 1000",
        "version must be a positive whole number",
    ),
    (
        "version not an int",
        lambda t: t.replace("version: 2", "version: two"),
        "version: two",
        "version: version must be a positive whole number",
    ),
    (
        "version a float",
        lambda t: t.replace("version: 2", "version: 1.5"),
        "version: 1.5",
        "version must be a positive whole number",
    ),
    (
        "bad name",
        lambda t: t.replace("name: demo", "name: Demo Book"),
        "name: Demo Book",
        "name: String should match pattern",
    ),
    (
        "invalid YAML syntax",
        lambda t: t.replace("    title: Cutover", "    title: Cutover: the last phase"),
        "title: Cutover: the last phase",
        "invalid YAML: mapping values are not allowed",
    ),
    (
        "unclosed flow sequence",  # reported where the parser gives up, naming the start
        lambda t: t.replace("title: Discovery", "title: [Discovery"),
        "duration: 2w",
        "did not find expected ',' or ']' (while parsing a flow sequence that starts on line 8)",
    ),
    (
        "duplicate YAML key",
        lambda t: t.replace("    duration: 10d", "    duration: 10d\n    title: Again"),
        "title: Again",
        "duplicate key",
    ),
]


@pytest.mark.parametrize(
    "name, breaker, marker, message", ERROR_CASES, ids=[c[0] for c in ERROR_CASES]
)
def test_each_error_names_file_line_and_problem(tmp_path, name, breaker, marker, message):
    text = breaker(GOOD)
    assert text != GOOD
    path = write(tmp_path, text)
    nth = 2 if name.startswith("duplicate") and "key" in marker else 1
    expected_line = line_of(text, marker, nth)
    errors = errors_of(path)
    assert len(errors) == 1, errors
    match = re.match(rf"^{re.escape(str(path))}:(\d+):(\d+): (.*)$", errors[0])
    assert match, errors[0]
    assert int(match.group(1)) == expected_line, (errors[0], expected_line)
    assert message in match.group(3), errors[0]


def test_a_typo_in_phases_is_an_error_not_ignored(tmp_path):
    text = GOOD.replace("phases:", "phaes:")
    path = write(tmp_path, text)
    errors = errors_of(path)
    typo = [e for e in errors if "'phaes'" in e]
    assert typo == [
        f"{path}:{line_of(text, 'phaes:')}:1: phaes: unknown key 'phaes' (did you mean 'phases'?)"
    ]
    assert any("missing required key 'phases'" in e for e in errors)


def test_every_error_is_reported_at_once(tmp_path):
    text = (
        GOOD.replace("duration: 2w", "duration: 2x")
        .replace("depends_on: [inventory]", "depends_on: [nope]")
        .replace("systems_registered", "nothing_registered")
    )
    path = write(tmp_path, text)
    errors = errors_of(path)
    assert len(errors) == 3, errors
    lines = [int(e.split(":")[1]) for e in errors]
    assert lines == [
        line_of(text, "duration: 2x"),
        line_of(text, "nothing_registered"),
        line_of(text, "depends_on: [nope]"),
    ]


@pytest.mark.parametrize(
    "content, message",
    [
        ("- just\n- a list\n", "expected a mapping at the top level"),
        ("just a string\n", "expected a mapping at the top level"),
        ("", "expected a mapping at the top level"),
        ("name: demo\ntitle: Demo\nphases: []\n", "phases: Tuple should have at least 1 item"),
        ("name: x\nname: y\n", "name: duplicate key"),
        ("name: !!python/object:os.system echo\n", "could not determine a constructor"),
        ("name: !!python/object/apply:os.system [echo hi]\n", "could not determine a constructor"),
        ("title: x\nname: !!python/name:os.system {a: 1}\n", "could not determine a constructor"),
    ],
)
def test_structurally_wrong_files(tmp_path, content, message):
    path = write(tmp_path, content)
    errors = errors_of(path)
    assert len(errors) == 1 and message in errors[0], errors
    line = 1 if "mapping at the top" in message else content.count("\n")
    assert re.match(rf"^{re.escape(str(path))}:{line}:\d+: ", errors[0]), errors


def test_alias_bomb_fails_fast(tmp_path):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    path = write(tmp_path, "\n".join(lines) + "\nname: demo\n")
    started = time.process_time()  # CPU time, which a busy machine does not stretch
    errors = errors_of(path)
    assert time.process_time() - started < 1.0
    assert len(errors) == 1
    assert re.match(rf"^{re.escape(str(path))}:\d+:\d+: .*alias bomb", errors[0]), errors


def test_deeply_nested_yaml_is_refused(tmp_path):
    path = write(tmp_path, "name: demo\ndescription: " + "[" * 200 + "]" * 200 + "\n")
    errors = errors_of(path)
    assert len(errors) == 1 and errors[0].startswith(f"{path}:2:"), errors
    assert errors[0].endswith(": invalid YAML: nesting deeper than 64 levels")


def test_alias_chain_deeper_than_the_limit_is_refused(tmp_path):
    lines = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 120)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    errors = errors_of(path)
    assert len(errors) == 1 and "nested too deeply" in errors[0], errors


def test_file_over_two_megabytes_is_refused_before_parsing(tmp_path):
    path = write(tmp_path, "name: demo\n# " + "x" * (2 * 1024 * 1024) + "\n")
    started = time.process_time()  # CPU time, which a busy machine does not stretch
    errors = errors_of(path)
    assert time.process_time() - started < 0.5
    assert errors == [
        f"{path}: file is {path.stat().st_size:,} bytes; the limit is 2,097,152 bytes"
    ]


def test_invalid_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: demo\ntitle: Caf\xe9\n")
    assert errors_of(path) == [f"{path}:2: not valid UTF-8 (byte 21)"]


def test_nul_bytes_are_refused(tmp_path):
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"name: demo\x00\n")
    assert errors_of(path) == [f"{path}: contains NUL bytes; not a text file"]


def test_missing_file_and_directory(tmp_path):
    assert errors_of(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: file not found"]
    assert "is a directory" in errors_of(tmp_path)[0]


def test_a_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert load_playbook(path).name == "demo"


def test_libyaml_loader_is_used():
    from transition import yamlfile

    pytest.importorskip("yaml._yaml")
    assert yamlfile._Loader.__name__ == "CSafeLoader"


# --- shipped playbooks -------------------------------------------------------------------


def test_shipped_playbooks_validate_and_use_the_six_phases():
    files = playbook_files()
    assert {"managed-service-onboarding", "dedicated-team-onboarding"} <= set(files)
    for name in ("managed-service-onboarding", "dedicated-team-onboarding"):
        pb = load_playbook(files[name])
        assert [p.key for p in pb.phases] == [
            "discovery",
            "access-setup",
            "ramp-up",
            "parallel-run",
            "cutover",
            "hypercare",
        ]
        for phase in pb.phases:
            assert 3 <= len(phase.tasks) <= 14, (name, phase.key, len(phase.tasks))
            assert phase.gate, (name, phase.key)
        used = {c.name for p in pb.phases for c in p.gate}
        assert {"tasks_done", "systems_registered"} <= used <= set(CRITERIA)
        cutover = next(p for p in pb.phases if p.key == "cutover")
        exercises = next(c for c in cutover.gate if c.name == "exercises")
        assert set(exercises.keys) == {
            "vendor-security-incident",
            "key-person-departure",
            "regulatory-audit",
        }
        assert "go_decision" in {c.name for c in cutover.gate}


def test_shipped_files_all_pass_validate_on_the_command_line(offline_cli):
    paths = sorted(resources.shipped("playbooks").glob("*.yaml"))
    assert len(paths) >= 2
    result = offline_cli("playbook", "validate", *paths)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert all(f"{p}: ok (" in result.stdout for p in paths)


def test_user_playbook_folder_is_searched_first(tmp_path, setting, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    write(folder, GOOD, "managed-service-onboarding.yaml")
    setting("TRANSITION_PLAYBOOKS", str(folder))
    pb, raw, path = resolve_playbook("managed-service-onboarding")
    assert pb.name == "demo" and path.parent == folder and raw == GOOD.encode()


def test_a_playbook_is_found_by_the_name_it_declares(tmp_path, setting):
    """``playbook list`` shows a playbook's ``name:``; that name finds it wherever its
    file is and whatever the file is called (in any case), the newest version when
    several files declare it; a file name still finds its own file."""
    folder = tmp_path / "mine"
    folder.mkdir()
    write(folder, GOOD.replace("name: demo", "name: acme-onboarding"), "copy-of-book.yaml")
    older = GOOD.replace("name: demo", "name: acme-onboarding").replace("version: 2", "version: 1")
    write(folder, older, "acme-v1.yaml")
    setting("TRANSITION_PLAYBOOKS", str(folder))
    pb, _, path = resolve_playbook("acme-onboarding")
    assert (pb.name, pb.version, path.name) == ("acme-onboarding", 2, "copy-of-book.yaml")
    assert resolve_playbook("ACME-ONBOARDING")[2].name == "copy-of-book.yaml"
    assert resolve_playbook("acme-v1")[0].version == 1
    assert "acme-onboarding" in playbook_names()
    with pytest.raises(NotFound) as refused:
        resolve_playbook("nothing-by-this-name")
    assert "acme-onboarding" in str(refused.value) and "acme-v1" not in str(refused.value)


def test_an_engagement_starts_from_the_name_playbook_list_shows(cli, tmp_path, setting):
    folder = tmp_path / "mine"
    folder.mkdir()
    write(folder, GOOD.replace("name: demo", "name: acme-onboarding"), "my-file.yaml")
    setting("TRANSITION_PLAYBOOKS", str(folder))
    listed = cli("playbook", "list", "--json")
    assert "acme-onboarding" in {row["name"] for row in listed.json()}
    shown = cli("playbook", "show", "acme-onboarding")
    assert shown.exit_code == 0 and "(acme-onboarding v2)" in shown.stdout, shown.stderr
    made = cli("engagement", "new", "Acme", "--playbook", "acme-onboarding")
    assert made.exit_code == 0, made.stderr
    assert cli("engagement", "show", "acme", "--json").json()["playbook"] == "acme-onboarding"


# --- the command line --------------------------------------------------------------------


def test_validate_exit_codes_and_error_lines(offline_cli, tmp_path):
    good = write(tmp_path, GOOD, "good.yaml")
    bad_text = GOOD.replace("duration: 2w", "duration: 2x").replace("phases:", "phaes:")
    bad = write(tmp_path, bad_text, "bad.yaml")
    worse = write(tmp_path, GOOD.replace("[inventory]", "[nope]"), "worse.yaml")

    ok = offline_cli("playbook", "validate", good)
    assert ok.exit_code == 0 and ok.stdout.startswith(f"{good}: ok (demo v2, 2 phases, 3 tasks)")

    result = offline_cli("playbook", "validate", good, bad, worse)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert all(line.startswith("error: ") for line in lines)
    assert all(re.match(r"^error: .+\.yaml:\d+(:\d+)?: ", line) for line in lines), lines
    assert any(f"{bad}:{line_of(bad_text, 'phaes:')}:1: phaes: unknown key" in x for x in lines)
    assert any(f"{worse}:" in line and "unknown task key 'nope'" in line for line in lines)
    assert f"{good}: ok" in result.stdout


def test_validate_missing_file(offline_cli, tmp_path):
    result = offline_cli("playbook", "validate", tmp_path / "nope.yaml")
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / 'nope.yaml'}: file not found\n"


def test_playbook_list_json(offline_cli, tmp_path, setting, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    write(folder, GOOD, "demo.yaml")
    write(folder, "name: [\n", "broken.yaml")
    setting("TRANSITION_PLAYBOOKS", str(folder))
    result = offline_cli("playbook", "list", "--json")
    assert result.exit_code == 0, result.stderr
    rows = {row["name"]: row for row in result.json()}
    assert {"demo", "broken", "managed-service-onboarding", "dedicated-team-onboarding"} <= set(
        rows
    )
    demo = rows["demo"]
    assert demo == {
        "name": "demo",
        "title": "Demo playbook",
        "version": 2,
        "phases": ["discovery", "cutover"],
        "tasks": 3,
        "handover": "standard-exit",
        "path": str(folder / "demo.yaml"),
    }
    assert rows["broken"]["title"].startswith("INVALID: ")
    text = offline_cli("playbook", "list")
    assert text.exit_code == 0 and "managed-service-onboarding" in text.stdout


def test_playbook_show_json_and_text(offline_cli):
    result = offline_cli("playbook", "show", "managed-service-onboarding", "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["name"] == "managed-service-onboarding"
    assert isinstance(data["version"], int)
    phase = data["phases"][0]
    assert set(phase) >= {"key", "title", "duration", "tasks", "gate"}
    task = phase["tasks"][0]
    assert set(task) >= {"key", "title", "owner", "due", "depends_on", "description"}
    assert isinstance(task["depends_on"], list)
    assert {"name", "kinds", "max_tier"} <= set(phase["gate"][0])
    text = offline_cli("playbook", "show", "managed-service-onboarding")
    assert text.exit_code == 0 and "gate: tasks_done" in text.stdout


def test_playbook_show_unknown(offline_cli):
    result = offline_cli("playbook", "show", "no-such-book")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown playbook 'no-such-book' (known: ")
    assert len(result.stderr.splitlines()) == 1


def test_the_readme_example_playbook_is_valid(tmp_path):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- section:playbooks -->", 1)[1].split("<!-- section:", 1)[0]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example, "the playbook section shows a YAML example"
    pb = load_playbook(write(tmp_path, example.group(1)))
    used = {c.name for p in pb.phases for c in p.gate}
    assert used == set(CRITERIA)  # the example shows every criterion
