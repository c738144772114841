"""``handover pack``: the hand-back pack, its manifest and its verification; and runbook
texts carried by ``export``/``import``."""

from __future__ import annotations

import json
import os
import shutil
import stat
import uuid
import zipfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transition import db
from transition.demo import load_demo
from transition.errors import Refused
from transition.services import pack, transfer

DAY = date(2026, 11, 20)
NW = "northwind-service-desk"
EXPECTED = {
    "access-ledger.csv",
    "exit-checklist.md",
    "exit-checklist.yaml",
    "export.json",
    "kt-coverage.csv",
    "kt-sessions.csv",
    "runbooks.csv",
    "status-report.html",
}


@pytest.fixture
def demo(session_scope, clock, tmp_path: Path) -> Path:
    """The demo loaded on a pinned day; answers its runbook folder."""
    clock.pin(today=DAY)
    folder = tmp_path / "demo-runbooks"
    with session_scope() as s:
        load_demo(s, today=DAY, runbook_dir=folder)
    return folder


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_demo_pack_holds_every_part_verifies_and_is_private(demo, session_scope, tmp_path):
    target = tmp_path / "pack"
    with session_scope(write=False) as s:
        written = pack.write_pack(s, NW, target)
    files = _files(target)
    assert set(files) >= EXPECTED
    assert any(name.startswith("runbooks/") and name.endswith(".md") for name in files)
    assert set(files) == {f.path for f in written.files} | {"manifest.json"}
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    for path in target.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600)
    manifest = json.loads(files["manifest.json"])
    assert manifest["engagement"]["slug"] == NW
    assert manifest["schema_version"] == db.SCHEMA_HEAD and manifest["program_version"]
    ledger = files["access-ledger.csv"].decode().splitlines()
    assert ledger[0].startswith("grant_id,person,side,system,role,justification,granted_at")
    assert "revoked_by" in ledger[0] and "history" in ledger[0]
    export = json.loads(files["export.json"])
    assert all("text" in r for r in export["engagements"][0]["runbooks"])
    checked = pack.verify_pack(target)
    assert checked.files == len(files) - 1 and checked.engagement == NW


def test_same_state_same_files_but_the_manifest_time(demo, session_scope, tmp_path):
    with session_scope(write=False) as s:
        pack.write_pack(s, NW, tmp_path / "a")
        pack.write_pack(s, NW, tmp_path / "a.zip")
    with session_scope(write=False) as s:
        pack.write_pack(s, NW, tmp_path / "b")
        pack.write_pack(s, NW, tmp_path / "b.zip")
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a.keys() == b.keys()
    assert [n for n in a if a[n] != b[n]] in ([], ["manifest.json"])
    strip = ("generated_at", "manifest_sha256")
    ma, mb = (
        {k: v for k, v in json.loads(m["manifest.json"]).items() if k not in strip} for m in (a, b)
    )
    assert ma == mb
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == sorted(a)
        assert {i.date_time for i in infos} == {pack.ZIP_TIME}
        assert {(i.external_attr >> 16) & 0o777 for i in infos} == {0o600}
        inside = {n: archive.read(n) for n in archive.namelist() if n != "manifest.json"}
        assert inside == {n: data for n, data in a.items() if n != "manifest.json"}
    assert stat.S_IMODE((tmp_path / "a.zip").stat().st_mode) == 0o600
    assert pack.verify_pack(tmp_path / "b.zip").files == len(a) - 1


@pytest.fixture(scope="module")
def small_pack(tmp_path_factory) -> Path:
    """One pack (SQLite) that property tests copy and damage."""
    folder = tmp_path_factory.mktemp("small-pack")
    engine = db.get_engine(f"sqlite:///{folder / 'p.db'}")
    db.migrate(engine)
    with db.session_scope(engine, actor="tester") as s:
        load_demo(s, today=DAY, runbook_dir=folder / "rb")
    with db.session_scope(engine, actor="tester", write=False) as s:
        pack.write_pack(s, "tailspin-mobile-app", folder / "pack")
    db.reset_engines()
    return folder / "pack"


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_one_changed_byte_in_any_file_is_named(small_pack: Path, tmp_path: Path, data) -> None:

    copy = tmp_path / f"copy-{uuid.uuid4().hex}"
    shutil.copytree(small_pack, copy)
    names = sorted(_files(copy))
    name = data.draw(st.sampled_from(names))
    raw = bytearray((copy / name).read_bytes())
    at = data.draw(st.integers(0, len(raw) - 1))
    raw[at] ^= data.draw(st.integers(1, 255))
    (copy / name).write_bytes(bytes(raw))
    with pytest.raises(Refused) as caught:
        pack.verify_pack(copy)
    assert any(line.startswith(f"changed: {name}") for line in caught.value.details)


