"""export → import → export is lossless; duplicates and bad files are refused untouched."""

from __future__ import annotations

import json
import os
import re
import stat
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from transition.cli.main import app
from transition.demo import load_demo
from transition.services.transfer import ENTITY_SECTION, REFERENCES, SECTIONS, SOURCE_SECTION

TODAY = "2026-11-23"


def run(url: str, *args: Any):
    result = CliRunner().invoke(app, ["--db", url, *map(str, args)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def normalise(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Ids replaced by their position in the file, so two exports of the same data from
    databases with different ids compare equal; ``exported_at`` dropped."""
    out = []
    for bundle in sorted(document["engagements"], key=lambda b: b["engagement"]["slug"]):
        index: dict[str, dict[int, int]] = {"engagement": {bundle["engagement"]["id"]: 0}}
        for name in SECTIONS:
            index[name] = {row["id"]: n for n, row in enumerate(bundle[name]) if "id" in row}
        copy: dict[str, Any] = {"engagement": dict(bundle["engagement"], id=0)}
        for name in SECTIONS:
            rows = []
            for row in bundle[name]:
                if name == "audit_events" and row["action"] == "import":
                    continue  # the receiving database's record of the import
                row = dict(row)
                if "id" in row:
                    row["id"] = index[name][row["id"]]
                if "engagement_id" in row:
                    row["engagement_id"] = 0
                for column, target in REFERENCES[name].items():
                    if row.get(column) is not None:
                        row[column] = index[target][row[column]]
                if name == "handover_items" and row["source_kind"]:
                    target = SOURCE_SECTION[row["source_kind"]]
                    row["source_id"] = index[target].get(row["source_id"], row["source_id"])
                    row["key"] = re.sub(r":\d+:", f":{row['source_id']}:", row["key"])
                if name == "audit_events" and row["entity_id"] is not None:
                    target = ENTITY_SECTION.get(row["entity"])
                    if target:
                        row["entity_id"] = index[target].get(row["entity_id"], row["entity_id"])
                rows.append(row)
            copy[name] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))
        out.append(copy)
    return out


@pytest.fixture
def demo_url(db_url: str, engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("TRANSITION_TODAY", TODAY)
    from transition import db

    with db.session_scope(engine, actor="tester") as session:
        load_demo(session, today=date.fromisoformat(TODAY), runbook_dir=tmp_path / "rb")
    return db_url


def test_round_trip_into_a_database_with_other_ids(demo_url: str, tmp_path: Path) -> None:
    first = tmp_path / "all.json"
    result = run(demo_url, "export", "-o", first)
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(os.stat(first).st_mode) == 0o600
    original = json.loads(first.read_text())
    assert original["format"] == "transition-export" and original["schema_version"] == 1
    assert [b["engagement"]["slug"] for b in original["engagements"]] == [
        "northwind-service-desk",
        "tailspin-mobile-app",
    ]
    nw = original["engagements"][0]
    for name in SECTIONS:
        assert nw[name], f"the demo exports no {name}"

    # A target holding another engagement first, so every imported row gets another id.
    target = f"sqlite:///{tmp_path / 'target.db'}"
    assert (
        run(target, "engagement", "new", "Other", "--playbook", "dedicated-team-onboarding")
    ).exit_code == 0
    result = run(target, "import", first)
    assert result.exit_code == 0, result.stderr
    assert "northwind-service-desk" in result.stdout
    again = json.loads(run(target, "export", "northwind-service-desk").stdout)
    assert again["engagements"][0]["tasks"][0]["id"] != nw["tasks"][0]["id"]
    assert normalise(again) == normalise({"engagements": [nw]})
    # The receiving database's audit chain holds, and the import is on record.
    verify = run(target, "audit", "northwind-service-desk", "--verify")
    assert verify.exit_code == 0, verify.stderr

    # Into an empty database the export comes back as it was, apart from its time and the
    # `import` event the receiving log adds.
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    assert run(empty, "import", first).exit_code == 0
    second = json.loads(run(empty, "export").stdout)
    for bundle in second["engagements"]:
        imports = [e for e in bundle["audit_events"] if e["action"] == "import"]
        assert len(imports) == 1 and json.loads(imports[0]["after"])["file_sha256"]
    assert normalise(second) == normalise(original)
    assert second["engagements"][0]["tasks"] == original["engagements"][0]["tasks"]


def test_duplicate_import_is_refused_and_writes_nothing(demo_url: str, tmp_path: Path) -> None:
    path = tmp_path / "nw.json"
    assert run(demo_url, "export", "northwind-service-desk", "-o", path).exit_code == 0
    before = run(demo_url, "export").stdout
    result = run(demo_url, "import", path)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "northwind-service-desk" in result.stderr
    after = run(demo_url, "export").stdout
    strip = re.compile(r'"exported_at": "[^"]+"')
    assert strip.sub("", after) == strip.sub("", before)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: "{not json", "invalid JSON"),
        (lambda d: json.dumps([1, 2]), "not a transition export"),
        (lambda d: json.dumps({**d, "format": "something-else"}), "not a transition export"),
        (lambda d: json.dumps({**d, "schema_version": 2}), "unsupported export schema_version 2"),
        (lambda d: json.dumps({**d, "db_schema": "0099"}), "database schema '0099'"),
        (
            lambda d: json.dumps({**d, "engagements": [{**d["engagements"][0], "surprise": 1}]}),
            "engagements[0].surprise",
        ),
        (
            lambda d: json.dumps(
                {
                    **d,
                    "engagements": [
                        {
                            **d["engagements"][0],
                            "tasks": [{**d["engagements"][0]["tasks"][0], "due_date": "someday"}],
                        }
                    ],
                }
            ),
            "engagements[0].tasks[0].due_date",
        ),
        (
            lambda d: json.dumps(
                {
                    **d,
                    "engagements": [
                        {
                            **d["engagements"][0],
                            "tasks": [{**d["engagements"][0]["tasks"][0], "phase_id": 999999}],
                        }
                    ],
                }
            ),
            "phase_id: 999999 is not in phases",
        ),
    ],
)
def test_bad_files_exit_2_and_write_nothing(cli, acme, db_url, tmp_path, mutate, message) -> None:
    exported = cli("export", acme).json()
    exported["engagements"][0]["engagement"]["slug"] = "fresh-copy"
    bad = _write(tmp_path / "bad.json", mutate(exported))
    result = cli("import", bad)
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert "Traceback" not in result.stderr
    assert [e["slug"] for e in cli("engagement", "list", "--json").json()] == [acme]


def test_missing_file_and_unknown_engagement(cli, acme, tmp_path: Path) -> None:
    result = cli("import", tmp_path / "absent.json")
    assert result.exit_code == 2 and "no such file" in result.stderr
    result = cli("export", "nowhere")
    assert result.exit_code == 2 and "unknown engagement" in result.stderr


def test_export_reads_a_fixed_number_of_queries(demo_url, engine, count_queries) -> None:
    from transition import db
    from transition.services import transfer

    with db.session_scope(engine, write=False) as session, count_queries() as q:
        document = transfer.export_data(session)
    assert len(document["engagements"]) == 2
    assert q.count <= len(SECTIONS) + 2
