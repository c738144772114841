"""One engagement holding many rows: every per-engagement read and sync command sends the
same number of SQL statements at two sizes (no query per row), and the JSON lists that
print plain rows print exactly what the read models print."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
from pathlib import Path

import pytest

from transition.cli.output import table, to_json
from transition.services import access, exit_readiness, handover, kt, kt_topics, tasks

BENCH = Path(__file__).resolve().parent.parent / "bench"

COMMANDS = [
    ("task", "list", "{eng}", "--json"),
    ("task", "list", "{eng}", "--phase", "phase-1", "--json"),
    ("access", "list", "{eng}", "--json"),
    ("access", "list", "{eng}", "--active", "--json"),
    ("access", "list", "{eng}"),
    ("access", "review", "{eng}", "--json"),
    ("access", "review", "{eng}"),
    ("handover", "sync", "{eng}"),
    ("handover", "show", "{eng}"),
    ("handover", "show", "{eng}", "--open"),
    ("handover", "show", "{eng}", "--json"),
    ("phase", "status", "{eng}"),
    ("system", "list", "{eng}"),
    ("kt", "coverage", "{eng}"),
    ("kt", "coverage", "{eng}", "--json"),
    ("kt", "list", "{eng}"),
    ("kt", "list", "{eng}", "--json"),
    ("runbook", "list", "{eng}"),
]


#: ``access list``'s table, as read from its read models.
GRANT_COLUMNS = [
    "id",
    "person",
    "system",
    "role",
    "status",
    "expires",
    ("granted_at", "granted"),
    "approver",
]

#: ``access review``'s table, as read from its read models.
FINDING_COLUMNS = [
    "severity",
    ("kind", "finding"),
    ("grant_id", "grant"),
    "person",
    "system",
    ("message", "detail"),
]


def _table(rows, columns) -> str:
    """What ``output.table`` prints of ``rows``."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        table(rows, columns)
    return out.getvalue()


def _seeding():
    spec = importlib.util.spec_from_file_location("bench_seed", BENCH / "seed.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_seed", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def two_sizes(db_url: str, tmp_path: Path) -> dict[str, str]:
    """A small and a four-times-bigger engagement of the one-big shape, side by side."""
    seeding = _seeding()
    small = seeding.Size(1, 2, 6, 4, 5, 6, 4, 4, grants=12)
    big = seeding.Size(1, 2, 24, 16, 20, 24, 16, 16, grants=48)
    seeding.seed(db_url, small, tmp_path / "rb", quiet=True, prefix="Small")
    seeding.seed(db_url, big, tmp_path / "rb", quiet=True, prefix="Big")
    return {"small": "small-000", "big": "big-000"}


def _counts(two_sizes, cli, count_queries, args) -> dict[str, int]:
    """The statements ``args`` sends on each engagement size (``{eng}``: its slug)."""
    counts = {}
    for size, slug in two_sizes.items():
        with count_queries() as q:
            result = cli(*(a.format(eng=slug) for a in args))
        assert result.exit_code == 0, (args, result.stderr)
        counts[size] = q.count
    return counts


def test_per_engagement_commands_send_the_same_statements_at_two_sizes(
    two_sizes, cli, count_queries, session_scope
):
    for args in COMMANDS:
        counts = _counts(two_sizes, cli, count_queries, args)
        assert counts["small"] == counts["big"], (args, counts)
        assert counts["small"] <= 40, (args, counts)

    # The JSON lists that stream their rows print what the read models print.
    slug = two_sizes["big"]
    listed = cli("access", "list", slug, "--json").json()
    revoked = cli("access", "revoke", slug, str(listed[3]["id"]), "--reason", "Left the team")
    assert revoked.exit_code == 0, revoked.stderr
    renamed = cli("person", "set", slug, "Engineer 01", "--name", "Zoë Ångström")
    assert renamed.exit_code == 0, renamed.stderr
    with session_scope(write=False) as s:
        expected = {
            ("access", "list", slug, "--json"): to_json(access.list_grants(s, slug)),
            ("access", "list", slug, "--active", "--json"): to_json(
                access.list_grants(s, slug, active=True)
            ),
            ("access", "list", slug, "--expiring", "0", "--json"): to_json(
                access.list_grants(s, slug, expiring_days=0)
            ),
            ("task", "list", slug, "--json"): to_json(tasks.list_tasks(s, slug)),
            ("task", "list", slug, "--status", "blocked", "--json"): to_json(
                tasks.list_tasks(s, slug, status="blocked")
            ),
            ("access", "review", slug, "--json"): to_json(access.review(s, slug)),
            ("kt", "list", slug, "--json"): to_json(kt.list_sessions(s, slug)),
            ("kt", "coverage", slug, "--json"): to_json(kt_topics.coverage_matrix(s, slug)),
        }
        # handover show prints the checklist's plain outline: the read models' order,
        # values and readiness figure.
        items, ready = exit_readiness.checklist(s, slug)
        lines, figure = exit_readiness.outline(s, slug)
        assert figure == ready
        fields = exit_readiness.ChecklistLine._fields
        assert [tuple(getattr(i, f) for f in fields) for i in items] == [tuple(x) for x in lines]
        assert len(lines) == len(handover.show(s, slug)) > 48
        # The tables that print plain rows print what the read models print.
        tables = {
            ("access", "list", slug): _table(access.list_grants(s, slug), GRANT_COLUMNS),
            ("access", "list", slug, "--active"): _table(
                access.list_grants(s, slug, active=True), GRANT_COLUMNS
            ),
            ("access", "review", slug): _table(access.review(s, slug), FINDING_COLUMNS),
        }
    for args, text in expected.items():
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == text + "\n", args
    for args, text in tables.items():
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == text, args
    assert "Zoë Ångström" in cli("access", "list", slug, "--json").stdout
    assert cli("task", "list", slug, "--status", "skipped", "--json").stdout == "[]\n"
    missing = cli("task", "list", "no-such-engagement", "--json")
    assert missing.exit_code == 2 and missing.stdout == ""
    assert missing.stderr.startswith("error:")


def test_report_and_export_send_the_same_statements_at_two_sizes(
    two_sizes, cli, count_queries, tmp_path
):
    """The report (both formats, with its appendix) and the export read in a fixed number
    of statements; the report shows the first rows of a long list and the appendix all."""
    commands = [
        ("report", "{eng}"),
        ("report", "{eng}", "--format", "html", "--appendix", str(tmp_path / "a-{eng}.html")),
        ("export", "{eng}", "-o", str(tmp_path / "{eng}.json")),
    ]
    for args in commands:
        counts = _counts(two_sizes, cli, count_queries, args)
        assert counts["small"] == counts["big"], (args, counts)
    # 48 grants on the bigger engagement: the report lists 20 of its findings or fewer.
    text = cli("report", two_sizes["big"]).stdout
    assert text.count("| high |") + text.count("| medium |") <= 20
