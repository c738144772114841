"""Runbook skeletons: shipped templates, user templates in the sandbox, safe paths,
placeholder counting, the lifecycle and the runbooks_accepted gate."""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

import jinja2
import pytest
from jinja2 import meta
from runbook_steps import advance, fill
from safety import assert_clean_error, dump

from transition import resources, templates
from transition.services import runbooks
from transition.services.common import get_engagement
from transition.templates import Record

SHIPPED = sorted(
    p.name[: -len(".md.j2")] for p in resources.shipped("runbook_templates").glob("*.md.j2")
)
GENERATED = set(runbooks.BUILTIN)
MARKER = re.compile(r"\[\[FILL: [^\[\]\n]+\]\]")
JINJA_LEFTOVERS = ("{{", "}}", "{%", "%}", "{#", "#}")


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def person(name, side, role=None, email=None):
    return Record(name=name, slug=name.lower().replace(" ", "-"), side=side, role=role, email=email)


def realistic(tier: int = 1, *, empty: bool = False) -> dict:
    owners = {
        "incumbent_owner": person(
            "Olga Sørensen", "incumbent", "Service owner", "olga@oldco.example"
        ),
        "provider_owner": person("Priya Natarajan", "provider", "Provider lead", None),
    }
    escalation = [
        owners["provider_owner"],
        person("Marc Dubois", "provider", "Service delivery manager", "marc@newco.example"),
        owners["incumbent_owner"],
        person("Anna Weber", "client", "IT operations manager", "anna@acme.example"),
    ]
    return {
        "engagement": Record(
            name="Acme Helpdesk",
            slug="acme-helpdesk",
            client="Acme Manufacturing",
            incumbent="OldCo Services",
            provider="NewCo Managed IT",
            model="managed-service",
            location="nearshore",
            start="2026-11-02",
        ),
        "system": Record(name="SAP ERP (finance)", slug="sap-erp-finance", tier=tier),
        "incumbent_owner": None if empty else owners["incumbent_owner"],
        "provider_owner": None if empty else owners["provider_owner"],
        "escalation": [] if empty else escalation,
        "generated_on": "2026-11-20",
        "template": Record(name="x", title="X"),
    }