def test_missing_and_extra_files_are_named(small_pack: Path, tmp_path: Path) -> None:

    copy = tmp_path / "copy"
    shutil.copytree(small_pack, copy)
    (copy / "kt-sessions.csv").unlink()
    (copy / "notes.txt").write_text("mine\n")
    with pytest.raises(Refused) as caught:
        pack.verify_pack(copy)
    assert caught.value.details == ["missing: kt-sessions.csv", "extra: notes.txt"]


def test_a_damaged_zip_entry_is_named(small_pack: Path, tmp_path: Path) -> None:
    target = tmp_path / "p.zip"
    files = _files(small_pack)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in files.items():
            body = data if name != "runbooks.csv" else data + b"9,forged\n"
            archive.writestr(name, body)
    with pytest.raises(Refused) as caught:
        pack.verify_pack(target)
    assert caught.value.details == ["changed: runbooks.csv"]


def test_pack_reads_a_fixed_number_of_queries(session_scope, count_queries, tmp_path, cli, acme):
    def grow(n: int) -> None:
        cli("system", "add", acme, f"Sys {n}")
        cli("person", "add", acme, f"Person {n}", "--side", "provider")
        cli("access", "grant", acme, "--person", f"Person {n}", "--system", f"Sys {n}",
            "--role", "reader", "--justification", "works")  # fmt: skip
        cli("runbook", "new", acme, "--system", f"Sys {n}", "--template", "service-restart",
            "--out", tmp_path / "rb")  # fmt: skip
        cli("kt", "schedule", acme, "--system", f"Sys {n}", "--topic", "basics",
            "--presenter", f"Person {n}", "--at", "2026-11-20T10:00")  # fmt: skip

    def measure(size: int) -> int:
        with count_queries() as q, session_scope(write=False) as s:
            pack.write_pack(s, acme, tmp_path / f"pack-{size}")
        return q.count

    grow(0)
    one = measure(1)
    for n in range(1, 4):
        grow(n)
    assert measure(4) == one


# --------------------------------------------------------------------------- CLI


def test_cli_pack_verify_and_refusals(cli, acme, tmp_path: Path) -> None:
    target = tmp_path / "pack"
    result = cli("handover", "pack", acme, "-o", target)
    assert result.exit_code == 0, result.stderr
    assert "files and manifest.json" in result.stdout
    result = cli("handover", "pack", "--verify", target)
    assert result.exit_code == 0 and result.stdout.startswith("verified ")
    again = cli("handover", "pack", acme, "-o", target)
    assert again.exit_code == 1 and "use --force" in again.stderr
    assert cli("handover", "pack", acme, "-o", target, "--force").exit_code == 0
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("do not lose\n")
    refused = cli("handover", "pack", acme, "-o", mine, "--force")
    assert refused.exit_code == 1 and "not a hand-back pack" in refused.stderr
    assert (mine / "thesis.txt").read_text() == "do not lose\n"
    # a file added beside an earlier pack is not part of it: --force does not take it along
    (target / "notes").mkdir()
    (target / "notes" / "sign-off.txt").write_text("signed by the client\n")
    beside = cli("handover", "pack", acme, "-o", target, "--force")
    assert beside.exit_code == 1 and "notes/sign-off.txt" in beside.stderr, beside.stderr
    assert (target / "notes" / "sign-off.txt").read_text() == "signed by the client\n"
    shutil.rmtree(target / "notes")
    assert cli("handover", "pack", acme, "-o", target, "--force").exit_code == 0
    (target / "status-report.html").write_text("<p>all green</p>")
    damaged = cli("handover", "pack", "--verify", target)
    assert damaged.exit_code == 1 and "changed: status-report.html" in damaged.stderr
    assert "Traceback" not in damaged.stderr
    zipped = tmp_path / "pack.zip"
    assert cli("handover", "pack", acme, "-o", zipped).exit_code == 0
    assert cli("handover", "pack", "--verify", zipped).exit_code == 0
    for args in (
        ("handover", "pack", "nowhere", "-o", tmp_path / "x"),
        ("handover", "pack", acme),
        ("handover", "pack", "--verify", tmp_path / "absent"),
        ("handover", "pack", "--verify", mine),
        ("handover", "pack", acme, "-o", tmp_path / "no" / "folder"),
    ):
        bad = cli(*args)
        assert bad.exit_code == 2, (args, bad.stderr)
        assert bad.stderr.startswith("error:") and "Traceback" not in bad.stderr
    assert not (tmp_path / "x").exists()


