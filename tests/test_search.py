"""The command palette's index: every jump target, in the same few queries for 2 engagements
as for 6."""

from __future__ import annotations

from transition.services import engagements, people, runbooks, search, systems
from transition.services.common import get_engagement


def _engagement(s, name: str, tmp_path) -> None:
    eng = engagements.create(s, name=name, playbook="managed-service-onboarding")
    systems.add(s, eng, "CRM", tier=1)
    systems.add(s, eng, "Billing", tier=2)
    people.add(s, eng, "Ina Old", side="incumbent")
    people.add(s, eng, "Pat New", side="provider")
    runbooks.generate(
        s, eng, system="CRM", template="incident-response", out_dir=str(tmp_path / name)
    )


def _index(session_scope, count_queries):
    with session_scope(write=False) as s, count_queries() as q:
        entries = search.palette_index(s)
    return q.count, entries


def test_palette_index_lists_every_kind_grouped_by_engagement(session_scope, tmp_path):
    with session_scope() as s:
        for name in ("Beta", "Alpha"):
            _engagement(s, name, tmp_path)
        systems.remove(s, get_engagement(s, "beta"), "Billing")  # out of scope: not offered
    with session_scope(write=False) as s:
        entries = search.palette_index(s)
    assert [(e.kind, e.engagement, e.name, e.detail) for e in entries if e.kind != "runbook"] == [
        ("engagement", "alpha", "Alpha", ""),
        ("engagement", "beta", "Beta", ""),
        ("system", "alpha", "CRM", ""),
        ("system", "alpha", "Billing", ""),
        ("system", "beta", "CRM", ""),
        ("person", "alpha", "Ina Old", "incumbent"),
        ("person", "alpha", "Pat New", "provider"),
        ("person", "beta", "Ina Old", "incumbent"),
        ("person", "beta", "Pat New", "provider"),
    ]
    runbook_rows = [(e.engagement, e.detail) for e in entries if e.kind == "runbook"]
    assert runbook_rows == [("alpha", "drafted"), ("beta", "drafted")]


def test_palette_index_query_count_does_not_grow_with_engagements(
    session_scope, count_queries, tmp_path
):
    with session_scope() as s:
        for n in range(2):
            _engagement(s, f"E{n}", tmp_path)
    few, entries = _index(session_scope, count_queries)
    assert len([e for e in entries if e.kind == "engagement"]) == 2
    with session_scope() as s:
        for n in range(2, 6):
            _engagement(s, f"E{n}", tmp_path)
    many, entries = _index(session_scope, count_queries)
    assert len([e for e in entries if e.kind == "engagement"]) == 6
    assert len([e for e in entries if e.kind == "runbook"]) == 6
    assert many == few <= 4
