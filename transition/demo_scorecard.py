"""The demo's parallel-run scorecard: six weeks of both parties' service levels on
Northwind, the provider missing targets at first and meeting them in the last weeks, and
one week in which the incumbent had to step in."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from transition.models import Engagement
from transition.services import scorecard

#: Per KPI: (incumbent values, provider values), oldest week first.
SCORES = {
    "p1-resolution": ((96.2, 95.8, 97.1, 96.4, 95.9, 96.8), (88.0, 91.5, 93.2, 94.6, 96.1, 97.3)),
    "first-contact": ((72.5, 71.8, 73.0, 72.2, 71.5, 72.9), (61.0, 64.5, 67.8, 69.2, 71.4, 73.6)),
    "backlog-age": ((4.6, 4.8, 4.4, 4.7, 4.5, 4.6), (7.9, 6.8, 6.1, 5.2, 4.7, 4.3)),
}


def scores(session: Session, eng: Engagement, today: date) -> None:
    """The six weeks before the current one, for the KPIs the playbook declares."""
    weeks = [scorecard.period_of(today - timedelta(weeks=n)) for n in range(6, 0, -1)]
    declared = {k.key for k in scorecard.kpis_of(eng)}
    for kpi, (incumbent, provider) in SCORES.items():
        if kpi not in declared:
            continue
        for period, old, new in zip(weeks, incumbent, provider, strict=True):
            scorecard.record(session, eng, kpi, party="incumbent", period=period, value=old)
            scorecard.record(session, eng, kpi, party="provider", period=period, value=new)
    scorecard.intervene(
        session,
        eng,
        period=weeks[1],
        note="Contoso restarted the SAP batch scheduler after a failed provider restart",
    )
