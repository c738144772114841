"""Bad input of every kind: each gives ``error:`` lines, the documented exit code, no
traceback, and a database exactly as before (full dump compared).

The committed corpus lives in ``tests/bad_inputs/<kind>/``; large and hostile files (50 MB,
10,000 nesting levels, alias bombs, NUL bytes) are generated at test time. Bad arguments
cover every command of the CLI contract. The session prints how many inputs were tried
per kind.
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import ACME, BACKENDS, shared_database
from safety import assert_clean_error, dump

CORPUS = Path(__file__).with_name("bad_inputs")
TRIED: Counter = Counter()
MB = 1024 * 1024


def _files(kind: str, pattern: str = "*") -> list[Path]:
    return sorted(p for p in (CORPUS / kind).glob(pattern) if p.is_file())


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    yield
    if TRIED:
        lines = ", ".join(f"{kind}: {n}" for kind, n in sorted(TRIED.items()))
        sys.stderr.write(f"\nbad inputs tried per kind: {lines}\n")


def _world(cli) -> None:
    """acme with a system, two people, a grant, a KT session and a runbook."""
    acme = "acme-helpdesk"
    steps = [
        ACME,
        ("system", "add", acme, "Ticketing", "--tier", "1"),
        ("person", "add", acme, "Sam New", "--side", "provider"),
        ("person", "add", acme, "Dana Old", "--side", "incumbent", "--release", "2027-03-31"),
        ("access", "grant", acme, "--person", "Sam New", "--system", "Ticketing", "--role",
         "agent", "--expires", "2027-06-30", "--justification", "triage"),
        ("kt", "schedule", acme, "--system", "Ticketing", "--topic", "Queues",
         "--presenter", "Dana Old", "--attendee", "Sam New", "--at", "2026-11-20T10:00"),
        ("kt", "hold", acme, "1"),
        ("kt", "schedule", acme, "--system", "Ticketing", "--topic", "Batch jobs",
         "--presenter", "Dana Old", "--attendee", "Sam New", "--at", "2026-11-27T10:00"),
    ]  # fmt: skip
    for step in steps:
        result = cli(*step)
        assert result.exit_code == 0, (step, result.stderr)


@pytest.fixture(scope="module", params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """One database per backend for the whole module, built once: every test here proves
    that a bad input changes nothing (the full dump compared), so each finds the world
    exactly as it was built."""
    with shared_database(request.param, tmp_path_factory, _world) as url:
        yield url


@pytest.fixture
def acme(db_url) -> str:
    return "acme-helpdesk"


@pytest.fixture
def world(db_url) -> str:
    return "acme-helpdesk"


@pytest.fixture
def refused(cli, db_url):
    """``refused(code, *args)``: the command fails cleanly and changes nothing."""

    def check(code: int, *args: str, kind: str | None = None):
        before = dump(db_url)
        result = cli(*args)
        assert_clean_error(result, code)
        assert dump(db_url) == before, f"database changed by {args}"
        if kind:
            TRIED[kind] += 1
        return result

    return check


# --------------------------------------------------------------------------- hostile files


def _alias_bomb(levels: int = 10) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + f"\nname: bomb\ntitle: Bomb\nphases: *a{levels - 1}\n"


def _deep_flow(levels: int = 10_000) -> str:
    return "name: deep\ntitle: Deep\nphases: " + "[" * levels + "]" * levels + "\n"


def _deep_block(levels: int = 10_000) -> str:
    return "".join(f"{' ' * i}k{i}:\n" for i in range(levels)) + " " * levels + "leaf\n"


def _hostile_yaml(tmp_path: Path) -> dict[str, Path]:
    """Hostile YAML files shared by playbooks, checklists and template front matter."""
    files = {
        "alias-bomb.yaml": _alias_bomb(),
        "deep-flow-10000.yaml": _deep_flow(),
        "deep-block-10000.yaml": _deep_block(),
        "deep-anchors.yaml": "a: &x [" + "[" * 500 + "]" * 500 + "]\nb: [*x, *x, *x]\n",
    }
    out = {}
    for name, text in files.items():
        out[name] = tmp_path / name
        out[name].write_text(text)
    big = tmp_path / "fifty-mb.yaml"
    with big.open("w") as handle:
        handle.write("name: big\ntitle: Big\nphases:\n")
        chunk = "  - {key: p, title: P, duration: 1d}\n" * 10_000
        while handle.tell() < 50 * MB:
            handle.write(chunk)
    out["fifty-mb.yaml"] = big
    (tmp_path / "nul.yaml").write_bytes(b"name: a\x00b\ntitle: t\n")
    out["nul.yaml"] = tmp_path / "nul.yaml"
    (tmp_path / "bad-utf8.yaml").write_bytes(b"name: caf\xc3\x28\ntitle: t\n")
    out["bad-utf8.yaml"] = tmp_path / "bad-utf8.yaml"
    folder = tmp_path / "a-folder.yaml"
    folder.mkdir()
    out["directory.yaml"] = folder
    out["missing.yaml"] = tmp_path / "does-not-exist.yaml"
    return out


# --------------------------------------------------------------------------- playbooks


@pytest.mark.parametrize("path", _files("playbooks"), ids=lambda p: p.name)
def test_bad_playbook_files(path, acme, refused):
    result = refused(2, "playbook", "validate", str(path), kind="playbooks")
    assert str(path) in result.stderr or path.name in result.stderr
    refused(2, "engagement", "new", "From Bad", "--playbook", str(path), kind="playbooks")


def test_hostile_playbook_files(acme, refused, tmp_path):
    for name, path in _hostile_yaml(tmp_path).items():
        result = refused(2, "playbook", "validate", str(path), kind="playbooks")
        assert len(result.stderr) < 5000, name
        refused(2, "engagement", "new", "Hostile", "--playbook", str(path), kind="playbooks")
    assert not Path("/tmp/transition-pwned").exists()


def test_one_bad_playbook_among_good_ones_fails_validation(offline_cli, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("name: good\ntitle: Good\nphases:\n  - {key: a, title: A, duration: 5d}\n")
    bad = CORPUS / "playbooks" / "dependency-cycle.yaml"
    result = offline_cli("playbook", "validate", str(good), str(bad))
    assert_clean_error(result, 2)
    assert "dependency cycle" in result.stderr
    assert offline_cli("playbook", "validate", str(good)).exit_code == 0


# --------------------------------------------------------------------------- checklists


@pytest.mark.parametrize("path", _files("checklists"), ids=lambda p: p.name)
def test_bad_exit_checklist_files(path, world, refused):
    refused(2, "handover", "import", world, str(path), kind="checklists")


def test_hostile_exit_checklist_files(world, refused, tmp_path):
    for path in _hostile_yaml(tmp_path).values():
        refused(2, "handover", "import", world, str(path), kind="checklists")


# --------------------------------------------------------------------------- CSV


@pytest.mark.parametrize("path", _files("csv"), ids=lambda p: p.name)
def test_bad_access_csv_files(path, world, refused):
    refused(2, "access", "import", world, str(path), kind="csv")


def test_hostile_access_csv_files(world, refused, tmp_path):
    header = "person,system,role,expires,justification\n"
    cases = {
        "huge-field.csv": header + "Sam New,Ticketing,agent,2027-01-01," + "x" * (2 * MB) + "\n",
        "many-columns.csv": ",".join(f"c{i}" for i in range(100_000)) + "\n",
        "only-newlines.csv": "\n" * 10_000,
        "header-nul.csv": None,
        "bom-then-garbage.csv": "\ufeff\u202e\u200b,,,,\n",
        "utf16.csv": None,
        "controls-in-every-field.csv": header + "\x1b,\x07,\x08,\x7f,\x1b\n",
        "name-path.csv": header + "../../etc/passwd,/,agent,2027-01-01,x\n",
        "date-2026-02-30.csv": header + "Sam New,Ticketing,viewer,2026-02-30,x\n",
        "negative-year.csv": header + "Sam New,Ticketing,viewer,-2027-01-01,x\n",
    }
    for name, text in cases.items():
        path = tmp_path / name
        if name == "header-nul.csv":
            path.write_bytes(b"person,sys\x00tem,role,expires,justification\n")
        elif name == "utf16.csv":
            path.write_bytes((header + "Sam New,Ticketing,agent,2027-01-01,x\n").encode("utf-16"))
        else:
            path.write_text(text)
        refused(2, "access", "import", world, str(path), kind="csv")
    big = tmp_path / "fifty-mb.csv"
    with big.open("w") as handle:
        handle.write(header)
        row = "Sam New,Ticketing,role-{},2027-01-01,bulk\n"
        i = 0
        while handle.tell() < 50 * MB + 1:
            handle.write("".join(row.format(i + k) for k in range(10_000)))
            i += 10_000
    refused(2, "access", "import", world, str(big), kind="csv")
    refused(2, "access", "import", world, str(tmp_path / "missing.csv"), kind="csv")
    refused(2, "access", "import", world, str(tmp_path), kind="csv")


# --------------------------------------------------------------------------- templates


def _runbook_args(eng: str, name: str, folder: Path, out: Path) -> list[str]:
    return [
        "runbook", "new", eng, "--system", "Ticketing", "--template", name,
        "--templates", str(folder), "--out", str(out),
    ]  # fmt: skip


@pytest.mark.parametrize("path", _files("templates", "*.md.j2"), ids=lambda p: p.name)
def test_bad_runbook_templates(path, world, refused, tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    shutil.copy(path, folder / path.name)
    name = path.name.removesuffix(".md.j2")
    out = tmp_path / "out"
    refused(2, *_runbook_args(world, name, folder, out), kind="templates")
    assert not out.exists() or not any(out.rglob("*.md")), "a file was written"
    refused(2, *_runbook_args(world, name, folder, out), "--dry-run", kind="templates")
    assert not Path("/tmp/transition-pwned").exists()


def test_hostile_runbook_templates(world, refused, tmp_path):
    front = "---\ntitle: Hostile\n---\n"
    cases = {
        "deep-ifs": "{% if true %}" * 10_000 + "x" + "{% endif %}" * 10_000,
        "deep-loops": "{% for i in [1] %}" * 40 + "x" + "{% endfor %}" * 40,
        "deep-parens": "{{ " + "(" * 10_000 + "1" + ")" * 10_000 + " }}",
        "recursive-macro": "{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}",
        "string-bomb": "{% set s = 'x' * 1000 %}{{ s * 1000000 }}",
        "list-bomb": "{{ [0] * 10**8 }}",
        "power-bomb": "{{ 7 ** 99999999 }}",
        "center-bomb": "{{ 'x'.center(10**8) }}",
        "deep-front-matter": "---\nvariables: " + "[" * 10_000 + "]" * 10_000 + "\n---\nx",
        "alias-bomb-front-matter": "---\n"
        + _alias_bomb().replace("phases:", "variables:")
        + "---\nx",
    }
    for name, body in cases.items():
        folder = tmp_path / name
        folder.mkdir()
        text = body if body.startswith("---") else front + body
        (folder / f"{name}.md.j2").write_text(text)
        out = tmp_path / f"out-{name}"
        refused(2, *_runbook_args(world, name, folder, out), kind="templates")
        assert not out.exists() or not any(out.rglob("*.md"))
    big = tmp_path / "big"
    big.mkdir()
    (big / "big.md.j2").write_text(front + "x" * (50 * MB))
    refused(2, *_runbook_args(world, "big", big, tmp_path / "out-big"), kind="templates")
    for bad_name in ("../../etc/passwd", "/etc/passwd", "a/b", "x\x00y", "UPPER CASE", ""):
        refused(2, *_runbook_args(world, bad_name, big, tmp_path / "o"), kind="templates")


def test_template_folder_listing_reports_every_bad_template(offline_cli, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for path in _files("templates", "front-matter-*.md.j2"):
        shutil.copy(path, folder / path.name)
    result = offline_cli("runbook", "templates", "--templates", str(folder))
    assert_clean_error(result, 2)
    assert len(result.stderr.splitlines()) >= 2


# --------------------------------------------------------------------------- exports


@pytest.mark.parametrize("path", _files("exports"), ids=lambda p: p.name)
def test_bad_export_files(path, world, refused):
    refused(2, "import", str(path), kind="exports")


def test_hostile_export_files(world, refused, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 10_000 + "]" * 10_000)
    deep_obj = tmp_path / "deep-object.json"
    deep_obj.write_text('{"a":' * 10_000 + "1" + "}" * 10_000)
    big = tmp_path / "fifty-mb.json"
    big.write_text(
        '{"format": "transition-export", "schema_version": 1, "db_schema": "0001", '
        '"engagements": [], "padding": "' + "x" * (50 * MB) + '"}'
    )
    nul = tmp_path / "nul.json"
    nul.write_bytes(b'{"format": "transition-export\x00"}')
    folder = tmp_path / "folder.json"
    folder.mkdir()
    for path in (deep, deep_obj, big, nul, folder, tmp_path / "missing.json"):
        refused(2, "import", str(path), kind="exports")


def test_importing_an_engagement_that_exists_is_refused(cli, world, refused, tmp_path):
    exported = tmp_path / "acme.json"
    assert cli("export", world, "-o", str(exported)).exit_code == 0
    result = refused(1, "import", str(exported), kind="exports")
    assert "already exist" in result.stderr


# --------------------------------------------------------------------------- arguments

BAD_DATES = ["2026-02-30", "2026-13-01", "tomorrow", "26-11-02", "2026-11-02T25:00", "0000-00-00"]


def _bad_arguments(eng: str, tmp: Path) -> list[tuple[int, list[str]]]:
    """(exit code, arguments) for every command of the CLI contract."""
    cases: list[tuple[int, list[str]]] = [
        (2, ["no-such-command"]),
        (2, ["--db"]),
        (2, ["--actor", "bad\x1bactor", "engagement", "list"]),
        (2, ["init", "extra-argument"]),
        (2, ["tui", eng, "extra"]),
        (2, ["tui", "no-such-engagement"]),
        (2, ["playbook", "list", "--jsn"]),
        (2, ["playbook", "show", "no-such-playbook"]),
        (2, ["playbook", "show", "../../etc/passwd"]),
        (2, ["playbook", "validate"]),
        (2, ["playbook", "validate", str(tmp / "missing.yaml")]),
        (2, ["engagement", "new"]),
        (2, ["engagement", "new", "X"]),
        (2, ["engagement", "new", "X", "--playbook", "no-such-playbook"]),
        (2, ["engagement", "new", "", "--playbook", "managed-service-onboarding"]),
        (2, ["engagement", "new", "../..", "--playbook", "managed-service-onboarding"]),
        (2, ["engagement", "new", "Bad\nName", "--playbook", "managed-service-onboarding"]),
        (2, ["engagement", "new", "Bad\x07Bell", "--playbook", "managed-service-onboarding"]),
        (2, ["engagement", "new", "x" * 500, "--playbook", "managed-service-onboarding"]),
        (2, ["engagement", "new", "X", "--playbook", "managed-service-onboarding",
             "--model", "outsourcing-ish"]),
        (2, ["engagement", "new", "X", "--playbook", "managed-service-onboarding",
             "--location", "moon"]),
        (1, ["engagement", "new", "Acme Helpdesk", "--playbook", "managed-service-onboarding"]),
        (1, ["engagement", "new", "ACME  helpdesk!", "--playbook", "managed-service-onboarding"]),
        (2, ["engagement", "show", "no-such-engagement"]),
        (2, ["engagement", "show"]),
        (2, ["phase", "status", "nope"]),
        (1, ["phase", "advance", eng]),
        (2, ["phase", "advance", eng, "--override", "password=hunter2"]),
        (2, ["phase", "advance", "nope", "--override", "because"]),
        (2, ["task", "list", eng, "--phase", "no-such-phase"]),
        (2, ["task", "list", eng, "--status", "exploded"]),
        (2, ["task", "list", "nope"]),
        (2, ["task", "done", eng, "no-such-task"]),
        (1, ["task", "done", eng, "stakeholder-map"]),
        (2, ["task", "done", eng, "kickoff-workshop", "--note", "-----BEGIN PRIVATE KEY-----"]),
        (2, ["task", "set", eng, "kickoff-workshop"]),
        (2, ["task", "set", eng, "kickoff-workshop", "--status", "finished"]),
        (2, ["task", "set", eng, "../kickoff", "--status", "done"]),
        (2, ["task", "assign", eng, "kickoff-workshop", "Nobody Known"]),
        (2, ["task", "assign", eng, "no-such-task", "Sam New"]),
        (2, ["system", "add", eng, "Thing", "--tier", "0"]),
        (2, ["system", "add", eng, "Thing", "--tier", "4"]),
        (2, ["system", "add", eng, "Thing", "--tier", "one"]),
        (2, ["system", "add", eng, "/"]),
        (2, ["system", "add", eng, "tab\there"]),
        (2, ["system", "add", eng, "Thing", "--description", "api_key=abc123"]),
        (1, ["system", "add", eng, "ticketing"]),
        (2, ["system", "list", "nope"]),
        (2, ["system", "remove", eng, "No Such System"]),
        (2, ["system", "owner", eng, "No Such System", "Nobody"]),
        (2, ["system", "owner", eng, "ticketing", "Nobody", "--as", "owner"]),
        (2, ["system", "owner", eng, "ticketing", "Nobody", "--as", "chief"]),
        (2, ["system", "topic", eng, "ticketing", "rename", "Thing"]),
        (2, ["system", "topic", eng, "ticketing", "add", "bad\ntopic"]),
        (2, ["system", "topic", eng, "ticketing", "add", "--"]),
        (2, ["system", "topic", eng, "ticketing", "remove", "No such topic"]),
        (2, ["kt", "coverage", "nope"]),
        (2, ["person", "add", eng, "Pat"]),
        (2, ["person", "add", eng, "Pat", "--side", "vendor"]),
        (2, ["person", "add", eng, "Pat\x00Nul", "--side", "client"]),
        (2, ["person", "add", eng, "..", "--side", "client"]),
        (1, ["person", "add", eng, "sam new", "--side", "client"]),
        (2, ["person", "list", "nope"]),
        (2, ["access", "grant", eng, "--person", "Sam New", "--system", "Ticketing"]),
        (2, ["access", "grant", eng, "--person", "Nobody", "--system", "Ticketing",
             "--role", "r"]),
        (2, ["access", "grant", eng, "--person", "Sam New", "--system", "Nowhere",
             "--role", "r"]),
        (2, ["access", "grant", eng, "--person", "Sam New", "--system", "Ticketing",
             "--role", "r", "--justification", "token: ghp_" + "a" * 36]),
        (2, ["access", "grant", eng, "--person", "Sam New", "--system", "Ticketing",
             "--role", "r", "--justification", "AKIAIOSFODNN7EXAMPLE"]),
        (2, ["access", "revoke", eng, "not-a-number"]),
        (2, ["access", "revoke", eng, "99999"]),
        (2, ["access", "revoke", eng, "-1"]),
        (2, ["access", "revoke", eng, "1", "--reason", "xoxb-1234567890-abcdefghij"]),
        (2, ["access", "list", eng, "--expiring", "-5"]),
        (2, ["access", "list", eng, "--expiring", "soon"]),
        (2, ["access", "import", eng]),
        (2, ["access", "import", eng, str(tmp / "missing.csv")]),
        (2, ["access", "review", "nope"]),
        (2, ["kt", "schedule", eng, "--system", "Ticketing", "--topic", "T",
             "--presenter", "Dana Old"]),
        (2, ["kt", "schedule", eng, "--system", "Ticketing", "--topic", "T",
             "--presenter", "Nobody", "--at", "2026-12-01T10:00"]),
        (2, ["kt", "schedule", eng, "--system", "Ticketing", "--topic", "T",
             "--presenter", "Dana Old", "--at", "2026-12-01T10:00", "--kind", "osmosis"]),
        (2, ["kt", "schedule", eng, "--system", "Ticketing", "--topic", "T",
             "--presenter", "Dana Old", "--at", "2026-12-01T10:00", "--minutes", "-30"]),
        (2, ["kt", "schedule", eng, "--system", "Ticketing", "--topic", "T",
             "--presenter", "Dana Old", "--at", "2026-12-01T10:00", "--minutes", "0"]),
        (2, ["kt", "schedule", eng, "--system", "Ticketing", "--topic", "password=x",
             "--presenter", "Dana Old", "--at", "2026-12-01T10:00"]),
        (2, ["kt", "hold", eng, "abc"]),
        (2, ["kt", "hold", eng, "424242"]),
        (2, ["kt", "signoff", eng, "1"]),
        (2, ["kt", "signoff", eng, "1", "--by", "Sam New", "--confidence", "9"]),
        (2, ["kt", "signoff", eng, "1", "--by", "Sam New", "--confidence", "0"]),
        (2, ["kt", "signoff", eng, "1", "--by", "Nobody"]),
        (1, ["kt", "signoff", eng, "2", "--by", "Sam New"]),
        (1, ["kt", "signoff", eng, "1", "--by", "Dana Old"]),
        (2, ["kt", "signoff", eng, "1", "--by", "Sam New", "--follow-ups",
             "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0"]),
        (2, ["kt", "list", "nope"]),
        (2, ["kt", "ics", eng, "-o", str(tmp / "no-such-folder" / "x.ics")]),
        (2, ["kt", "ics", eng, "-o", str(tmp)]),
        (2, ["runbook", "templates", "--templates", str(tmp / "no-such-folder")]),
        (2, ["runbook", "new", eng, "--system", "Ticketing"]),
        (2, ["runbook", "new", eng, "--system", "Ticketing", "--template", "no-such"]),
        (2, ["runbook", "new", eng, "--system", "Nowhere", "--template", "service-restart"]),
        (2, ["runbook", "new", eng, "--system", "Ticketing", "--template", "service-restart",
             "--set", "no-equals-sign", "--out", str(tmp / "rb")]),
        (2, ["runbook", "new", eng, "--system", "Ticketing", "--template", "service-restart",
             "--set", "dashboard=password=x", "--out", str(tmp / "rb")]),
        (2, ["runbook", "list", "nope"]),
        (2, ["runbook", "status", eng, "abc", "drafted"]),
        (2, ["runbook", "status", eng, "999", "reviewed"]),
        (2, ["handover", "show", "nope"]),
        (2, ["handover", "sync", "nope"]),
        (2, ["handover", "export", eng, "-o", str(tmp / "no-such-folder" / "x.yaml")]),
        (2, ["handover", "export", eng, "--name", "///"]),
        (2, ["handover", "import", eng, str(tmp / "missing.yaml")]),
        (2, ["handover", "upgrade", "nope"]),
        (2, ["handover", "upgrade", eng, "--to", str(tmp / "missing.yaml")]),
        (2, ["handover", "upgrade", eng, "--to", "no-such-checklist"]),
        (2, ["handover", "upgrade", eng, "--to", "../../etc/passwd"]),
        (2, ["report", eng, "--format", "pdf"]),
        (2, ["report", "nope"]),
        (2, ["report", eng, "-o", str(tmp)]),
        (2, ["export", "nope"]),
        (2, ["export", "-o", str(tmp / "no-such-folder" / "x.json")]),
        (2, ["import"]),
        (2, ["import", str(tmp / "missing.json")]),
        (2, ["audit", "nope"]),
        (2, ["audit", eng, "--limit", "0"]),
        (2, ["demo", "extra"]),
        (2, ["undo", "nope"]),
        (2, ["undo", eng, "--last", "0"]),
        (2, ["undo", eng, "--last", "many"]),
        (2, ["undo", "--last", "101"]),
    ]  # fmt: skip
    for date in BAD_DATES:
        cases += [
            (2, ["engagement", "new", "X", "--playbook", "managed-service-onboarding",
                 "--start", date]),
            (2, ["person", "add", eng, "Pat", "--side", "client", "--release", date]),
            (2, ["access", "grant", eng, "--person", "Sam New", "--system", "Ticketing",
                 "--role", "viewer", "--expires", date]),
            (2, ["kt", "schedule", eng, "--system", "Ticketing", "--topic", "T",
                 "--presenter", "Dana Old", "--at", date]),
            (2, ["report", eng, "--since", date]),
        ]  # fmt: skip
    return cases


def test_bad_arguments_for_every_command(world, refused, tmp_path):
    failures = []
    for code, args in _bad_arguments(world, tmp_path):
        try:
            refused(code, *args, kind="arguments")
        except AssertionError as exc:
            failures.append(f"{args}: {str(exc)[:300]}")
    assert failures == [], "\n".join(failures)
    assert not (tmp_path / "rb").exists() or not any((tmp_path / "rb").rglob("*.md"))


#: Every command of the CLI contract.
CONTRACT_COMMANDS = [
    "init", "demo", "tui", "report", "export", "import", "audit", "undo",
    "playbook list", "playbook show", "playbook validate",
    "engagement new", "engagement list", "engagement show",
    "phase status", "phase advance",
    "task list", "task done", "task set", "task assign",
    "system add", "system list", "person add", "person list",
    "access grant", "access revoke", "access list", "access import", "access review",
    "kt schedule", "kt hold", "kt signoff", "kt list", "kt ics",
    "runbook templates", "runbook new", "runbook list", "runbook status",
    "handover show", "handover sync", "handover export", "handover import", "handover upgrade",
]  # fmt: skip
TOP_LEVEL = {"init", "demo", "tui", "report", "export", "import", "audit", "undo"}
# Commands that take no input worth getting wrong beyond an unknown engagement or flag.
ARGUMENT_FREE = {"engagement list"}


def test_every_contract_command_has_bad_argument_cases(tmp_path):
    covered = set()
    for _, args in _bad_arguments("e", tmp_path):
        covered.add(args[0] if args[0] in TOP_LEVEL else " ".join(args[:2]))
    missing = [c for c in CONTRACT_COMMANDS if c not in covered and c not in ARGUMENT_FREE]
    assert missing == []