@pytest.fixture
def rb(cli, acme, tmp_path, clock, monkeypatch):
    """acme with two systems and people on every side; cwd is a scratch folder."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    clock.pin(today="2026-11-20")
    for args in (
        ("system", "add", acme, "SAP ERP", "--tier", "1"),
        ("system", "add", acme, "Intranet", "--tier", "3"),
        (
            "person",
            "add",
            acme,
            "Olga Old",
            "--side",
            "incumbent",
            "--role",
            "Service owner",
            "--email",
            "olga@oldco.example",
        ),
        ("person", "add", acme, "Ivan Inc", "--side", "incumbent", "--role", "Engineer"),
        (
            "person",
            "add",
            acme,
            "Pat Pro",
            "--side",
            "provider",
            "--role",
            "Provider lead",
            "--email",
            "pat@newco.example",
        ),
        ("person", "add", acme, "Cleo Client", "--side", "client", "--role", "IT manager"),
    ):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
    return acme


def new(cli, eng, *args):
    return cli("runbook", "new", eng, *args)


def listed(cli, eng):
    result = cli("runbook", "list", eng, "--json")
    assert result.exit_code == 0, result.stderr
    return result.json()


# --- the shipped templates ---------------------------------------------------------------


def test_at_least_eight_shipped_templates_with_metadata(offline_cli):
    result = offline_cli("runbook", "templates", "--json")
    assert result.exit_code == 0, result.stderr
    rows = {r["name"]: r for r in result.json()}
    for name in (
        "incident-response",
        "service-restart",
        "backup-restore",
        "deployment-release",
        "monitoring-alerts",
        "access-provisioning",
        "on-call-escalation",
        "disaster-recovery",
        "routine-maintenance",
    ):
        row = rows[name]
        assert row["source"] == "shipped"
        assert row["title"] and len(row["description"]) > 40
        assert row["variables"]["system"]["required"] is True
    text = offline_cli("runbook", "templates")
    assert text.exit_code == 0
    assert "incident-response" in text.stdout and "Backup and restore" in text.stdout


@pytest.mark.parametrize("name", SHIPPED)
def test_every_variable_a_shipped_template_uses_is_declared(name):
    info = templates.get(name)
    env = jinja2.Environment()
    used = meta.find_undeclared_variables(env.parse(info.path.read_text(encoding="utf-8")))
    used -= set(env.globals)
    declared = set(info.variables)
    assert used - declared == set(), "used but not declared"
    assert declared - used == set(), "declared but never used"
    # what every skeleton needs is declared required; what --set gives is optional
    assert {"engagement", "system", "escalation", "generated_on"} <= set(info.required)
    assert not [v for v in info.required if v not in GENERATED]


@pytest.mark.parametrize("empty", [False, True], ids=["realistic", "no-owners"])
@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_template_renders_completely(name, empty):
    info = templates.get(name)
    dirs = templates.search_dirs()
    for tier in (1, 2, 3):
        # only what the database gives: every --set variable is optional
        text = templates.render(info, realistic(tier, empty=empty), dirs)
        assert not [s for s in JINJA_LEFTOVERS if s in text], text
        assert text.startswith("# SAP ERP (finance) — ")
        assert "---\ntitle:" not in text and "variables:" not in text
        assert "None" not in text and "Undefined" not in text
        count = templates.count_placeholders(text)
        assert count == len(MARKER.findall(text)) > 3, "every marker is well formed"
        if empty:
            assert "Olga" not in text and "Priya" not in text
        else:
            assert "Olga Sørensen" in text and "Priya Natarajan" in text
            assert "anna@acme.example" in text or name == "routine-maintenance"
    owners = templates.render(info, realistic(1), dirs)
    without = templates.render(info, realistic(1, empty=True), dirs)
    assert templates.count_placeholders(without) > templates.count_placeholders(owners)


@pytest.mark.parametrize("name", SHIPPED)
def test_set_values_fill_the_optional_variables(name):
    info = templates.get(name)
    dirs = templates.search_dirs()
    optional = [v for v in info.variables if v not in GENERATED]
    assert optional, "every shipped template takes at least one --set value"
    plain = templates.render(info, realistic(), dirs)
    values = {v: f"VALUE-{v.upper()}" for v in optional}
    filled = templates.render(info, {**realistic(), **values}, dirs)
    for value in values.values():
        assert value in filled
    assert templates.count_placeholders(filled) < templates.count_placeholders(plain)


@pytest.mark.parametrize("name", SHIPPED)
def test_each_missing_required_variable_is_named(name):
    info = templates.get(name)
    context = realistic()
    for var in info.required:
        context.pop(var)
    with pytest.raises(templates.BadInput) as err:
        templates.render(info, context, templates.search_dirs())
    for var in info.required:
        assert var in err.value.message


# --- generation --------------------------------------------------------------------------


def test_generate_writes_records_and_counts_placeholders(cli, rb, tmp_path):
    out = tmp_path / "work" / "runbooks"
    result = new(
        cli,
        rb,
        "--system",
        "sap erp",
        "--template",
        "incident-response",
        "--set",
        "itsm_tool=ServiceNow (group SAP-OPS)",
    )
    assert result.exit_code == 0, result.stderr
    path = out / "sap-erp" / "incident-response.md"
    assert str(path) in result.stdout
    text = path.read_text(encoding="utf-8")
    assert "ServiceNow (group SAP-OPS)" in text
    assert "Olga Old (olga@oldco.example)" in text and "Pat Pro (pat@newco.example)" in text
    # escalation: provider first, then incumbent, then client; owners/leads first
    order = [
        text.index(n) for n in ("| Pat Pro |", "| Olga Old |", "| Ivan Inc |", "| Cleo Client |")
    ]
    assert order == sorted(order)
    [row] = listed(cli, rb)
    assert row["status"] == "drafted" and row["template"] == "incident-response"
    assert row["system"] == "SAP ERP" and row["path"] == str(path)
    assert Path(row["path"]).is_absolute()
    assert row["placeholders_total"] == len(MARKER.findall(text)) == text.count("[[FILL:")
    assert row["placeholders_left"] == row["placeholders_total"]
    assert row["fill_ratio"] == 0.0 and row["file_missing"] is False

    # a person fills one placeholder: one fewer left
    first = MARKER.search(text)
    path.write_text(text[: first.start()] + "ServiceNow" + text[first.end() :], encoding="utf-8")
    [row] = listed(cli, rb)
    assert row["placeholders_left"] == row["placeholders_total"] - 1
    assert row["fill_ratio"] == pytest.approx(1 / row["placeholders_total"], abs=1e-4)

    # all filled
    path.write_text(MARKER.sub("done", text), encoding="utf-8")
    [row] = listed(cli, rb)
    assert row["placeholders_left"] == 0 and row["fill_ratio"] == 1.0

    # the file disappears: reported, not a crash
    path.unlink()
    [row] = listed(cli, rb)
    assert row["file_missing"] is True and row["placeholders_left"] is None
    plain = cli("runbook", "list", rb)
    assert plain.exit_code == 0 and "file missing" in plain.stdout


def test_every_shipped_template_generates_through_the_cli(cli, rb, tmp_path):
    out = tmp_path / "out"
    for name in SHIPPED:
        result = new(cli, rb, "--system", "Intranet", "--template", name, "--out", str(out))
        assert result.exit_code == 0, result.stderr
    rows = listed(cli, rb)
    assert sorted(r["template"] for r in rows) == SHIPPED
    for row in rows:
        text = Path(row["path"]).read_text(encoding="utf-8")
        assert row["placeholders_total"] == len(MARKER.findall(text)) > 0
        assert not [s for s in JINJA_LEFTOVERS if s in text]
        assert "tier 3" in text.lower() or "Criticality tier | 3" in text
    assert tree(out) == {"intranet", *(f"intranet/{n}.md" for n in SHIPPED)}
    # the handover checklist has a hand-back item per runbook
    items = cli("handover", "show", rb, "--json").json()
    hand_back = [i for i in items if i.get("source_kind") == "runbook"]
    assert len(hand_back) == len(SHIPPED)
    assert all(i["status"] == "open" for i in hand_back)


def test_default_out_folder_is_runbooks_in_the_current_directory(cli, rb, tmp_path):
    result = new(cli, rb, "--system", "SAP ERP", "--template", "backup-restore")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "work" / "runbooks" / "sap-erp" / "backup-restore.md").is_file()


def test_dry_run_prints_and_changes_nothing(cli, rb, tmp_path, db_url):
    before = dump(db_url)
    result = new(
        cli,
        rb,
        "--system",
        "SAP ERP",
        "--template",
        "service-restart",
        "--dry-run",
        "--set",
        "service_window=Sunday 02:00-06:00 CET",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# SAP ERP — Service restart")
    assert "Sunday 02:00-06:00 CET" in result.stdout
    assert tree(tmp_path / "work") == set()
    assert dump(db_url) == before


def test_existing_file_is_never_overwritten_without_force(cli, rb, tmp_path):
    args = ("--system", "SAP ERP", "--template", "incident-response")
    assert new(cli, rb, *args).exit_code == 0
    path = tmp_path / "work" / "runbooks" / "sap-erp" / "incident-response.md"
    path.write_text("my own work\n", encoding="utf-8")
    refused = new(cli, rb, *args)
    assert_clean_error(refused, 1)
    assert "--force" in refused.stderr
    assert path.read_text(encoding="utf-8") == "my own work\n"

    # a file that exists without a record is protected too
    other = tmp_path / "work" / "runbooks" / "sap-erp" / "backup-restore.md"
    other.write_text("hand written\n", encoding="utf-8")
    assert_clean_error(new(cli, rb, "--system", "SAP ERP", "--template", "backup-restore"), 1)
    assert other.read_text(encoding="utf-8") == "hand written\n"

    # --force updates the same runbook (no duplicate): the template has nothing new, so
    # the edited file is kept; overwriting it needs --discard-edits, which keeps the old
    # file beside it and sends the runbook back to drafted
    rid = listed(cli, rb)[0]["id"]
    assert cli("runbook", "status", rb, str(rid), "reviewed").exit_code == 0
    kept = new(cli, rb, *args, "--force")
    assert kept.exit_code == 0 and "nothing changed" in kept.stdout
    assert path.read_text(encoding="utf-8") == "my own work\n"
    forced = new(cli, rb, *args, "--force", "--discard-edits")
    assert forced.exit_code == 0, forced.stderr
    assert path.with_name("incident-response.md.orig").read_text() == "my own work\n"
    assert "regenerated" in forced.stdout
    [row] = listed(cli, rb)
    assert row["id"] == rid and row["status"] == "drafted"
    assert path.read_text(encoding="utf-8").startswith("# SAP ERP — Incident response")
    events = cli("audit", rb, "--json").json()
    assert any(e["action"] == "regenerate" and e["entity_id"] == rid for e in events)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_force_never_destroys_edited_text(cli, rb, tmp_path, db_url):
    args = ("--system", "SAP ERP", "--template", "incident-response")
    assert new(cli, rb, *args).exit_code == 0
    path = tmp_path / "work" / "runbooks" / "sap-erp" / "incident-response.md"
    orig = path.with_name("incident-response.md.orig")
    skeleton = path.read_text(encoding="utf-8")
    # the file as generated: --force regenerates it
    assert new(cli, rb, *args, "--force").exit_code == 0
    assert path.read_text(encoding="utf-8") == skeleton and not orig.exists()

    # people fill it in: three lines differ (two changed, one added)
    lines = skeleton.splitlines(keepends=True)
    lines[2] = "Filled in by the incumbent team.\n"
    lines[6] = "Escalate to the duty manager first.\n"
    edited = "".join(lines) + "A note at the end.\n"
    path.write_text(edited, encoding="utf-8")
    before = dump(db_url)
    kept = new(cli, rb, *args, "--force")  # an update: the template has nothing new
    assert kept.exit_code == 0, kept.stderr
    assert "nothing changed" in kept.stdout and "your edits are kept" in kept.stdout
    assert path.read_text(encoding="utf-8") == edited and not orig.exists()
    assert dump(db_url) == before
    assert_clean_error(new(cli, rb, *args, "--discard-edits"), 2)  # goes with --force
    assert dump(db_url) == before

    # a deliberate overwrite keeps the old file beside the new one, both shared like runbooks
    done = new(cli, rb, *args, "--force", "--discard-edits")
    assert done.exit_code == 0, done.stderr
    assert str(orig) in done.stdout
    assert orig.read_text(encoding="utf-8") == edited
    assert path.read_text(encoding="utf-8") == skeleton
    assert _mode(path) == _mode(orig) == 0o644
    assert not [p.name for p in path.parent.iterdir() if p.name.startswith(".")]

    # edited again: an earlier .orig is never overwritten
    path.write_text("second edit\n", encoding="utf-8")
    assert_clean_error(new(cli, rb, *args, "--force", "--discard-edits"), 1)
    assert orig.read_text(encoding="utf-8") == edited
    assert path.read_text(encoding="utf-8") == "second edit\n"


def test_an_accepted_runbook_is_never_sent_back_to_drafted(cli, rb, tmp_path, db_url):
    args = ("--system", "SAP ERP", "--template", "incident-response")
    assert new(cli, rb, *args).exit_code == 0
    rid = str(listed(cli, rb)[0]["id"])
    advance(cli, rb, rid, "accepted", by="Pat Pro")
    path = tmp_path / "work" / "runbooks" / "sap-erp" / "incident-response.md"
    skeleton = path.read_text(encoding="utf-8")

    # the skeleton is unchanged and so is the file: nothing to do, status kept
    before = dump(db_url)
    same = new(cli, rb, *args, "--force")
    assert same.exit_code == 0, same.stderr
    assert "nothing changed" in same.stdout
    assert listed(cli, rb)[0]["status"] == "accepted"
    assert dump(db_url) == before

    # edited: --force merges the template in (nothing new here, the edits are kept);
    # discarding the edits would send it back to drafted: refused, with the way to do it
    path.write_text(skeleton + "Reviewed and accepted by the client.\n", encoding="utf-8")
    kept = new(cli, rb, *args, "--force")
    assert kept.exit_code == 0 and "nothing changed" in kept.stdout
    refused = new(cli, rb, *args, "--force", "--discard-edits")
    assert_clean_error(refused, 1)
    assert "is accepted" in refused.stderr and "runbook status" in refused.stderr
    assert listed(cli, rb)[0]["status"] == "accepted"
    assert path.read_text(encoding="utf-8").endswith("accepted by the client.\n")
    assert dump(db_url) == before


def test_runbooks_from_before_the_recorded_skeleton(cli, rb, tmp_path, db_url):
    """Rows from before the skeleton column: the file counts as edited unless it is
    exactly what the template renders now."""
    from sqlalchemy import create_engine, text

    args = ("--system", "SAP ERP", "--template", "incident-response")
    assert new(cli, rb, *args).exit_code == 0
    path = tmp_path / "work" / "runbooks" / "sap-erp" / "incident-response.md"
    engine = create_engine(db_url)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT skeleton FROM runbook")).scalar() == path.read_text()
        conn.execute(text("UPDATE runbook SET skeleton = NULL"))
    assert new(cli, rb, *args, "--force").exit_code == 0  # equals a fresh rendering
    with engine.begin() as conn:
        conn.execute(text("UPDATE runbook SET skeleton = NULL"))
    engine.dispose()
    path.write_text(path.read_text() + "one more line\n", encoding="utf-8")
    refused = new(cli, rb, *args, "--force")
    assert_clean_error(refused, 1)
    assert "the file has been edited: 1 line differs from" in refused.stderr


def test_a_runbook_file_replaced_by_a_fifo_never_blocks(cli, rb, tmp_path):
    args = ("--system", "SAP ERP", "--template", "incident-response")
    assert new(cli, rb, *args).exit_code == 0
    path = tmp_path / "work" / "runbooks" / "sap-erp" / "incident-response.md"
    path.unlink()
    os.mkfifo(path)
    [row] = listed(cli, rb)
    assert row["file_missing"] is True
    assert cli("report", rb).exit_code == 0
    assert_clean_error(new(cli, rb, *args, "--force"))
    assert stat.S_ISFIFO(os.lstat(path).st_mode)


def test_every_undeclared_variable_is_named_at_once(cli, rb, tmp_path, db_url):
    folder = tmp_path / "tpl"
    part = write(folder, "part", "Shared part\n{{ part_only }}\n")
    main = write(
        folder,
        "main",
        FRONT
        + "# {{ system.name }} {{ x }}\n{{ batch_window_start }}\n"
        + "{% include 'part' %}\n{% set local = 1 %}{{ local }}\n"
        + "{{ batch_window_end | default('') }} {{ batch_window_start }}\n",
    )
    before = dump(db_url)
    result = new(
        cli, rb, "--system", "SAP ERP", "--template", "main", "--templates", str(folder),
        "--set", "x=1",
    )  # fmt: skip
    assert_clean_error(result)
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"error: {main}:9: ")
    assert "3 variable(s)" in first
    assert "batch_window_start (line 9)" in first and "batch_window_end (line 12)" in first
    assert f"part_only ({part}:line 2)" in first
    for name in ("local", "system", " x "):
        assert f"{name} (" not in first
    assert tree(tmp_path / "work") == set()
    assert dump(db_url) == before


def test_a_recorded_runbook_needs_force_even_into_another_folder(cli, rb, tmp_path):
    args = ("--system", "SAP ERP", "--template", "incident-response")
    assert new(cli, rb, *args).exit_code == 0
    again = new(cli, rb, *args, "--out", str(tmp_path / "elsewhere"))
    assert_clean_error(again, 1)
    assert "already exists" in again.stderr
    assert not (tmp_path / "elsewhere").exists()


def test_bad_set_values(cli, rb, tmp_path):
    base = ("--system", "SAP ERP", "--template", "backup-restore")
    for bad in ("nokey", "=x", "two words=x", "rot=4h", "system=evil"):
        result = new(cli, rb, *base, "--set", bad)
        assert_clean_error(result)
    assert "rot" in new(cli, rb, *base, "--set", "rot=4h").stderr
    secret = new(cli, rb, *base, "--set", "backup_tool=Veeam password=hunter2")
    assert_clean_error(secret)
    assert tree(tmp_path / "work") == set()
    assert listed(cli, rb) == []


def test_unknown_names(cli, rb, tmp_path):
    assert_clean_error(new(cli, rb, "--system", "Nope", "--template", "incident-response"))
    unknown = new(cli, rb, "--system", "SAP ERP", "--template", "no-such-template")
    assert_clean_error(unknown)
    assert "incident-response" in unknown.stderr  # says what exists
    assert_clean_error(new(cli, "no-such-eng", "--system", "SAP ERP", "--template", "x"))
    assert tree(tmp_path / "work") == set()


# --- path safety -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "system",
    ["../../etc", "/abs/path", "..", "../", "sap\x00erp", "a\nb/../../c", "~/x", "C:\\Windows"],
)
def test_system_names_never_write_outside_the_out_folder(cli, rb, tmp_path, system):
    # the system may or may not be accepted as a name; either way nothing escapes
    cli("system", "add", rb, system)
    out = tmp_path / "work" / "deep" / "out"
    before = tree(tmp_path)
    result = new(cli, rb, "--system", system, "--template", "incident-response", "--out", str(out))
    created = tree(tmp_path) - before
    assert all(p.startswith("work/deep") for p in created), created
    if result.exit_code == 0:
        [written] = [p for p in created if p.endswith(".md")]
        rel = Path(written).relative_to("work/deep/out")
        assert len(rel.parts) == 2 and re.fullmatch(r"[a-z0-9-]+", rel.parts[0])
    else:
        assert_clean_error(result)
        assert created == set()
    assert not Path("/abs/path").exists()


@pytest.mark.parametrize(
    "template", ["../x", "../../etc/passwd", "/etc/passwd", "..", "x/../../y", "a b", "x\x00y", ""]
)
def test_template_names_never_leave_the_folders(cli, rb, tmp_path, template):
    before = tree(tmp_path)
    result = new(cli, rb, "--system", "SAP ERP", "--template", template)
    assert_clean_error(result)
    assert tree(tmp_path) == before


def test_symlinks_cannot_lead_outside(cli, rb, tmp_path):
    out = tmp_path / "work" / "out"
    outside = tmp_path / "outside"
    outside.mkdir()
    out.mkdir()
    (out / "sap-erp").symlink_to(outside, target_is_directory=True)
    result = new(
        cli,
        rb,
        "--system",
        "SAP ERP",
        "--template",
        "incident-response",
        "--out",
        str(out),
        "--force",
    )
    assert_clean_error(result)
    assert list(outside.iterdir()) == []

    (out / "sap-erp").unlink()
    (out / "sap-erp").mkdir()
    victim = outside / "victim.txt"
    victim.write_text("keep me\n")
    (out / "sap-erp" / "incident-response.md").symlink_to(victim)
    result = new(
        cli,
        rb,
        "--system",
        "SAP ERP",
        "--template",
        "incident-response",
        "--out",
        str(out),
        "--force",
    )
    assert_clean_error(result)
    assert victim.read_text() == "keep me\n"
    assert listed(cli, rb) == []


def test_symlink_loops_are_refused_cleanly(cli, rb, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "sap-erp").symlink_to(out / "sap-erp")  # the system folder points at itself
    (tmp_path / "loop-a").symlink_to(tmp_path / "loop-b")
    (tmp_path / "loop-b").symlink_to(tmp_path / "loop-a")
    for folder in (out, tmp_path / "loop-a"):
        result = new(
            cli, rb, "--system", "SAP ERP", "--template", "incident-response", "--out", str(folder)
        )
        assert_clean_error(result)
        assert "symlink loop" in result.stderr.lower() or "symbolic link" in result.stderr
    assert listed(cli, rb) == []


def test_a_system_folder_linked_inside_the_out_folder_is_followed(cli, rb, tmp_path):
    out = tmp_path / "out"
    (out / "shared").mkdir(parents=True)
    (out / "sap-erp").symlink_to(out / "shared", target_is_directory=True)
    result = new(
        cli, rb, "--system", "SAP ERP", "--template", "incident-response", "--out", str(out)
    )
    assert result.exit_code == 0, result.stderr
    assert (out / "shared" / "incident-response.md").is_file()
    [row] = listed(cli, rb)
    assert row["file_missing"] is False


# --- user templates ----------------------------------------------------------------------


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md.j2"
    path.write_text(text, encoding="utf-8")
    return path


FRONT = (
    "---\ntitle: Custom\ndescription: A custom one\nvariables:\n  x:\n    required: false\n---\n"
)


ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ x.__globals__ }}",
    "{{ engagement.__dict__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{% for c in ''.__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ '{0.__class__}'.format(system) }}",
    "{{ system.name.__class__ }}",
    "{{ system['__class__'] }}",
    "{{ escalation.append(1) }}",
]


def test_sandbox_escapes_fail_safely(cli, rb, tmp_path, db_url, setting, monkeypatch):
    folder = tmp_path / "tpl"
    for i, body in enumerate(ESCAPES):
        write(folder, f"evil-{i}", FRONT + "# Evil\n\n" + body + "\n")
    before = dump(db_url)
    for i, body in enumerate(ESCAPES):
        # through --templates and through TRANSITION_TEMPLATES, in turn
        extra: tuple[str, ...] = ("--templates", str(folder))
        if i % 2:
            setting("TRANSITION_TEMPLATES", str(folder))
            extra = ()
        result = new(
            cli, rb, "--system", "SAP ERP", "--template", f"evil-{i}", "--set", "x=42", *extra
        )
        setting("TRANSITION_TEMPLATES", None)
        assert_clean_error(result)
        assert f"{folder / f'evil-{i}.md.j2'}:10:" in result.stderr, body  # file and line
        if "__" in body:
            assert "unsafe attribute access" in result.stderr, body
    # without --set x, the undefined name is the error, still with file and line
    result = new(cli, rb, "--system", "SAP ERP", "--template", "evil-2", "--templates", str(folder))
    assert_clean_error(result)
    assert f"{folder / 'evil-2.md.j2'}:10:" in result.stderr and "'x'" in result.stderr
    assert tree(tmp_path / "work") == set()
    assert dump(db_url) == before


def test_user_templates_are_listed_and_searched_first(cli, rb, tmp_path, setting, monkeypatch):
    folder = tmp_path / "tpl"
    write(
        folder, "incident-response", "---\ntitle: Our incident process\n---\n# {{ system.name }}\n"
    )
    write(folder, "vendor-call", "# Vendor call for {{ system.name }}: [[FILL: vendor]]\n")
    listed_json = cli("runbook", "templates", "--templates", str(folder), "--json").json()
    rows = {r["name"]: r for r in listed_json}
    assert rows["incident-response"]["source"] == "user"
    assert rows["incident-response"]["title"] == "Our incident process"
    assert rows["vendor-call"]["source"] == "user" and rows["backup-restore"]["source"] == "shipped"
    setting("TRANSITION_TEMPLATES", os.pathsep.join([str(tmp_path / "none"), ""]))
    assert_clean_error(cli("runbook", "templates"))  # a folder that does not exist
    setting("TRANSITION_TEMPLATES", str(folder))
    result = new(cli, rb, "--system", "SAP ERP", "--template", "vendor-call")
    assert result.exit_code == 0, result.stderr
    [row] = listed(cli, rb)
    assert row["placeholders_total"] == 1 and row["title"] == "Vendor call"
    assert Path(row["path"]).read_text() == "# Vendor call for SAP ERP: [[FILL: vendor]]\n"
    assert new(cli, rb, "--system", "SAP ERP", "--template", "incident-response").exit_code == 0
    text = (tmp_path / "work" / "runbooks" / "sap-erp" / "incident-response.md").read_text()
    assert text == "# SAP ERP\n"


def test_user_template_names_must_be_slugs(cli, rb, tmp_path):
    folder = tmp_path / "tpl"
    write(folder, "My Template", "# x\n")
    write(folder, "UPPER", "# x\n")
    result = cli("runbook", "templates", "--templates", str(folder))
    assert_clean_error(result)
    assert "My Template" in result.stderr and "UPPER" in result.stderr


def test_missing_required_variables_are_all_named_before_writing(
    cli, acme, tmp_path, db_url, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert cli("system", "add", acme, "SAP ERP").exit_code == 0
    folder = tmp_path / "tpl"
    write(
        folder,
        "needs",
        "---\ntitle: Needs\nvariables:\n"
        "  vendor: {required: true}\n  owner_phone: {required: true}\n"
        "  incumbent_owner: {required: true}\n  note: {required: false}\n---\n"
        "{{ vendor }} {{ owner_phone }} {{ incumbent_owner.name }}\n",
    )
    before = dump(db_url)
    result = new(
        cli, acme, "--system", "SAP ERP", "--template", "needs", "--templates", str(folder)
    )
    assert_clean_error(result)
    first = result.stderr.splitlines()[0]
    for var in ("vendor", "owner_phone", "incumbent_owner"):
        assert var in first
    assert "note" not in first
    assert not (tmp_path / "runbooks").exists()
    assert dump(db_url) == before


def test_template_errors_name_file_and_line(cli, rb, tmp_path):
    folder = tmp_path / "tpl"
    syntax = write(folder, "broken", FRONT + "# T\n\nline 10\n{% if system.tier %}\nno end\n")
    result = new(cli, rb, "--system", "SAP ERP", "--template", "broken", "--templates", str(folder))
    assert_clean_error(result)
    assert f"{syntax}:" in result.stderr and re.search(r":1[01]: ", result.stderr)

    undefined = write(folder, "undef", FRONT + "# T\n\n\n{{ nowhere }}\n")
    result = new(cli, rb, "--system", "SAP ERP", "--template", "undef", "--templates", str(folder))
    assert_clean_error(result)
    assert f"{undefined}:11:" in result.stderr and "nowhere" in result.stderr

    attr = write(folder, "attr", FRONT + "{{ system.owner_phone }}\n")
    result = new(cli, rb, "--system", "SAP ERP", "--template", "attr", "--templates", str(folder))
    assert_clean_error(result)
    assert f"{attr}:8:" in result.stderr and "owner_phone" in result.stderr
    assert "(it has: name, slug, tier)" in result.stderr  # what the author can use instead

    bad_front = write(folder, "front", "---\ntitle: T\ncolour: red\n---\n# x\n")
    result = new(cli, rb, "--system", "SAP ERP", "--template", "front", "--templates", str(folder))
    assert_clean_error(result)
    assert f"{bad_front}:3:" in result.stderr and "colour" in result.stderr

    unclosed = write(folder, "unclosed", "---\ntitle: T\n# x\n")
    result = new(
        cli, rb, "--system", "SAP ERP", "--template", "unclosed", "--templates", str(folder)
    )
    assert_clean_error(result)
    assert f"{unclosed}:1:" in result.stderr

    include = write(folder, "incl", '{% include "../../../etc/passwd" %}\n')
    result = new(cli, rb, "--system", "SAP ERP", "--template", "incl", "--templates", str(folder))
    assert_clean_error(result)
    assert f"{include}" in result.stderr and "root:" not in result.stderr
    assert tree(tmp_path / "work") == set()
    assert listed(cli, rb) == []


# --- lifecycle ---------------------------------------------------------------------------


def test_lifecycle_one_step_at_a_time(cli, rb):
    assert new(cli, rb, "--system", "SAP ERP", "--template", "incident-response").exit_code == 0
    rid = str(listed(cli, rb)[0]["id"])

    def status():
        return listed(cli, rb)[0]["status"]

    skip = cli("runbook", "status", rb, rid, "validated")
    assert_clean_error(skip, 1)
    assert "reviewed" in skip.stderr and status() == "drafted"
    fill(listed(cli, rb)[0]["path"])
    assert cli("runbook", "status", rb, rid, "reviewed").exit_code == 0
    exercised = ("--on", "2026-11-19", "--by", "Pat Pro", "--outcome", "pass")
    assert cli("runbook", "exercise", rb, rid, *exercised).exit_code == 0
    as_json = cli("runbook", "status", rb, rid, "validated", "--json")
    assert as_json.exit_code == 0, as_json.stderr
    assert as_json.json()["from"] == "reviewed" and as_json.json()["to"] == "validated"
    assert_clean_error(cli("runbook", "status", rb, rid, "drafted"), 1)  # backwards
    assert status() == "validated"
    again = cli("runbook", "status", rb, rid, "validated")
    assert again.exit_code == 0 and "already" in again.stdout
    assert cli("runbook", "status", rb, rid, "accepted", "--by", "Pat Pro").exit_code == 0
    assert status() == "accepted"

    assert_clean_error(cli("runbook", "status", rb, rid, "drafted", "--force"))  # no reason
    assert_clean_error(cli("runbook", "status", rb, rid, "drafted", "--force", "--reason", " "))
    assert_clean_error(
        cli("runbook", "status", rb, rid, "drafted", "--force", "--reason", "token=abc123")
    )
    assert status() == "accepted"
    back = cli(
        "runbook",
        "status",
        rb,
        rid,
        "drafted",
        "--force",
        "--reason",
        "client rejected section 4 after the DR test",
    )
    assert back.exit_code == 0, back.stderr
    assert status() == "drafted"
    skip = cli(
        "runbook",
        "status",
        rb,
        rid,
        "accepted",
        "--force",
        "--reason",
        "accepted by the client at the steering committee of 2026-11-19",
        "--by",
        "Pat Pro",
    )
    assert skip.exit_code == 0, skip.stderr
    assert status() == "accepted"
    events = [e for e in cli("audit", rb, "--json").json() if e["entity"] == "runbook"]
    reasons = [e["after"] for e in events if e["field"] == "reason"]
    assert reasons == [
        "client rejected section 4 after the DR test",
        "accepted by the client at the steering committee of 2026-11-19",
    ]
    statuses = [(e["before"], e["after"]) for e in events if e["field"] == "status"]
    assert statuses[-2:] == [("accepted", "drafted"), ("drafted", "accepted")]

    assert_clean_error(cli("runbook", "status", rb, "999", "reviewed"))
    assert_clean_error(cli("runbook", "status", rb, "abc", "reviewed"))
    assert_clean_error(cli("runbook", "status", rb, rid, "done"))


def test_runbooks_accepted_gate_and_coverage(cli, rb, tmp_path):
    def criterion():
        phases = cli("phase", "status", rb, "--json").json()["phases"]
        [gate] = [g for p in phases for g in p["gate"] if g["name"] == "runbooks_accepted"]
        return gate

    assert criterion()["met"] is False
    # managed service: four runbooks for every system, two more for tier 1
    required = {
        "SAP ERP": [
            "incident-response",
            "service-restart",
            "backup-restore",
            "monitoring-alerts",
            "disaster-recovery",
            "on-call-escalation",
        ],
        "Intranet": ["incident-response", "service-restart", "backup-restore", "monitoring-alerts"],
    }
    for system, names in required.items():
        for name in names:
            assert new(cli, rb, "--system", system, "--template", name).exit_code == 0
    coverage = {s["name"]: s for s in cli("system", "list", rb, "--json").json()}
    assert coverage["SAP ERP"]["runbooks_required"] == 6
    assert coverage["SAP ERP"]["runbooks_accepted"] == 0
    rows = listed(cli, rb)
    for row in rows[:-1]:
        advance(cli, rb, row["id"], "accepted", by="Pat Pro")
    gate = criterion()
    assert gate["met"] is False and rows[-1]["system"] in gate["reason"]
    last = str(rows[-1]["id"])
    assert (
        cli(
            "runbook",
            "status",
            rb,
            last,
            "accepted",
            "--force",
            "--reason",
            "exercised in the parallel run, signed by the client",
            "--by",
            "Pat Pro",
        ).exit_code
        == 0
    )
    assert criterion()["met"] is True
    coverage = {s["name"]: s for s in cli("system", "list", rb, "--json").json()}
    assert coverage["SAP ERP"]["runbooks_accepted"] == 6
    assert coverage["Intranet"]["runbooks_missing"] == []


# --- cost --------------------------------------------------------------------------------


def test_list_issues_a_bounded_number_of_queries(
    engine, session_scope, cli, rb, tmp_path, count_queries
):
    def queries():
        with session_scope(write=False) as s:
            eng = get_engagement(s, rb)
            with count_queries() as q:
                rows = runbooks.list_runbooks(s, eng)
        return q.count, len(rows)

    assert new(cli, rb, "--system", "SAP ERP", "--template", "incident-response").exit_code == 0
    few, n = queries()
    for name in SHIPPED[:8]:
        new(cli, rb, "--system", "Intranet", "--template", name)
    many, m = queries()
    assert (n, m) == (1, 9)
    assert many == few <= 4  # runbooks, the parallel-run phase, exercises


def test_generate_issues_a_bounded_number_of_queries(
    session_scope, cli, rb, tmp_path, count_queries
):
    for i in range(30):
        assert cli("person", "add", rb, f"Extra {i}", "--side", "provider").exit_code == 0
    counts = []
    for name in SHIPPED[:3]:
        with session_scope() as s:
            eng = get_engagement(s, rb)
            with count_queries() as q:
                runbooks.generate(s, eng, system="SAP ERP", template=name, out_dir=tmp_path / "q")
            counts.append(q.count)
    assert max(counts) <= 15, counts


def test_runbook_list_does_not_import_jinja(db_url, cli, rb):
    code = (
        "import sys\n"
        "from transition.cli.main import main\n"
        "try:\n"
        f"    main(['--db', {db_url!r}, 'runbook', 'list', {rb!r}])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        "assert 'jinja2' not in sys.modules, 'jinja2 imported'\n"
        "assert 'textual' not in sys.modules, 'textual imported'\n"
    )
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


HOSTILE = ["Ann | Old", "*Bob* _New_", "Eve [x](javascript:1)", "<b>Mal</b> `tick`", "# Not a head"]


def _cells(line: str) -> int:
    """Cells of a Markdown table row: ``|`` not escaped by a backslash separate them."""
    return len(re.findall(r"(?<!\\)\|", line)) - 1


@pytest.mark.parametrize(
    "template", ["incident-response", "service-restart", "access-provisioning"]
)
def test_user_text_in_a_runbook_is_literal_markdown(cli, acme, tmp_path, monkeypatch, template):
    """Names, parties and roles are escaped; a ``|`` never splits a table cell."""
    monkeypatch.chdir(tmp_path)
    hostile_system = "CRM | *core* [x]"
    assert cli("system", "add", acme, hostile_system).exit_code == 0
    for i, name in enumerate(HOSTILE):
        side = "incumbent" if i % 2 else "provider"
        role = f"{name} owner" if i < 2 else "| lead |"
        assert cli("person", "add", acme, name, "--side", side, "--role", role).exit_code == 0
    result = new(cli, acme, "--system", hostile_system, "--template", template, "--dry-run")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    header = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        if header is None:
            header = _cells(line)
        assert _cells(line) == header, line  # every row keeps its columns
    assert "CRM \\| \\*core\\* \\[x\\]" in text
    for name in HOSTILE[:-1]:
        assert name not in text  # only escaped
    assert "\\# Not a head" in text
    assert "Ann \\| Old" in text and "\\*Bob\\* \\_New\\_" in text
    assert "[[FILL:" in text  # the template's own Markdown is untouched


def test_a_report_layout_beside_runbook_templates_is_not_a_runbook(cli, acme, tmp_path):
    """README: report.md.j2 may live in the same --templates folder as runbook templates;
    it is the report's layout, so it is neither listed nor generated as a runbook. A name
    that is not a regular file is not offered either."""
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "report.md.j2").write_text("# {{ engagement.name }}\n", encoding="utf-8")
    os.mkfifo(folder / "piped.md.j2")
    listed = cli("runbook", "templates", "--templates", folder, "--json")
    assert listed.exit_code == 0, listed.stderr
    names = [t["name"] for t in listed.json()]
    assert "report" not in names and "piped" not in names and "incident-response" in names
    assert cli("system", "add", acme, "CRM").exit_code == 0
    for name in ("report", "piped"):
        refused = new(cli, acme, "--system", "CRM", "--template", name, "--templates", folder)
        assert_clean_error(refused, 2)
        assert f"unknown template '{name}'" in refused.stderr
        available = refused.stderr.split("available are ", 1)[1]
        assert "report" not in available and "piped" not in available
