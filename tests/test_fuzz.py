"""Property tests: the playbook loader and the CSV importer only ever return a validated
object or raise the tool's own error (``ValidationFailed``/``BadInput``), never anything else.

Structured strategies build playbook-like documents (then mutate them) and CSV rows from
mixes of valid and hostile values, so that most examples get deep into validation.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from transition.errors import BadInput
from transition.playbooks import Playbook, load_playbook

EXAMPLES = 400 if os.environ.get("TRANSITION_STRESS") else 120
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

slugs = st.from_regex(r"[a-z0-9][a-z0-9-]{0,12}", fullmatch=True)
hostile_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", " ", "../../etc/passwd", "a\x00b", "\x1b[31m", "2026-02-30", "-5d", "0d",
         "99999999999d", "NaN", "~", "null", "&a", "*a", "!!python/object:os.system",
         "{{ 7*7 }}", "password=hunter2", "é" * 50, "x" * 400]
    ),
)  # fmt: skip
spans = st.one_of(
    st.builds(lambda n, u: f"{n}{u}", st.integers(-5, 400), st.sampled_from(["d", "w", ""])),
    st.builds(lambda n: f"+{n}d", st.integers(0, 60)),
    hostile_text,
    st.integers(-3, 100),
)
criteria = st.one_of(
    st.sampled_from(["tasks_done", "systems_registered", "runbooks_accepted", "bogus"]),
    st.builds(
        lambda kinds: {"kt_coverage": kinds},
        st.lists(st.sampled_from(["walkthrough", "shadow", "reverse-shadow", "qa", "x"])),
    ),
    st.builds(lambda t: {"runbooks_accepted": {"max_tier": t}}, st.integers(-1, 5)),
)


@st.composite
def playbook_docs(draw) -> dict:
    keys = draw(st.lists(slugs, min_size=1, max_size=12, unique=True))
    phases = []
    used: list[str] = []
    for p in range(draw(st.integers(1, 4))):
        tasks = []
        for _ in range(draw(st.integers(0, 4))):
            key = draw(st.sampled_from(keys))
            deps = draw(st.lists(st.sampled_from([*used, *keys]), max_size=3))
            task = {"key": key, "title": draw(st.one_of(st.just("Task"), hostile_text))}
            if draw(st.booleans()):
                task["due"] = draw(spans)
            if deps:
                task["depends_on"] = deps
            if draw(st.booleans()):
                task["owner"] = draw(hostile_text)
            tasks.append(task)
            used.append(key)
        phase = {
            "key": draw(st.one_of(st.just(f"phase-{p}"), slugs, hostile_text)),
            "title": f"Phase {p}",
            "duration": draw(spans),
            "tasks": tasks,
        }
        if draw(st.booleans()):
            phase["gate"] = draw(st.lists(criteria, max_size=3))
        phases.append(phase)
    doc = {
        "name": draw(st.one_of(slugs, hostile_text)),
        "title": draw(st.one_of(st.just("A playbook"), hostile_text)),
        "phases": phases,
    }
    if draw(st.booleans()):
        doc["version"] = draw(st.one_of(st.integers(-2, 5), hostile_text, st.booleans()))
    if draw(st.booleans()):
        doc["tier_runbooks"] = {draw(st.integers(0, 4)): [draw(slugs)]}
    return doc


@st.composite
def mutated(draw, docs) -> str:
    """A document dumped to YAML, then (often) damaged at the text level."""
    text = yaml.safe_dump(draw(docs), allow_unicode=True, sort_keys=False)
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["delete", "insert", "duplicate-line", "indent", "none"]))
        if not text:
            break
        at = draw(st.integers(0, len(text) - 1))
        if kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        elif kind == "insert":
            junk = draw(
                st.sampled_from([":", "- ", "[", "{", "&x ", "*x", "\t", "'", "\n  ", "!!"])
            )
            text = text[:at] + junk + text[at:]
        elif kind == "duplicate-line":
            lines = text.splitlines(keepends=True)
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            text = "".join(lines)
        elif kind == "indent":
            lines = text.splitlines(keepends=True)
            i = draw(st.integers(0, len(lines) - 1))
            lines[i] = "   " + lines[i]
            text = "".join(lines)
    return text


@FUZZ
@given(text=mutated(playbook_docs()))
def test_playbook_loader_returns_a_playbook_or_its_own_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("pb") / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        result = load_playbook(path)
    except BadInput as exc:  # ValidationFailed is a BadInput
        assert exc.lines() and all(isinstance(line, str) for line in exc.lines())
        return
    assert isinstance(result, Playbook)
    # What validated is coherent: unique task keys, known dependencies.
    keys = [t.key for _, t in result.tasks()]
    assert len(keys) == len(set(keys))
    assert all(d in keys for _, t in result.tasks() for d in t.depends_on)


# --------------------------------------------------------------------------- CSV

people = st.sampled_from(["Sam New", "Dana Old", "Nobody", "", "../x", "Sam\x1bNew", "SAM NEW"])
systems = st.sampled_from(["Ticketing", "Payroll", "", "Ticketing ", "/", "Mainframe"])
roles = st.one_of(st.sampled_from(["agent", "admin", "", "r" * 300]), st.text(max_size=12))
expiries = st.one_of(
    st.sampled_from(["", "2027-01-31", "2026-02-30", "2026-13-01", "cutover+30d", "soon",
                     "cutover", "+30d", "-5d", "0000-01-01"]),
    st.dates().map(str),
)  # fmt: skip
justifications = st.one_of(
    st.sampled_from(["", "triage", "password=x", "AKIAIOSFODNN7EXAMPLE", "a,b", 'quote"d']),
    st.text(max_size=40),
)
header_orders = st.permutations(["person", "system", "role", "expires", "justification"])


@st.composite
def csv_files(draw) -> str:
    header = list(draw(header_orders))
    if draw(st.integers(0, 9)) == 0:
        header = draw(st.lists(st.sampled_from([*header, "extra", ""]), max_size=7))
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        values = {
            "person": draw(people),
            "system": draw(systems),
            "role": draw(roles),
            "expires": draw(expiries),
            "justification": draw(justifications),
        }
        row = [values.get(c, "x") for c in header]
        if draw(st.integers(0, 9)) == 0:
            row = row[: draw(st.integers(0, len(row)))]
        rows.append(row)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, max(0, len(text) - 1)))
        text = text[:at] + draw(st.sampled_from(['"', "\r", "\n\n", ",,,"])) + text[at:]
    return text


@pytest.fixture
def csv_world(engine, session_scope):
    from transition.playbooks import resolve_playbook
    from transition.services import engagements
    from transition.services import people as people_svc
    from transition.services import systems as systems_svc

    playbook, raw, _ = resolve_playbook("managed-service-onboarding")
    with session_scope() as s:
        eng = engagements.create(s, name="Fuzz", playbook=playbook, raw=raw)
        systems_svc.add(s, eng, "Ticketing", tier=1)
        systems_svc.add(s, eng, "Payroll", tier=2)
        people_svc.add(s, eng, "Sam New", side="provider")
        people_svc.add(s, eng, "Dana Old", side="incumbent")
    return engine


@FUZZ
@given(text=csv_files(), create_missing=st.booleans())
def test_csv_importer_returns_a_result_or_its_own_error(
    csv_world, tmp_path_factory, text, create_missing
):
    from transition.errors import Refused
    from transition.services import access
    from transition.services.common import get_engagement

    path: Path = tmp_path_factory.mktemp("csv") / "fuzz.csv"
    path.write_text(text, encoding="utf-8")
    session = Session(csv_world.execution_options(transition_write=True))
    session.info["actor"] = "fuzz"
    try:
        eng = get_engagement(session, "fuzz")
        result = access.import_csv(session, eng, path, create_missing=create_missing)
        assert result.imported >= 0
    except (BadInput, Refused) as exc:
        assert exc.lines()
    finally:
        session.rollback()
        session.close()
