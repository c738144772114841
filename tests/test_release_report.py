"""The report's release readiness rows (counted, with the first unmet line) agree with
``person readiness`` (every gap listed), whatever comes first: a topic or a runbook."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from transition.models import KTSession, Person, System, SystemPerson
from transition.services import release
from transition.services.common import get_engagement
from transition.services.kt_risks import CORE_KINDS

ENG = "acme-helpdesk"


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def team(acme, cli, clock, tmp_path):
    """Ann (leaving soon) presents KT on CRM and owns ERP, whose runbook is drafted and
    whose KT is signed off for every core kind; Ivan (leaving later) holds a grant."""
    clock.pin(today="2026-12-01")
    for args in (
        ("system", "add", acme, "CRM", "--tier", "1"),
        ("system", "add", acme, "ERP", "--tier", "1"),
        ("person", "add", acme, "Ann Old", "--side", "incumbent", "--release", "2026-12-10"),
        ("person", "add", acme, "Ivan Stay", "--side", "incumbent", "--release", "2027-01-15"),
        ("person", "add", acme, "Bob New", "--side", "provider"),
        ("access", "grant", acme, "--person", "Ivan Stay", "--system", "CRM", "--role",
         "operator", "--expires", "2026-12-20", "--justification", "on-call"),
        ("kt", "schedule", acme, "--system", "CRM", "--topic", "Nightly jobs", "--presenter",
         "Ann Old", "--attendee", "Bob New", "--at", "2026-11-20T10:00"),
        ("runbook", "new", acme, "--system", "ERP", "--template", "incident-response",
         "--out", str(tmp_path)),
    ):  # fmt: skip
        ok(cli(*args))
    return acme


def compare(session_scope) -> None:
    with session_scope(write=False) as s:
        full = {r.person: r for r in release.readiness(s, ENG)}
        rows, _ = release.report_tables(s, ENG)
        assert [r.person for r in rows] == list(full)
        for row in rows:
            state = full[row.person]
            assert len(row.topics) == len(state.topics)
            assert len(row.runbooks) == len(state.runbooks)
            assert len(row.grants) == len(state.grants)
            assert (row.ready, row.state, row.summary) == (state.ready, state.state, state.summary)
            assert row.first_unmet() == state.first_unmet()
            assert row.first_system == state.first_system


def test_report_rows_agree_with_readiness(team, cli, session_scope):
    compare(session_scope)
    with session_scope() as s:
        eng = get_engagement(s, ENG)
        erp = s.execute(select(System).where(System.slug == "erp")).scalar_one()
        ann = s.execute(select(Person).where(Person.slug == "ann-old")).scalar_one()
        s.add(SystemPerson(engagement_id=eng.id, system_id=erp.id, person_id=ann.id, role="owner"))
        for i, kind in enumerate(CORE_KINDS):
            s.add(
                KTSession(
                    engagement_id=eng.id,
                    system_id=erp.id,
                    uid=f"erp-{kind}",
                    topic="ERP",
                    kind=kind,
                    starts_at=datetime(2026, 11, 10 + i, 10, tzinfo=UTC),
                    status="signed_off",
                )
            )
    compare(session_scope)
    # CRM's KT signed off too: Ann's first unmet is ERP's runbook.
    with session_scope() as s:
        eng = get_engagement(s, ENG)
        crm = s.execute(select(System).where(System.slug == "crm")).scalar_one()
        for i, kind in enumerate(CORE_KINDS):
            s.add(
                KTSession(
                    engagement_id=eng.id,
                    system_id=crm.id,
                    uid=f"crm-{kind}",
                    topic="CRM",
                    kind=kind,
                    starts_at=datetime(2026, 11, 10 + i, 10, tzinfo=UTC),
                    status="signed_off",
                )
            )
    compare(session_scope)
    with session_scope(write=False) as s:
        rows, _ = release.report_tables(s, ENG)
        (ann,) = [r for r in rows if r.person == "ann-old"]
        assert ann.first_line is not None and ann.first_line.startswith("runbook ")
        assert (len(ann.topics), len(ann.runbooks)) == (0, 1)
    findings = ok(cli("access", "review", ENG, "--json")).json()
    (soon,) = [f for f in findings if f["kind"] == "release_not_ready"]
    assert "Ann Old" in soon["message"] and "runbook " in soon["message"]
