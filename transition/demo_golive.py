"""The demo's evidence for go-live: a tabletop exercise held in Northwind (its finding a
task), and Wingtip Payroll, an engagement at the go/no-go: in cutover, its three
scenarios exercised, its payroll runbook validated by a pass during the parallel run
(``demo_exit``), a go decision signed by the client and the provider."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlmodel import Session

from transition.models import Engagement
from transition.services import engagements, exercises, gates, golive, people, systems, tasks

WINGTIP = "Wingtip Payroll"
#: Phase → why its gate was overridden (Wingtip's evidence lives in the client's pack).
WT_OVERRIDES = {
    "discovery": "Discovery done in the pre-contract due diligence; findings in annex C",
    "access-setup": "Access run through the client's joiner process; evidence in ticket SR-2210",
    "ramp-up": "KT held before the tool was adopted; sign-off sheets filed with the PMO",
    "parallel-run": "Two payroll cycles reconciled to the cent; steering committee minutes 14",
}
WT_PEOPLE = [
    ("Grace Liu", "client", "Head of payroll"),
    ("Hugo Brandt", "incumbent", "Payroll systems lead"),
    ("Tomás Ruiz", "provider", "Provider lead"),
    ("Aiko Tanaka", "provider", "Payroll engineer"),
]


def go_live(
    session: Session, northwind: Engagement, today: date, *, then: Callable[[], str]
) -> list[str]:
    """Northwind's exercise (its rows next to Northwind's own), then ``then()`` (the next
    engagement of the story), then Wingtip: returns the three slugs in that order."""
    held = exercises.add(
        session,
        northwind,
        scenario="key-person-departure",
        on=today - timedelta(days=3),
        participants=["Olivia Grant", "Raj Patel", "Priya Sharma", "Kenji Watanabe"],
    )
    exercises.add_finding(
        session,
        northwind,
        held.id,
        title="Only Sofia Novak can restart the SAP batch chain: pair Kenji on it",
        owner="Kenji Watanabe",
        due=today + timedelta(days=7),
    )
    following = then()
    from transition.demo_exit import exit_dates, wingtip_runbook

    exit_dates(session, following)  # Tailspin: notice given, exit at the end of cutover
    wingtip = _wingtip(session, today)
    wingtip_runbook(session, northwind, wingtip)  # exercised during its parallel run
    return [northwind.slug, following, wingtip.slug]


def _wingtip(session: Session, today: date) -> Engagement:
    from transition.demo import _close_phase_tasks, _left_on
    from transition.playbooks import resolve_playbook

    pb, raw, _ = resolve_playbook("managed-service-onboarding")
    start = today - timedelta(weeks=12, days=3)
    eng = engagements.create(
        session,
        name=WINGTIP,
        playbook=pb,
        raw=raw,
        client="Wingtip Toys",
        incumbent="Litware Payroll Services",
        provider="Fabrikam Managed Services",
        model="managed-service",
        location="nearshore",
        start=start,
    )
    for name, side, role in WT_PEOPLE:
        people.add(session, eng, name, side=side, role=role)
    systems.add(session, eng, "Payroll engine", tier=1, description="Gross-to-net, 3,100 staff")
    systems.add(session, eng, "Time capture", tier=2, description="Clock-in terminals and app")
    left = start
    for phase in pb.phases[:4]:
        _close_phase_tasks(session, eng, pb, phase.key)
        gates.advance(session, eng, override=WT_OVERRIDES[phase.key])
        left += timedelta(weeks=int(phase.duration.rstrip("w")))
        following = pb.phases[pb.phases.index(phase) + 1].key
        _left_on(session, eng, following, left)
    for days, key in ((24, "vendor-security-incident"), (17, "key-person-departure")):
        exercises.add(
            session,
            eng,
            scenario=key,
            on=today - timedelta(days=days),
            participants=["Grace Liu", "Hugo Brandt", "Tomás Ruiz"],
        )
    audit = exercises.add(
        session,
        eng,
        scenario="regulatory-audit",
        on=today - timedelta(days=10),
        participants=["Grace Liu", "Aiko Tanaka"],
    )
    exercises.add_finding(
        session,
        eng,
        audit.id,
        title="Payslip archive export takes two days: script it before cutover",
        owner="Aiko Tanaka",
        due=today + timedelta(days=2),
    )
    golive.decide(
        session,
        eng,
        go=True,
        by=["Grace Liu", "Tomás Ruiz"],
        conditions=[
            "December payroll run shadowed by Litware until the 15th",
            "Payslip archive export scripted before the first run",
        ],
        rollback_triggers=["Payroll run late by more than 4 hours or net pay off by any amount"],
    )
    tasks.set_status(session, eng, "go-no-go", "done", note="Go, with two conditions")
    return eng
