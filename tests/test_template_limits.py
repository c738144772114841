"""Runbook and report templates share one hardened sandbox, with a time limit and size
limits checked while rendering: hostile templates end in an ``error:`` naming the template,
within the limit, or in bounded output."""

from __future__ import annotations

import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safety import assert_clean_error, dump

from transition import report_render, reports, sandbox, templates
from transition.errors import BadInput

LIMIT = 0.5  # seconds, for these tests
SLACK = 1.5  # one check can finish a step already started (a large join, a compare)
# Bounds are on the rendering thread's CPU time, which a busy machine does not stretch
# (the wall-clock deadline only fires earlier in CPU terms when the machine is loaded).

EXAMPLES = {
    "string product": '{{ ("x"*5000000)|length }}',
    "huge power": "{{ 10**5000 > 1 }}",
    "nested loops": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% for k in range(100000) %}"
        "{% endfor %}{% endfor %}{% endfor %}done"
    ),
    "doubling namespace": (
        '{% set ns = namespace(x="x") %}{% for i in range(40) %}{% set ns.x = ns.x ~ ns.x %}'
        "{% endfor %}{{ ns.x|length }}"
    ),
    "doubling nested list": (
        '{% set ns = namespace(x=["x"]) %}{% for i in range(80) %}'
        "{% set ns.x = [ns.x, ns.x] %}{% endfor %}{{ ns.x == ns.x }}"
    ),
    "block buffer": (
        '{% set b %}{% for i in range(100000) %}{{ "y"*900000 }}{% endfor %}{% endset %}'
        "{{ b|length }}"
    ),
    "replace": '{{ ("x"*1000000)|replace("x", "x"*1000) }}',
    "format width": '{{ "{:>999999999}".format(1) }}',
    "join": '{{ range(100000)|map("center", 9000000)|join }}',
    "doubling a list of deep shared lists": (
        "{% set ns = namespace(l=[1, 2]) %}{% for i in range(50) %}{% set ns.l = [ns.l, ns.l] %}"
        "{% for j in range(100000) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{% endfor %}"
        "{{ ns.l }}"
    ),
}


@pytest.fixture(autouse=True)
def _short_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "TIME_LIMIT", LIMIT)


FRONT = "---\ntitle: Hostile\n---\n"


def _runbook(folder: Path, body: str) -> str:
    """Render ``body`` as a user runbook template; the text or the error message."""
    (folder / "hostile.md.j2").write_text(FRONT + body + "\n", encoding="utf-8")
    dirs = templates.search_dirs([folder])
    info = templates.get("hostile", dirs=dirs)
    return templates.render(info, {}, dirs)


def _minimal_report_data() -> dict:
    day = date(2026, 11, 20)
    return {
        "burndown": {"start": day, "end": day, "total": 0, "points": []},
        "today": day,
        "phases": [],
    }


def _report(folder: Path, body: str, fmt: str = "md") -> str:
    (folder / f"report.{fmt}.j2").write_text(body + "\n", encoding="utf-8")
    return reports.render(_minimal_report_data(), fmt, templates=folder)


def _bounded(render, folder: Path, body: str, name: str) -> None:
    start = time.thread_time()
    try:
        text = render(folder, body)
    except BadInput as exc:
        assert name in exc.message, exc.message
        assert "\n" not in exc.message
    else:
        assert len(text) <= sandbox.MAX_OUTPUT
    assert time.thread_time() - start < LIMIT + SLACK, body


@pytest.mark.parametrize("body", list(EXAMPLES.values()), ids=list(EXAMPLES))
def test_runbook_and_report_templates_stop_at_the_same_limits(tmp_path, body):
    for render, name in ((_runbook, "hostile"), (_report, "report.md.j2")):
        start = time.thread_time()
        with pytest.raises(BadInput) as err:
            render(tmp_path, body)
        assert time.thread_time() - start < LIMIT + SLACK
        message = err.value.message
        assert name in message and "stopped: " in message, message
        assert "limit" in message, message


def test_reports_and_runbooks_use_one_sandbox_factory(tmp_path):
    (tmp_path / "report.md.j2").write_text("x\n")
    dirs = templates.search_dirs()
    runbook_env = templates.environment(dirs)
    report_env = report_render.environment((tmp_path, report_render.SHIPPED), "md")
    html_env = report_render.environment((tmp_path, report_render.SHIPPED), "html")
    for env in (runbook_env, report_env, html_env):
        assert isinstance(env, sandbox.Sandbox)
        assert env.globals["namespace"] is runbook_env.globals["namespace"]
        assert "budget iterate" in env.filters


def test_the_cli_names_the_template_and_changes_nothing(cli, acme, tmp_path, db_url):
    assert cli("system", "add", acme, "SAP ERP").exit_code == 0
    folder = tmp_path / "tpl"
    folder.mkdir()
    before = dump(db_url)
    for label in ("string product", "nested loops", "doubling namespace"):
        body = EXAMPLES[label]
        (folder / "hostile.md.j2").write_text(FRONT + body + "\n", encoding="utf-8")
        (folder / "report.md.j2").write_text(body + "\n", encoding="utf-8")
        out = tmp_path / "out"
        started = time.thread_time()
        made = cli(
            "runbook", "new", acme, "--system", "SAP ERP", "--template", "hostile",
            "--templates", str(folder), "--out", str(out),
        )  # fmt: skip
        assert_clean_error(made)
        assert str(folder / "hostile.md.j2") in made.stderr and "stopped" in made.stderr
        assert not out.exists()
        report = cli("report", acme, "--templates", str(folder), "-o", str(tmp_path / "r.md"))
        assert_clean_error(report)
        assert "report.md.j2" in report.stderr and "stopped" in report.stderr
        assert not (tmp_path / "r.md").exists()
        assert time.thread_time() - started < 2 * (LIMIT + SLACK)
    assert dump(db_url) == before


