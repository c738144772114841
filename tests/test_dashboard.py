"""The portfolio overview: health figures and state, in a fixed number of queries."""

from __future__ import annotations

from datetime import datetime, time

from transition.playbooks import resolve_playbook
from transition.services import access, dashboard, engagements, kt, people, systems
from transition.services.common import get_engagement


def _engagement(s, name: str) -> None:
    pb, raw, _ = resolve_playbook("managed-service-onboarding")
    eng = engagements.create(s, name=name, playbook=pb, raw=raw, provider="NewCo")
    systems.add(s, eng, "CRM", tier=1)
    people.add(s, eng, "Ina Old", side="incumbent", release_date=eng.start_date)
    people.add(s, eng, "Pat New", side="provider")
    access.grant(s, eng, person="Pat New", system="CRM", role="admin")
    kt.schedule(
        s,
        eng,
        system="CRM",
        topic="Overview",
        presenters=["Ina Old"],
        attendees=["Pat New"],
        at=datetime.combine(eng.start_date, time(10)),  # on Ina's last day
    )


def _overview_queries(session_scope, count_queries) -> tuple[int, list[dashboard.DashboardRow]]:
    with session_scope(write=False) as s, count_queries() as q:
        rows = dashboard.overview(s)
    return q.count, rows


def test_overview_flags_findings_and_key_person_risk(session_scope, count_queries):
    with session_scope() as s:
        _engagement(s, "Alpha")
    _, rows = _overview_queries(session_scope, count_queries)
    (row,) = rows
    assert row.high_findings == 1  # admin role without a justification
    assert row.key_person_risks and "CRM" in row.key_person_risks[0]
    assert row.state == "red"
    assert any("high access-review finding" in reason for reason in row.reasons)


def test_overview_query_count_does_not_grow_with_engagements(session_scope, count_queries):
    with session_scope() as s:
        for name in ("A1", "A2"):
            _engagement(s, name)
    few, rows = _overview_queries(session_scope, count_queries)
    assert len(rows) == 2
    with session_scope() as s:
        for n in range(3, 9):
            _engagement(s, f"A{n}")
    many, rows = _overview_queries(session_scope, count_queries)
    assert len(rows) == 8
    assert many == few


def test_high_finding_counts_match_the_review(session_scope, clock, monkeypatch):
    clock.pin(today="2026-11-10")
    with session_scope() as s:
        _engagement(s, "Beta")
        eng = get_engagement(s, "beta")
        systems.add(s, eng, "ERP", tier=2)
        people.add(s, eng, "Lee Gone", side="provider", release_date=eng.start_date)
        access.grant(s, eng, person="Lee Gone", system="ERP", role="reader", expires="2026-12-31")
        access.grant(
            s, eng, person="Pat New", system="ERP", role="Domain Admin", expires="2026-11-12"
        )
        access.grant(s, eng, person="Pat New", system="CRM", role="db-owner", justification="run")
        access.grant(s, eng, person="Pat New", system="ERP", role="reader", expires="2026-11-11")
        gone = access.grant(s, eng, person="Lee Gone", system="CRM", role="root")
        access.revoke(s, eng, gone.id, reason="left")
    clock.pin(today="2026-11-20")
    with session_scope(write=False) as s:
        eng = get_engagement(s, "beta")
        high = [f for f in access.review(s, eng) if f.severity == "high"]
        assert {f.kind for f in high} == {
            "expired_not_revoked",
            "admin_without_justification",
            "released_person",
        }
        assert access.high_finding_counts(s, [eng.id]) == {eng.id: len(high)}
        assert access.high_finding_counts(s, []) == {}


def test_overview_counts_runbooks_against_those_the_playbook_requires(session_scope):
    """As ``system list`` counts them: a new tier-1 system without any runbook is 0 of
    the runbooks its tier requires, not 0/0."""
    with session_scope() as s:
        _engagement(s, "Alpha")
    with session_scope(write=False) as s:
        (row,) = dashboard.overview(s)
        coverage = systems.coverage(s, get_engagement(s, "alpha"))
    required = sum(c.runbooks_required for c in coverage)
    assert required > 0
    assert (row.runbooks_accepted, row.runbooks_required) == (0, required)
