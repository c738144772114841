"""export → import → export is lossless; duplicates and bad files are refused untouched."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import stat
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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
                if name == "audit_events" and row["field"] == "signed_off_by_id":
                    for side in ("before", "after"):
                        if row[side] and row[side].isdigit():
                            row[side] = index["people"].get(int(row[side]), row[side])
                if name == "audit_events" and row["entity_id"] is not None:
                    target = ENTITY_SECTION.get(row["entity"])
                    if target:
                        row["entity_id"] = index[target].get(row["entity_id"], row["entity_id"])
                rows.append(row)
            copy[name] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))
        out.append(copy)
    return out


@pytest.fixture
def demo_url(db_url: str, engine, clock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    clock.pin(today=TODAY)
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
        "wingtip-payroll",
    ]
    nw = original["engagements"][0]
    for name in SECTIONS:
        assert any(b[name] for b in original["engagements"]), f"the demo exports no {name}"

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
    assert len(document["engagements"]) == 3
    assert q.count <= len(SECTIONS) + 2


# --------------------------------------------------------------------------- hostile files
# An export file is input: every row goes through the commands' rules, the rows must be
# the state the file's own audit log replays to, runbook paths stay in a folder the user
# names, and the imported events are kept apart from the database's own.

SOURCE = "acme-helpdesk"


@pytest.fixture
def source(cli, acme, tmp_path: Path) -> dict[str, Any]:
    """An export of one engagement with a history in every table, runbook included."""
    rb = tmp_path / "rb"
    steps = [
        ("person", "add", SOURCE, "Ann Lee", "--side", "incumbent"),
        ("person", "add", SOURCE, "Bob Ray", "--side", "provider"),
        ("system", "add", SOURCE, "Billing", "--tier", "1"),
        ("access", "grant", SOURCE, "--person", "Bob Ray", "--system", "Billing")
        + ("--role", "ops", "--expires", "2027-01-31", "--justification", "Night cover"),
        ("access", "grant", SOURCE, "--person", "Ann Lee", "--system", "Billing")
        + ("--role", "viewer"),
        ("access", "revoke", SOURCE, "2", "--reason", "Left"),
        ("kt", "schedule", SOURCE, "--system", "Billing", "--topic", "Month end")
        + ("--presenter", "Ann Lee", "--attendee", "Bob Ray", "--at", "2026-11-10T10:00Z"),
        ("kt", "hold", SOURCE, "1"),
        ("kt", "signoff", SOURCE, "1", "--by", "Bob Ray", "--confidence", "4"),
        ("task", "done", SOURCE, "kickoff-workshop", "--note", "Held on site"),
        ("task", "assign", SOURCE, "stakeholder-map", "Ann Lee"),
        ("runbook", "new", SOURCE, "--system", "Billing", "--template", "service-restart")
        + ("--out", str(rb)),
        ("phase", "advance", SOURCE, "--override", "Agreed at the steering meeting"),
    ]
    for step in steps:
        result = cli(*step)
        assert result.exit_code == 0, (step, result.stderr)
    return _Source(document=cli("export", SOURCE).json(), runbooks=rb)


class _Source(dict):
    """The source export (shown briefly in hypothesis reports)."""

    def __repr__(self) -> str:
        return "<export of acme-helpdesk>"


def _counts(engine) -> dict[str, int]:
    """Rows per table, in one query: an import only ever inserts, so equal counts mean
    nothing was written."""
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        sql = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}")' for t in names)
        return dict(zip(names, conn.execute(text(sql)).one(), strict=True))


def _fresh(document: dict[str, Any], n: int) -> dict[str, Any]:
    """A copy under another name (and KT uids), so it can be imported beside the source."""
    copy = json.loads(json.dumps(document))
    bundle = copy["engagements"][0]
    bundle["engagement"]["slug"] = f"copy-{n}"
    bundle["engagement"]["name"] = f"Copy {n}"
    for row in bundle["kt_sessions"]:
        row["uid"] = f"{row['uid'][:20]}-{n}"
    for row in bundle["meetings"]:
        row["uid"] = f"{row['uid'][:20]}-{n}"
    return copy


def _import(cli, tmp_path: Path, document: Any, runbooks: Path, raw: str | None = None):
    path = tmp_path / "import.json"
    path.write_text(raw if raw is not None else json.dumps(document), encoding="utf-8")
    return cli("import", path, "--runbooks", runbooks)


def _portable(document: dict[str, Any]) -> list[dict[str, Any]]:
    out = normalise(document)
    for bundle in out:
        for row in bundle["runbooks"]:
            row["path"] = row["path"].rsplit("/", 1)[-1]
    return out


_COPIES = itertools.count(100)
HOSTILE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63, 2**63 - 1, -1, 0, 2**31]),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec=None, categories=["Cc", "Cs", "Zs", "Lo"]), max_size=6),
    st.sampled_from(
        [
            "weird",
            "",
            " padded ",
            "9999-12-31",
            "9999-12-31T23:30:00+00:00",
            "0001-01-01T00:00:00+00:00",
            "2026-12-01",
            "grant:2:revoke",
            "/etc/passwd",
            "../../outside.md",
            "a\x00b",
            "\x1b]8;;x\x07hi",
            "\ud800",
            "password=hunter2",
        ]
    ),
    st.just([]),
    st.just({}),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_mutated_field_is_refused_untouched_or_imported_exactly(
    cli, engine, source, tmp_path_factory, data
) -> None:
    document = _fresh(source["document"], next(_COPIES))
    bundle = document["engagements"][0]
    sections = ["engagement"] + [name for name in SECTIONS if bundle[name]]
    section = data.draw(st.sampled_from(sections), label="section")
    if section == "engagement":
        row = bundle["engagement"]
    else:
        row = data.draw(st.sampled_from(bundle[section]), label="row")
    column = data.draw(st.sampled_from(sorted(row)), label="column")
    value = data.draw(HOSTILE_VALUES, label="value")
    row[column] = value
    tmp = tmp_path_factory.mktemp("mutation")
    before = _counts(engine)
    result = _import(cli, tmp, document, source["runbooks"], raw=json.dumps(document))
    assert "Traceback" not in result.stderr
    # A runbook's text is its file's content: other text than the file already under the
    # runbooks folder is refused (exit 1), and null (no file at export) keeps that file.
    file_text = section == "runbooks" and column == "text"
    if result.exit_code == 0:
        slug = bundle["engagement"]["slug"]
        again = cli("export", slug).json()
        got, want = _portable(again), _portable(document)
        if file_text:
            for rows in (got[0]["runbooks"], want[0]["runbooks"]):
                for r in rows:
                    r.pop("text", None)
        for name in ["engagement", *SECTIONS]:
            assert got[0][name] == want[0][name], (section, column, value, name)
        assert cli("audit", slug, "--verify").exit_code == 0
    else:
        refused = 1 if file_text and result.exit_code == 1 else 2
        assert result.exit_code == refused, (section, column, value, result.stderr)
        assert result.stderr.startswith("error: ")
        assert _counts(engine) == before, (section, column, value)


def _kt(b):
    return b["kt_sessions"][0]


def _set(path: str, value: Any):
    """A mutation: ``section.index.column = value`` on the first engagement."""

    def apply(document: dict[str, Any], tmp: Path) -> None:
        section, index, column = path.split(".")
        document["engagements"][0][section][int(index)][column] = value

    return apply


def _presenter_signs(document: dict[str, Any], tmp: Path) -> None:
    b = document["engagements"][0]
    presenter = next(p for p in b["kt_participants"] if p["role"] == "presenter")
    _kt(b)["signed_off_by_id"] = presenter["person_id"]


def _nobody_signs(document: dict[str, Any], tmp: Path) -> None:
    _kt(document["engagements"][0])["signed_off_by_id"] = None


def _planted_item(document: dict[str, Any], tmp: Path) -> None:
    b = document["engagements"][0]
    item = dict(next(i for i in b["handover_items"] if i["source"] == "template"))
    item.update(id=99999, key="grant:2:revoke")
    b["handover_items"].append(item)


def _fifo(document: dict[str, Any], tmp: Path) -> None:
    (tmp / "rb" / "billing").mkdir(parents=True, exist_ok=True)
    (tmp / "rb" / "billing" / "service-restart.md").unlink(missing_ok=True)
    os.mkfifo(tmp / "rb" / "billing" / "service-restart.md")


def _forged_state(document: dict[str, Any], tmp: Path) -> None:
    grant = document["engagements"][0]["access_grants"][0]
    grant["role"] = grant["role_key"] = "root"


def _forged_role_key(document: dict[str, Any], tmp: Path) -> None:
    document["engagements"][0]["access_grants"][0]["role_key"] = "someone-else"


def _derived_status(document: dict[str, Any], tmp: Path) -> None:
    b = document["engagements"][0]
    item = next(i for i in b["handover_items"] if i["source_kind"] == "grant")
    item["status"] = "retired" if item["status"] != "retired" else "open"


HOSTILE = [
    (_set("tasks.0.status", "weird"), "engagements[0].tasks[0].status: invalid value 'weird'"),
    (_presenter_signs, "only an attendee signs off"),
    (_nobody_signs, "names who signed it off"),
    (_set("kt_sessions.0.starts_at", "9999-12-31T23:30:00+00:00"), "starts_at: outside"),
    (_set("tasks.0.title", "Kick\x00off"), "tasks[0].title: contains a NUL character"),
    (_set("people.0.name", "Ann \x1b[31mLee"), "people[0].name:"),
    (_set("tasks.0.position", 2**63), "tasks[0].position:"),
    (_set("tasks.0.note", "\ud800"), "tasks[0].note: contains a lone surrogate"),
    (_planted_item, "is reserved for items derived"),
    (_set("runbooks.0.path", "/etc/passwd"), "runbooks[0]: path '/etc/passwd' must be relative"),
    (_set("runbooks.0.path", "../../x.md"), "must stay inside the runbooks folder"),
    (_fifo, "exists and is not a regular file"),
    (_forged_state, "does not match its audit log: grant 1: role is 'root'"),
    (_forged_role_key, "role_key: 'someone-else' is not the folded form of its role"),
    (_derived_status, "the derived items are not what"),
]


def test_hostile_exports_are_refused_with_their_location(cli, engine, source, tmp_path) -> None:
    before = _counts(engine)
    for n, (mutate, message) in enumerate(HOSTILE):
        folder = tmp_path / f"case-{n}"
        folder.mkdir()
        document = _fresh(source["document"], n)
        mutate(document, folder)
        result = _import(cli, folder, document, folder / "rb")
        assert result.exit_code == 2, (message, result.stdout)
        assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
        assert _counts(engine) == before, message
    raw = json.dumps(_fresh(source["document"], 1)).replace('"minutes": 60', '"minutes": NaN')
    result = _import(cli, tmp_path, None, tmp_path, raw=raw)
    assert result.exit_code == 2 and "NaN is not a number" in result.stderr
    fifo = tmp_path / "export.fifo"
    os.mkfifo(fifo)
    result = cli("import", fifo)
    assert result.exit_code == 2 and "not a regular file" in result.stderr
    # A duplicate says what can be done today (no command removes an engagement).
    result = _import(cli, tmp_path, source["document"], source["runbooks"])
    assert result.exit_code == 1
    assert "remove the existing engagement" not in result.stderr
    assert "--db" in result.stderr and "another name" in result.stderr
    assert _counts(engine) == before


def test_imported_events_are_marked_and_verified_as_their_own_segment(
    cli, source, engine, tmp_path: Path
) -> None:
    document = _fresh(source["document"], 7)
    events = document["engagements"][0]["audit_events"]
    forged = next(e for e in events if e["entity"] == "handover_item")
    forged.update(actor="mallory", after="anything at all")
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = cli("import", path, "--runbooks", source["runbooks"])
    assert result.exit_code == 0, result.stderr
    log = cli("audit", "copy-7", "--json").json()
    assert [e["imported"] for e in log] == [True] * len(events) + [False]
    assert any(e["actor"] == "mallory" for e in log)
    stamp = json.loads(log[-1]["after"])
    assert log[-1]["action"] == "import" and log[-1]["actor"] == "tester"
    assert stamp["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert stamp["events"] == len(events)
    assert "mallory (imported)" in cli("audit", "copy-7").stdout
    assert cli("audit", "copy-7", "--verify").exit_code == 0
    assert cli("audit", "--verify").exit_code == 0
    # An imported event edited later breaks its segment, not silently the whole log.
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_event SET actor = 'eve' WHERE id = :i"), {"i": log[3]["id"]}
        )
    result = cli("audit", "copy-7", "--verify")
    assert (
        result.exit_code == 1 and f"event {log[3]['id']}: content does not match" in result.stderr
    )
    assert cli("audit", SOURCE, "--verify").exit_code == 1  # the content check is global


def test_a_runbook_file_replaced_by_a_fifo_never_hangs_a_read(db_url, cli, request) -> None:
    import subprocess
    import sys

    if not db_url.startswith("sqlite"):
        pytest.skip("a file-system behaviour: once is enough")
    request.getfixturevalue("source")

    target = Path(cli("runbook", "list", SOURCE, "--json").json()[0]["path"])
    target.unlink()
    os.mkfifo(target)
    entry = "from transition.cli.main import main; main()"
    for args in (["runbook", "list", SOURCE], ["report", SOURCE]):
        done = subprocess.run(
            [sys.executable, "-c", entry, "--db", db_url, *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr


def test_every_date_a_command_accepts_survives_export_and_import(cli, acme, tmp_path) -> None:
    """Commands take dates up to 2999-12-31: an export holding such dates imports whole."""
    for args in (
        ("person", "add", acme, "Ann Old", "--side", "incumbent", "--release", "2999-12-31"),
        ("person", "add", acme, "Bob New", "--side", "provider"),
        ("system", "add", acme, "CRM"),
        ("access", "grant", acme, "--person", "Bob New", "--system", "CRM", "--role", "ops",
         "--expires", "2999-12-31"),
        ("kt", "schedule", acme, "--system", "CRM", "--topic", "Far", "--presenter", "Ann Old",
         "--attendee", "Bob New", "--at", "2999-12-31T23:00"),
    ):  # fmt: skip
        assert cli(*args).exit_code == 0, args
    path = tmp_path / "far.json"
    assert cli("export", acme, "-o", path).exit_code == 0
    other = f"sqlite:///{tmp_path / 'other.db'}"
    result = run(other, "import", path)
    assert result.exit_code == 0, result.stderr
    kt = run(other, "kt", "list", acme, "--json")
    assert kt.exit_code == 0, kt.stderr
    assert "2999-12-31T23:00:00+00:00" in kt.stdout
    document = json.loads(path.read_text())
    document["engagements"][0]["kt_sessions"][0]["starts_at"] = "3000-01-01T00:00:00+00:00"
    path.write_text(json.dumps(document))
    refused = run(f"sqlite:///{tmp_path / 'third.db'}", "import", path)
    assert refused.exit_code == 2
    assert "kt_sessions[0].starts_at: outside 1900–2999" in refused.stderr


def test_a_plan_that_would_run_past_2999_is_refused(cli, tmp_path) -> None:
    """The dates a plan lays out obey the same years as typed ones, so exports import."""
    before = cli("engagement", "list", "--json").stdout
    late = cli("engagement", "new", "Late", "--playbook", "managed-service-onboarding",
               "--start", "2999-12-01")  # fmt: skip
    assert late.exit_code == 2 and late.stderr.startswith("error: a start on 2999-12-01")
    assert "past the last date the tool accepts (2999-12-31)" in late.stderr
    assert cli("engagement", "list", "--json").stdout == before
    ok = cli("engagement", "new", "Late", "--playbook", "managed-service-onboarding",
             "--start", "2999-08-01")  # fmt: skip
    assert ok.exit_code == 0, ok.stderr
    assert cli("person", "add", "late", "Bob", "--side", "provider").exit_code == 0
    assert cli("system", "add", "late", "CRM").exit_code == 0
    path = tmp_path / "late.json"
    assert cli("export", "late", "-o", path).exit_code == 0
    assert run(f"sqlite:///{tmp_path / 'other.db'}", "import", path).exit_code == 0
    for rule, code in (("cutover+9999d", 2), ("cutover.end+120d", 2), ("cutover+1d", 0)):
        granted = cli("access", "grant", "late", "--person", "Bob", "--system", "CRM",
                      "--role", rule, "--expires", rule)  # fmt: skip
        assert granted.exit_code == code, (rule, granted.stderr)