# --- generated hostile templates ------------------------------------------------------

SEED = '{% set ns = namespace(x="ab", l=[1, 2], n=7) %}'
STEPS = [
    "{% set ns.x = ns.x ~ ns.x %}",
    "{% set ns.x = ns.x * 3 %}",
    "{% set ns.x = ns.x + ns.x %}",
    '{% set ns.x = ns.x|replace("a", ns.x) %}',
    "{% set ns.x = [ns.x, ns.x, ns.x]|join(ns.x) %}",
    '{% set ns.x = "%s%s"|format(ns.x, ns.x) %}',
    '{% set ns.x = "{}{}{}".format(ns.x, ns.x, ns.x) %}',
    "{% set ns.x = ns.x|center(ns.x|length * 4) %}",
    "{% set ns.x = ns.x.center(ns.x|length * 4) %}",
    "{% set ns.x = ns.x|indent(ns.x|length) %}",
    "{% set ns.l = ns.l + ns.l %}",
    "{% set ns.l = ns.l * 2 %}",
    "{% set ns.l = [ns.l, ns.l] %}",
    "{% set ns.n = ns.n * ns.n %}",
    "{% set ns.n = ns.n ** 3 %}",
    "{{ ns.x }}",
    "{{ ns.l }}",
    "{{ ns.l|string|length }}",
    "{{ ns.n }}",
    "text",
]
LOOPS = st.sampled_from(["range(3)", "range(50)", "range(100000)", "ns.x", "ns.l"])


@st.composite
def hostile(draw) -> str:
    def block(depth: int) -> str:
        parts = []
        for _ in range(draw(st.integers(1, 3))):
            if depth < 3 and draw(st.booleans()):
                var = f"i{depth}"
                body = block(depth + 1)
                parts.append(f"{{% for {var} in {draw(LOOPS)} %}}{body}{{% endfor %}}")
            else:
                parts.append(draw(st.sampled_from(STEPS)))
        return "".join(parts)

    return SEED + block(0)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(body=hostile(), as_report=st.booleans())
def test_generated_hostile_templates_end_in_an_error_or_bounded_output(body, as_report):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as folder:
        if as_report:
            _bounded(_report, Path(folder), body, "report.md.j2")
        else:
            _bounded(_runbook, Path(folder), body, "hostile")
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak
    assert grown_kib < 1024 * 1024, f"memory grew by {grown_kib} KiB"


def _naive_weight(value, cap: int) -> int:
    """``sandbox.weight`` by its definition: every reachable item counted each time it
    is reached, each structure's count capped at ``cap + 1``."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, range):
        return len(value) + 1
    if isinstance(value, dict):
        children = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple | set | frozenset):
        children = list(value)
    else:
        return (
            1
            if not isinstance(value, int) or isinstance(value, bool)
            else (value.bit_length() // 3 + 1)
        )
    return min(len(value) + 1 + sum(_naive_weight(c, cap) for c in children), cap + 1)


def _structures():
    """Nested lists, tuples and dicts of text and numbers, some parts shared."""
    leaves = st.one_of(st.text(max_size=8), st.integers(-(10**30), 10**30), st.booleans())

    def grow(inner):
        part = st.one_of(
            st.lists(inner, max_size=4),
            st.lists(inner, max_size=3).map(tuple),
            st.dictionaries(st.text(max_size=3), inner, max_size=3),
        )
        # The same part twice: what the measure counts twice and computes once.
        return st.one_of(part, part.map(lambda x: [x, x, (x,)]))

    return st.recursive(leaves, grow, max_leaves=30)


@settings(max_examples=200, deadline=None)
@given(value=_structures(), cap=st.integers(0, 400))
def test_weight_is_the_count_of_everything_reachable_up_to_the_cap(value, cap):
    assert sandbox.weight(value, cap) == _naive_weight(value, cap)


def test_a_long_measure_checks_the_clock_and_a_capped_one_stops_early(monkeypatch):
    """Measuring walks the items, checking the time limit as it goes (every 16,384), and
    stops at the first item that takes a structure past the cap."""
    checks = []
    monkeypatch.setattr(sandbox, "tick", lambda: checks.append(1))
    assert sandbox.weight(list(range(1_000_000))) < sandbox.MAX_VALUE
    assert len(checks) == 1_000_000 // 16_384
    checks.clear()
    deep = [1, 2]
    for _ in range(50):
        deep = [deep, deep]  # 2**50 items when written out, 50 lists
    assert sandbox.weight([deep] * 1_000_000) == sandbox.MAX_VALUE + 1
    assert checks == []  # fewer than 16,384 items walked, not a million
