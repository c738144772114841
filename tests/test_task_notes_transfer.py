"""Task notes travel with their engagement: exported, imported (onto the new ids),
validated like the commands validate them, and deleted with the engagement."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from transition.cli.main import app


def run(url: str, *args):
    return CliRunner().invoke(app, ["--db", url, *map(str, args)])


def _ok(result) -> None:
    assert result.exit_code == 0, result.stderr


def _noted(cli, acme, tmp_path: Path) -> Path:
    _ok(cli("task", "add", acme, "--phase", "discovery", "--key", "extra", "--title", "Extra"))
    _ok(cli("task", "note", acme, "kickoff-workshop", "Agenda sent"))
    _ok(cli("task", "note", acme, "extra", "Two lines\nof notes"))
    path = tmp_path / "notes.json"
    _ok(cli("export", acme, "-o", path))
    return path


def test_notes_are_exported_and_imported_onto_their_tasks(cli, acme, tmp_path):
    path = _noted(cli, acme, tmp_path)
    [bundle] = json.loads(path.read_text())["engagements"]
    assert [n["text"] for n in bundle["task_notes"]] == ["Agenda sent", "Two lines\nof notes"]
    tasks = {t["id"]: t["key"] for t in bundle["tasks"]}
    assert [tasks[n["task_id"]] for n in bundle["task_notes"]] == ["kickoff-workshop", "extra"]
    other = f"sqlite:///{tmp_path / 'other.db'}"
    result = run(other, "import", path)
    assert result.exit_code == 0, result.stderr
    shown = run(other, "task", "show", acme, "extra", "--json")
    assert shown.exit_code == 0, shown.stderr
    assert [n["text"] for n in json.loads(shown.stdout)["notes"]] == ["Two lines\nof notes"]
    assert run(other, "audit", acme, "--verify").exit_code == 0
    again = tmp_path / "again.json"
    assert run(other, "export", acme, "-o", again).exit_code == 0
    [copy] = json.loads(again.read_text())["engagements"]
    assert [n["text"] for n in copy["task_notes"]] == ["Agenda sent", "Two lines\nof notes"]


def test_a_file_without_notes_imports(cli, acme, tmp_path):
    """Files written before notes were exported have no section for them."""
    path = _noted(cli, acme, tmp_path)
    document = json.loads(path.read_text())
    bundle = document["engagements"][0]
    del bundle["task_notes"]
    bundle["audit_events"] = [e for e in bundle["audit_events"] if e["entity"] != "task_note"]
    path.write_text(json.dumps(document))
    other = f"sqlite:///{tmp_path / 'other.db'}"
    result = run(other, "import", path)
    assert result.exit_code == 0, result.stderr


def test_bad_notes_are_refused_with_their_location(cli, acme, tmp_path):
    path = _noted(cli, acme, tmp_path)
    document = json.loads(path.read_text())
    for column, value, message in (
        ("task_id", 999999, "task_notes[0].task_id: 999999 is not in tasks"),
        ("text", "bell\x07", "task_notes[0].text"),
        ("text", "password=hunter2hunter2", "task_notes[0].text: looks like it contains"),
        ("author", "x" * 201, "task_notes[0].author"),
    ):
        bad = json.loads(json.dumps(document))
        bad["engagements"][0]["task_notes"][0][column] = value
        target = tmp_path / "bad.json"
        target.write_text(json.dumps(bad))
        other = f"sqlite:///{tmp_path / 'other.db'}"
        result = run(other, "import", target)
        assert result.exit_code == 2, (column, result.stdout)
        assert message in result.stderr, result.stderr
        assert "acme" not in run(other, "engagement", "list").stdout


def test_an_engagement_with_notes_is_deleted(cli, acme, tmp_path):
    _noted(cli, acme, tmp_path)
    _ok(cli("engagement", "archive", acme))
    result = cli("engagement", "delete", acme, "--confirm", acme)
    assert result.exit_code == 0, result.stderr
    assert "unknown engagement" in cli("task", "list", acme).stderr
    [final] = [line for line in result.stdout.splitlines() if line.startswith("final export: ")]
    [bundle] = json.loads(Path(final.removeprefix("final export: ")).read_text())["engagements"]
    assert len(bundle["task_notes"]) == 2