# --------------------------------------------------------------------------- export, import


def test_export_carries_runbook_texts_to_another_database(engine, tmp_path: Path) -> None:
    """Demo exported from SQLite, imported into this test's empty database (PostgreSQL
    in the PostgreSQL run), exported again: the same runbook texts, the files restored
    under the named folder."""
    source = db.get_engine(f"sqlite:///{tmp_path / 'source.db'}")
    db.migrate(source)
    with db.session_scope(source, actor="tester") as s:
        load_demo(s, today=DAY, runbook_dir=tmp_path / "demo-rb")
    (tmp_path / "demo-rb" / NW / "sap-erp" / "disaster-recovery.md").unlink()
    with db.session_scope(source, actor="tester", write=False) as s:
        document = transfer.export_data(s, NW)
    texts = {r["path"]: r["text"] for r in document["engagements"][0]["runbooks"]}
    assert texts["sap-erp/disaster-recovery.md"] is None
    assert sum(t is not None for t in texts.values()) >= 3
    file = tmp_path / "nw.json"
    file.write_text(transfer.dumps(document))
    restored = tmp_path / "restored"
    with db.session_scope(engine, actor="tester") as s:
        transfer.import_data(s, transfer.read_export(file), source=str(file), runbooks=restored)
    with db.session_scope(engine, actor="tester", write=False) as s:
        again = transfer.export_data(s, NW)
    assert {r["path"]: r["text"] for r in again["engagements"][0]["runbooks"]} == texts
    for path, text in texts.items():
        assert (restored / path).exists() == (text is not None)
        if text is not None:
            assert (restored / path).read_text() == text


def test_import_never_replaces_other_text_nor_leaves_the_folder(cli, acme, tmp_path: Path):
    rb = tmp_path / "rb"
    cli("system", "add", acme, "Billing")
    assert cli("runbook", "new", acme, "--system", "Billing", "--template", "service-restart",
               "--out", rb).exit_code == 0  # fmt: skip
    document = cli("export", acme).json()
    row = document["engagements"][0]["runbooks"][0]
    assert row["text"] == (rb / "billing" / "service-restart.md").read_text()
    other = tmp_path / "other"
    (other / "billing").mkdir(parents=True)
    (other / "billing" / "service-restart.md").write_text("edited by hand\n")
    file = tmp_path / "e.json"
    file.write_text(json.dumps(document))
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    clash = _run(elsewhere, "import", file, "--runbooks", other)
    assert clash.exit_code == 1 and "other text" in clash.stderr
    assert (other / "billing" / "service-restart.md").read_text() == "edited by hand\n"
    row["path"] = "../escape.md"
    file.write_text(json.dumps(document))
    assert _run(elsewhere, "import", file, "--runbooks", other).exit_code == 2
    assert not (tmp_path / "escape.md").exists()
    assert os.listdir(other) == ["billing"]
    done = _run(elsewhere, "import", file.with_name("ok.json"), "--runbooks", tmp_path / "new")
    assert done.exit_code == 2  # no such file: nothing written
    del row["text"]  # a file written before exports carried texts
    row["path"] = "billing/service-restart.md"
    file.write_text(json.dumps(document))
    assert _run(elsewhere, "import", file, "--runbooks", tmp_path / "new").exit_code == 0
    assert not (tmp_path / "new").exists()


def _run(url: str, *args: object):
    from typer.testing import CliRunner

    from transition.cli.main import app

    try:
        return CliRunner().invoke(app, ["--db", url, *map(str, args)])
    finally:
        db.reset_engines()


@settings(max_examples=10, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["key", "title", "note", "owner"]),
            st.none() | st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
            min_size=1,
        ),
        max_size=3,
    )
)
def test_checklist_yaml_reads_back_whatever_the_text(items) -> None:
    import yaml

    from transition.services.pack_parts import checklist_yaml

    document = {
        "engagement": "acme",
        "as_of": "2026-11-20T10:00:00+00:00",
        "sections": [{"key": "s", "title": "Données: « exit »", "items": items}] if items else [],
    }
    assert yaml.safe_load(checklist_yaml(document)) == document
