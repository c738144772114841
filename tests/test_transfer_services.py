"""Export and import as services: the engagement by name, typed results, errors that name
the argument they are about, and the one bounded reader for export files."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from transition.errors import BadInput
from transition.services import transfer
from transition.services.views.transfer import ExportFile, ImportResult


def _copy(document: dict, slug: str) -> dict:
    copy = json.loads(json.dumps(document))
    copy["engagements"][0]["engagement"]["slug"] = slug
    copy["engagements"][0]["engagement"]["name"] = slug.replace("-", " ").title()
    return copy


def test_export_takes_the_engagement_by_name_or_row(session_scope, acme) -> None:
    from transition.services.common import get_engagement

    with session_scope(write=False) as session:
        by_name = transfer.export_data(session, "Acme Helpdesk")
        by_row = transfer.export_data(session, get_engagement(session, acme))
        everything = transfer.export_data(session)
    assert [b["engagement"]["slug"] for b in by_name["engagements"]] == [acme]
    by_name.pop("exported_at")
    by_row.pop("exported_at")
    assert by_name == by_row
    assert list(everything) == ["format", "schema_version", "db_schema", "exported_at"] + [
        "engagements"
    ]


def test_read_and_import_answer_typed_results(session_scope, acme, tmp_path: Path) -> None:
    with session_scope(write=False) as session:
        document = transfer.export_data(session, acme)
    path = tmp_path / "copy.json"
    path.write_text(transfer.dumps(_copy(document, "acme-copy")), encoding="utf-8")
    checked = transfer.read_export(path)
    assert isinstance(checked, ExportFile)
    assert checked.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [b["engagement"]["slug"] for b in checked.engagements] == ["acme-copy"]
    with session_scope() as session:
        result = transfer.import_data(session, checked, source=str(path), runbooks=tmp_path)
    assert result == ImportResult(slugs=["acme-copy"])
    assert result.model_dump(mode="json") == {"slugs": ["acme-copy"]}


def test_file_errors_name_the_file_argument(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(BadInput, match="no such file") as missing:
        transfer.read_export(tmp_path / "absent.json")
    assert missing.value.field == "file"
    with pytest.raises(BadInput, match="is a directory") as folder:
        transfer.read_export(tmp_path)
    assert folder.value.field == "file"
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"format": "transition-export", "pad": "x" * 200}))
    monkeypatch.setattr(transfer, "MAX_BYTES", 100)
    with pytest.raises(BadInput, match="the limit is 100 bytes") as large:
        transfer.read_export(big)
    assert large.value.field == "file"


def test_a_runbooks_argument_that_is_a_file_is_about_runbooks(
    session_scope, acme, tmp_path: Path
) -> None:
    with session_scope(write=False) as session:
        document = transfer.export_data(session, acme)
    path = tmp_path / "copy.json"
    path.write_text(transfer.dumps(_copy(document, "acme-other")), encoding="utf-8")
    not_a_folder = tmp_path / "runbooks.txt"
    not_a_folder.write_text("")
    checked = transfer.read_export(path)
    with session_scope() as session, pytest.raises(BadInput, match="is not a folder") as exc:
        transfer.import_data(session, checked, source=str(path), runbooks=not_a_folder)
    assert exc.value.field == "runbooks"


def test_export_to_standard_output_and_to_a_file(cli, acme, tmp_path: Path) -> None:
    shown = cli("export", acme)
    assert shown.exit_code == 0 and json.loads(shown.stdout)["engagements"]
    dash = cli("export", acme, "-o", "-")
    assert dash.exit_code == 0 and dash.stdout == shown.stdout.replace(
        json.loads(shown.stdout)["exported_at"], json.loads(dash.stdout)["exported_at"]
    )
    target = tmp_path / "out.json"
    written = cli("export", "-o", target)
    assert written.exit_code == 0
    assert written.stdout.strip() == f"exported 1 engagement to {target}"
    assert (target.stat().st_mode & 0o777) == 0o600


def test_the_written_file_is_the_document_as_dumps_writes_it(cli, session_scope, acme) -> None:
    """The export command writes its rows straight from the database (on SQLite, rows
    the database writes itself); the bytes are those of ``dumps(export_data(...))``."""
    added = cli("system", "add", acme, 'Billing "Core" \\ é€', "--tier", "1")
    assert added.exit_code == 0, added.stderr
    with session_scope(write=False) as session:
        document = transfer.export_data(session, acme)
        stream = transfer.export_stream(session, acme)
        written = b"".join(stream.pieces).decode("utf-8")
    stamp = json.loads(written)["exported_at"]
    assert stream.engagements == 1 and '"Billing \\"Core\\" \\\\ é€"' in written
    assert written == transfer.dumps({**document, "exported_at": stamp})


def test_rows_the_database_writes_are_those_of_dumps_at_every_edge(
    cli, session_scope, acme, engine
) -> None:
    """Times with and without microseconds (trailing zeros kept, as ``isoformat`` writes
    them), dates, booleans, nulls and text with escapes come out of the database's own
    row writer (SQLite's ``json_object``, PostgreSQL's ``row_to_json``) as ``dumps``
    writes them."""
    from sqlalchemy import text

    from transition.services import transfer_postgresql

    ok = cli("task", "set", acme, "kickoff-workshop", "--status", "done", "--note", "tab\there")
    assert ok.exit_code == 0, ok.stderr
    with engine.begin() as connection:
        for micro, key in (("031380", "kickoff-workshop"), ("000000", "stakeholder-map")):
            connection.execute(
                text("UPDATE task SET completed_at = :at WHERE key = :key"),
                {"at": datetime(2026, 11, 2, 9, 4, 5, int(micro), tzinfo=UTC), "key": key},
            )
    with session_scope(write=False) as session:
        document = transfer.export_data(session, acme)
        written = b"".join(transfer.export_stream(session, acme).pieces).decode("utf-8")
        asked = transfer_postgresql._ASKED if engine.dialect.name == "postgresql" else {True: True}
    stamp = json.loads(written)["exported_at"]
    assert written == transfer.dumps({**document, "exported_at": stamp})
    assert '"completed_at":"2026-11-02T09:04:05.031380+00:00"' in written
    assert '"completed_at":"2026-11-02T09:04:05+00:00"' in written
    assert asked and all(asked.values())  # the database's own writer was used


def test_a_time_stored_in_another_form_is_exported_as_the_database_reads_it(
    session_scope, acme, engine
) -> None:
    from sqlalchemy import text

    if engine.dialect.name != "sqlite":
        pytest.skip("the form SQLite stores times in")
    with session_scope(write=False) as session:
        before = transfer.export_data(session, acme)
    first = before["engagements"][0]["audit_events"][0]
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_event SET at = '2026-11-02T10:00:00+02:00' WHERE id = :id"),
            {"id": first["id"]},
        )
    with session_scope(write=False) as session:
        written = b"".join(transfer.export_stream(session, acme).pieces)
    events = json.loads(written)["engagements"][0]["audit_events"]
    assert events[0]["at"] == "2026-11-02T08:00:00+00:00"
    assert events[1:] == before["engagements"][0]["audit_events"][1:]


def test_a_runbooks_recorded_answers_may_be_long_but_are_one_line() -> None:
    from transition.services.runbook_templates import encode_answers
    from transition.services.transfer_rows import _check_text

    answers = encode_answers({}, {"note": "x" * 20_000})
    assert len(answers) > 10_000
    assert _check_text("runbooks", "answers_json", answers) == answers
    with pytest.raises(ValueError, match="control characters"):
        _check_text("runbooks", "answers_json", '{"context": {},\n"sets": {}}')
