"""The runbook verbs through their public interface: read models, the lifecycle's next
step, errors naming the argument they are about, and one error translation for runbook
and report templates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from runbook_steps import fill

from transition import reports, templates
from transition.errors import BadInput, NotFound
from transition.services import runbooks
from transition.services.views.runbooks import RunbookGenerated, RunbookStatusChange, RunbookView

DAY = date(2026, 11, 20)
#: The least a report template is rendered with (its charts need these).
REPORT_DATA = {"burndown": {"start": DAY, "end": DAY, "total": 0, "points": []}, "today": DAY, "phases": []}  # fmt: skip


@pytest.fixture
def eng(cli, acme, clock, tmp_path, monkeypatch) -> str:
    monkeypatch.chdir(tmp_path)
    clock.pin(today="2026-11-20")
    assert cli("system", "add", acme, "SAP ERP", "--tier", "1").exit_code == 0
    assert cli("person", "add", acme, "Olga Old", "--side", "incumbent").exit_code == 0
    assert cli("person", "add", acme, "Pia New", "--side", "provider").exit_code == 0
    return acme


def test_the_lifecycle_steps_one_at_a_time():
    steps = [runbooks.next_status(s) for s in runbooks.STATUSES]
    assert steps == ["reviewed", "validated", "accepted", None]
    assert runbooks.next_status("no-such-status") is None


def test_verbs_take_the_engagement_by_name_and_return_views(session_scope, eng, tmp_path):
    out = tmp_path / "out"
    with session_scope() as s:
        dry = runbooks.generate(
            s, eng, system="SAP ERP", template="service-restart", out_dir=out, dry_run=True
        )
    assert isinstance(dry, RunbookGenerated) and dry.id is None and dry.text
    assert "text" in dry.model_dump(mode="json")
    assert not out.exists()
    with session_scope() as s:
        made = runbooks.generate(
            s, eng, system="SAP ERP", template="service-restart", out_dir=out, sets=[]
        )
    dumped = made.model_dump(mode="json")
    assert made.id and Path(made.path).is_file()
    assert not {"text", "kept", "unchanged"} & set(dumped)
    with session_scope() as s:
        (row,) = runbooks.list_runbooks(s, eng)
        assert isinstance(row, RunbookView) and row.id == made.id and row.status == "drafted"
        fill(made.path)  # reviewed needs a file with no placeholder left
        moved = runbooks.set_status(s, eng, row.id, runbooks.next_status(row.status))
    assert isinstance(moved, RunbookStatusChange)
    assert moved.model_dump(mode="json")["from"] == "drafted" and moved.to == "reviewed"


def test_sets_are_taken_as_typed(session_scope, eng, tmp_path):
    with session_scope() as s, pytest.raises(BadInput) as err:
        runbooks.generate(
            s, eng, system="SAP ERP", template="service-restart", sets=["no equals sign"]
        )
    assert err.value.field == "sets" and "invalid --set" in err.value.message


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"system": "No Such System"}, "system"),
        ({"template": "Not a Slug!"}, "template"),
        ({"template": "no-such-template"}, "template"),
        ({"sets": {"system": "x"}}, "sets"),
        ({"sets": {"not_used_anywhere": "x"}}, "sets"),
        ({"out_dir": "a-file"}, "out_dir"),
        ({"template_dirs": ["/no/such/folder"]}, "template_dirs"),
    ],
)
def test_generate_errors_name_their_argument(session_scope, eng, tmp_path, kwargs, field):
    (tmp_path / "a-file").write_text("not a folder")
    args = {"system": "SAP ERP", "template": "service-restart", "dry_run": True, **kwargs}
    with session_scope() as s, pytest.raises(BadInput) as err:
        runbooks.generate(s, eng, **args)
    assert err.value.field == field, err.value.message
    if field == "system":
        assert isinstance(err.value, NotFound)


def test_set_status_errors_name_their_argument(session_scope, eng, tmp_path):
    with session_scope() as s:
        made = runbooks.generate(s, eng, system="SAP ERP", template="service-restart")
    for args, kwargs, field in [
        ((made.id, "finished"), {}, "status"),
        ((made.id, "accepted"), {"force": True}, "reason"),
        (("nine", "reviewed"), {}, "runbook_id"),
    ]:
        with session_scope() as s, pytest.raises(BadInput) as err:
            runbooks.set_status(s, eng, *args, **kwargs)
        assert err.value.field == field, err.value.message


def test_templates_are_listed_as_views_with_what_set_may_fill():
    views = runbooks.list_templates()
    assert {v.name for v in views} >= {"incident-response", "service-restart"}
    for view in views:
        assert not set(view.options) & set(runbooks.BUILTIN)
        assert set(view.options) <= set(view.variables)
        assert "options" not in view.model_dump(mode="json")


def test_runbook_and_report_templates_fail_the_same_way(tmp_path):
    """One translation: the same mistake reads the same, with file and line, in both."""
    bodies = {
        "unsafe": ("{{ ''.__class__ }}", "tried unsafe attribute access"),
        "undefined": ("{{ nothing_here.at_all }}", "undefined variable"),
        "python error": ("{{ 1 // 0 }}", "failed: integer division or modulo by zero"),
    }
    for body, expected in bodies.values():
        (tmp_path / "hostile.md.j2").write_text(f"---\ntitle: H\n---\n\n{body}\n")
        (tmp_path / "report.md.j2").write_text(f"\n{body}\n")
        dirs = templates.search_dirs([tmp_path])
        info = templates.get("hostile", dirs=dirs)
        with pytest.raises(BadInput) as runbook_err:
            templates.render(info, {}, dirs, provided=["nothing_here"])
        with pytest.raises(BadInput) as report_err:
            reports.render(REPORT_DATA, templates=tmp_path)
        for err, where in ((runbook_err, "hostile.md.j2:5: "), (report_err, "report.md.j2:2: ")):
            assert where in err.value.message and expected in err.value.message, err.value.message
