"""Edges of the governance and exit commands found by trying them as a user would:
refusals that name the real problem, with the right exit code, and nothing written."""

from __future__ import annotations

import warnings
import zipfile

import pytest
from sqlalchemy import select

from transition.errors import BadInput, Refused
from transition.models import Engagement, SystemDependency
from transition.services import dependencies, exit_start, raid, systems

ENG = "acme-helpdesk"


@pytest.mark.parametrize("kind", ["assumption", "issue", "dependency", "decision"])
def test_only_risks_are_scored_whatever_half_of_the_score_is_given(session_scope, acme, kind):
    with session_scope() as s:
        ref = raid.add(s, ENG, kind=kind, title="Entry").ref
    for given in ({"probability": 2}, {"impact": 3}, {"probability": 2, "impact": 3}):
        with (
            pytest.raises(BadInput, match=r"only risks have a probability") as caught,
            session_scope() as s,
        ):
            raid.update(s, ENG, ref, **given)
        assert ("an " if kind[0] in "aeiou" else "a ") + kind in str(caught.value)
        with pytest.raises(BadInput, match=r"only risks have a probability"), session_scope() as s:
            raid.add(s, ENG, kind=kind, title="Other", **given)


def test_a_bad_due_date_is_named_plainly(session_scope, acme):
    with pytest.raises(BadInput) as caught, session_scope() as s:
        raid.add(s, ENG, kind="risk", title="Late", due="2026-02-30")
    assert str(caught.value).startswith("invalid due date '2026-02-30'")


def test_removing_a_dependency_of_another_kind_is_refused(session_scope, acme):
    with session_scope() as s:
        systems.add(s, ENG, "Mail")
        systems.add(s, ENG, "Directory")
        dependencies.depends(s, ENG, "Mail", on="Directory", kind="auth")
    with pytest.raises(Refused, match=r"by auth, not data"), session_scope() as s:
        dependencies.depends(s, ENG, "Mail", on="Directory", kind="data", remove=True)
    with session_scope() as s:
        assert s.execute(select(SystemDependency.kind)).scalars().all() == ["auth"]
        dependencies.depends(s, ENG, "Mail", on="Directory", kind="AUTH", remove=True)
    with session_scope() as s:
        assert s.execute(select(SystemDependency)).first() is None


@pytest.mark.parametrize("twice", ["export.json", "manifest.json"])
def test_a_zip_holding_a_name_twice_never_verifies(cli, acme, tmp_path, twice):
    """Unzip tools disagree on which copy of a doubled name they keep: the pack is refused
    whichever copy was forged."""
    assert cli("handover", "pack", ENG, "-o", str(tmp_path / "p.zip")).exit_code == 0
    with zipfile.ZipFile(tmp_path / "p.zip") as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    for forged_first in (True, False):
        target = tmp_path / f"twice-{forged_first}.zip"
        with zipfile.ZipFile(target, "w") as archive, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns of the duplicate name
            for name, data in files.items():
                if name == twice and forged_first:
                    archive.writestr(name, data + b" ")
                archive.writestr(name, data)
                if name == twice and not forged_first:
                    archive.writestr(name, data + b" ")
        result = cli("handover", "pack", "--verify", str(target))
        assert result.exit_code == 1, result.stdout
        assert f"changed: {twice}" in result.stderr
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "bad",
    [
        {"start": "2027-13-01"},
        {"name": ""},
        {"name": "Exit\x1b"},
        {"playbook": "no-such-book"},
    ],
)
def test_bad_input_is_named_before_the_exit_that_exists_already(session_scope, acme, bad):
    with session_scope() as s:
        exit_start.start_exit(s, name="Acme exit", exit_of=ENG)
    with session_scope(write=False) as s:
        before = s.scalars(select(Engagement.slug).order_by(Engagement.slug)).all()
    with pytest.raises(BadInput), session_scope() as s:
        exit_start.start_exit(s, **{"name": "Acme exit two", "exit_of": ENG, **bad})
    with (
        pytest.raises(Refused, match="has an exit engagement already: acme-exit"),
        session_scope() as s,
    ):
        exit_start.start_exit(s, name="Acme exit two", exit_of=ENG)
    with session_scope(write=False) as s:
        assert s.scalars(select(Engagement.slug).order_by(Engagement.slug)).all() == before


