"""The benchmark runs end to end at its small size, so it cannot rot."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.slow
def test_small_benchmark_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import run
    finally:
        sys.path.remove(str(BENCH))
    result = run.main(["--size", "small", "--runs", "1", "--json"])
    assert result["rows"] == {
        "engagement": 3,
        "task": 120,
        "accessgrant": 60,
        "kt_session": 18,
        "runbook": 12,
    }
    assert result["floor_s"] > 0
    names = [row["name"] for row in result["commands"]]
    assert names == [
        "engagement list --json",
        "task list ENG --json",
        "access review ENG",
        "handover sync ENG",
        "report ENG --format html",
    ]
    for row in result["commands"]:
        assert row["median_s"] > 0 and row["ratio"] > 0 and row["cpu_s"] >= 0
        # The report reads every section (evidence, governance, readiness): ~100 statements.
        limit = 110 if row["name"].startswith("report") else 60
        assert 0 < row["queries"] <= limit, row
    if not isinstance(result["tui"], str):
        assert [r["name"] for r in result["tui"]] == [
            "TUI dashboard first paint",
            "TUI engagement first paint",
        ]
    assert "report ENG --format html" in capsys.readouterr().out


@pytest.mark.slow
def test_runbook_generation_benchmark_runs_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import runbooks_generate
    finally:
        sys.path.remove(str(BENCH))
    timings = runbooks_generate.run(tmp_path, 25, None, repeat=2)
    assert set(timings) == {
        "disk reference",
        "disk reference, again",
        "render only",
        "generate median",
        "new, commit each",
        "regenerate, commit each",
    }
    assert all(seconds > 0 for seconds in timings.values())
    out = capsys.readouterr().out
    assert "files written: 75, runbooks recorded: 75" in out


@pytest.mark.slow
def test_runbook_update_benchmark_runs_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import runbook_update
    finally:
        sys.path.remove(str(BENCH))
    timings = runbook_update.run(tmp_path, 20, None)
    assert set(timings) == {"dry run", "update", "again"}
    out = capsys.readouterr().out
    assert "update: {'conflicts': 2, 'merged': 18}" in out
    assert "again: {'unchanged': 20}" in out