def test_the_exit_carries_the_dependency_map_and_moves_whole(cli, acme, tmp_path):
    for name in ("Mail", "Directory", "Network"):
        assert cli("system", "add", ENG, name).exit_code == 0
    cli("system", "depends", ENG, "Mail", "--on", "Directory", "--kind", "auth")
    cli("system", "depends", ENG, "Directory", "--on", "Network", "--kind", "network")
    new = ("engagement", "new", "Acme exit", "--exit-of", ENG, "--playbook", "exit-to-successor")
    assert cli(*new).exit_code == 0
    source = cli("system", "map", ENG, "--format", "dot").stdout
    carried = cli("system", "map", "acme-exit", "--format", "dot").stdout
    assert '"Mail" -> "Directory" [label="auth"]' in carried
    assert carried == source
    cycle = cli("system", "depends", "acme-exit", "Network", "--on", "Mail")
    assert cycle.exit_code == 1 and "cycle" in cycle.stderr
    assert cli("export", "-o", str(tmp_path / "all.json")).exit_code == 0
    for slug in ("acme-exit", ENG):
        cli("engagement", "archive", slug)
        assert cli("engagement", "delete", slug, "--confirm", slug).exit_code == 0
    imported = cli("import", str(tmp_path / "all.json"), "--runbooks", str(tmp_path / "rb"))
    assert imported.exit_code == 0, imported.stderr
    assert cli("system", "map", "acme-exit", "--format", "dot").stdout == carried


@pytest.mark.parametrize(
    "command", [("calendar", ENG), ("handover", "pack", ENG), ("kt", "ics", ENG)]
)
def test_writing_under_a_file_names_the_file(cli, acme, tmp_path, command):
    (tmp_path / "notes.txt").write_text("mine\n")
    target = tmp_path / "notes.txt" / "out.ics"
    result = cli(*command, "-o", str(target))
    assert result.exit_code == 2
    assert (
        result.stderr == f"error: cannot write {target}: {tmp_path / 'notes.txt'} is not a folder\n"
    )
    assert (tmp_path / "notes.txt").read_text() == "mine\n"


def test_the_pack_carries_the_raid_log_and_decisions(cli, acme, tmp_path):
    target = tmp_path / "plain"
    assert cli("handover", "pack", ENG, "-o", str(target)).exit_code == 0
    assert not (target / "raid-log.csv").exists()
    cli("raid", "add", ENG, "--type", "risk", "--title", "=Риск <b>", "--probability", "4",
        "--impact", "5")  # fmt: skip
    cli("raid", "add", ENG, "--type", "decision", "--title", "Keep *the* DC")
    cli("raid", "close", ENG, "DEC-1", "--resolution", "Agreed\nby the board")
    target = tmp_path / "raid.zip"
    assert cli("handover", "pack", ENG, "-o", str(target)).exit_code == 0
    with zipfile.ZipFile(target) as archive:
        log = archive.read("raid-log.csv").decode()
        decisions = archive.read("decisions.md").decode()
    rows = log.splitlines()
    assert rows[0].startswith("ref,kind,title,status,owner,party,probability,impact,score")
    assert rows[1].startswith("R-1,risk,'=Риск <b>,open,,,4,5,20,")
    assert "DEC-1 Keep \\*the\\* DC (closed)" in decisions
    assert decisions.rstrip().endswith("resolved: Agreed by the board")
    assert cli("handover", "pack", "--verify", str(target)).exit_code == 0


def test_empty_minutes_never_erase_the_minutes_of_a_held_meeting(cli, acme, clock, session_scope):
    """Blank minutes or a blank attendee is bad input, not a silent erase or a no-op."""
    from datetime import UTC, datetime

    from transition.services import meeting_edit

    clock.pin(now=datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    assert cli("person", "add", ENG, "Ann Old", "--side", "incumbent").exit_code == 0
    first = cli("meeting", "list", ENG, "--json").json()[0]
    mid = str(first["number"])
    assert cli("meeting", "held", ENG, mid, "--minutes", "Scope agreed.").exit_code == 0
    for blank in ("", "  \n "):
        with pytest.raises(BadInput, match="minutes must not be empty"), session_scope() as s:
            meeting_edit.held(s, ENG, mid, minutes=blank)
    with pytest.raises(BadInput, match="attendee"), session_scope() as s:
        meeting_edit.held(s, ENG, mid, attendees=["Ann Old", " "])
    result = cli("meeting", "held", ENG, mid, "--minutes", "")
    assert result.exit_code == 2 and result.stderr.startswith("error: ")
    row = next(
        m for m in cli("meeting", "list", ENG, "--json").json() if m["number"] == first["number"]
    )
    assert row["notes"] == "Scope agreed." and not row["missed"] and row["attendees"] == []
