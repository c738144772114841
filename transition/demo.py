"""A realistic sample to explore the tool with: ``transition demo``.

``load_demo(session, today=…)`` builds, through the services, two engagements whose dates
are all relative to ``today`` (so ``TRANSITION_TODAY`` makes them deterministic):

- **Northwind Service Desk** (client Northwind Traders, incumbent Contoso IT, provider
  Fabrikam Managed Services), started seven weeks ago from the managed-service playbook:
  discovery passed, access setup passed on an override, now in the middle of ramp-up with
  tasks done, in progress, blocked and overdue; seven systems of tiers 1–3; twelve people
  on three sides, one incumbent leaving within days who is the only presenter of a system
  whose KT is not signed off; grants expiring soon and an admin grant without a
  justification; runbooks at every stage; two exit-checklist items ticked.
- **Tailspin Mobile App**, a dedicated team two weeks into discovery. One incumbent
  engineer leaves today with his KT not signed off: his release is refused, then overridden
  with a reason (his grant revoked, its exit-checklist item resolved); the incumbent tech
  lead is re-badged to the provider, keeping his history and access.

The services stamp changes with the real clock; a last step moves past events (task
completions, phase ends, sessions held, grants) to the days the story says they happened.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from transition.models import AccessGrant, Engagement, KTSession, Phase, Task
from transition.services import (
    access,
    backdate,
    engagements,
    gates,
    handover,
    kt,
    people,
    roles,
    systems,
    task_edit,
    tasks,
)

NORTHWIND = "Northwind Service Desk"
TAILSPIN = "Tailspin Mobile App"
SLUGS = ("northwind-service-desk", "tailspin-mobile-app")


def demo_runbook_dir() -> Path:
    from transition.settings import get_settings

    return get_settings().data_dir() / "demo-runbooks"


def exists(session: Session) -> bool:
    return backdate.any_engagement(session, SLUGS)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


#: Each engagement of the story: its playbook and parties (Fabrikam provides both).
STARTS = {
    NORTHWIND: ("managed-service-onboarding", {
        "client": "Northwind Traders", "incumbent": "Contoso IT",
        "model": "managed-service", "location": "nearshore"}),
    TAILSPIN: ("dedicated-team-onboarding", {
        "client": "Tailspin Toys", "incumbent": "Litware Digital",
        "model": "dedicated-team", "location": "offshore"}),
}  # fmt: skip


def _start(session: Session, name: str, start: date) -> tuple[Engagement, Any]:
    """One engagement of the story, started on ``start``; returns it and its playbook."""
    from transition.playbooks import resolve_playbook

    playbook, parties = STARTS[name]
    pb, raw, _ = resolve_playbook(playbook)
    provider = "Fabrikam Managed Services"
    eng = engagements.create(
        session, name=name, playbook=pb, raw=raw, provider=provider, start=start, **parties
    )
    return eng, pb


def load_demo(session: Session, *, today: date, runbook_dir: Path | None = None) -> list[str]:
    """Create the demo engagements; returns their slugs."""
    from transition.demo_areas import finish

    northwind = _northwind(session, today, runbook_dir or demo_runbook_dir())
    return finish(session, northwind, today, then=lambda: _tailspin(session, today).slug)


# --------------------------------------------------------------------------- Northwind

NW_PEOPLE = [
    # name, side, role, release (days from today) or None
    ("Olivia Grant", "client", "Service owner and sponsor", None),
    ("Marcus Chen", "client", "Security officer", None),
    ("Raj Patel", "incumbent", "Incumbent lead", None),
    ("Sofia Novak", "incumbent", "SAP Basis engineer", 10),
    ("Tom Becker", "incumbent", "Windows and messaging engineer", 45),
    ("Ingrid Larsen", "incumbent", "Citrix engineer", 30),
    ("Priya Sharma", "provider", "Transition manager", None),
    ("Daniel Okafor", "provider", "Provider lead", None),
    ("Lena Fischer", "provider", "Service desk lead", None),
    ("Kenji Watanabe", "provider", "Infrastructure engineer", None),
    ("Ana Souza", "provider", "Infrastructure engineer", None),
    ("Ben Carter", "provider", "Tooling engineer", None),
]

NW_SYSTEMS = [
    ("ServiceNow ITSM", 1, "Ticketing, SLA clocks and the self-service portal"),
    ("Active Directory", 1, "Identity for 4,200 users across three forests"),
    ("SAP ERP", 1, "Finance and logistics, batch schedule owned by Basis"),
    ("Exchange Online", 2, "Mail, shared mailboxes and scanner relays"),
    ("Citrix Virtual Apps", 2, "Published desktops for the warehouses"),
    ("Veeam Backup", 2, "Nightly backups of the on-premises estate"),
    ("SharePoint Intranet", 3, "Intranet and team sites"),
]

# Tasks closed per phase of the managed-service playbook (the rest stay open).
NW_DONE = {
    "discovery": "all",
    "access-setup": "all",
    "ramp-up": ["kt-schedule", "service-reporting-setup"],
}
NW_OPEN = [
    # key, status, note
    ("kt-walkthroughs", "in_progress", "SAP ERP and Citrix walkthroughs still to run"),
    ("shadow-tickets", "in_progress", None),
    ("runbook-drafting", "in_progress", None),
    (
        "ola-agreement",
        "blocked",
        "The network supplier has not named an operational contact yet",
    ),
]
#: Playbook roles held (``role assign``): their unassigned tasks are these people's.
NW_ROLES = [
    ("transition-manager", "Priya Sharma"),
    ("incumbent-lead", "Raj Patel"),
    ("provider-lead", "Daniel Okafor"),
    ("security-officer", "Marcus Chen"),
]

NW_ASSIGN = {
    "kickoff-workshop": "Priya Sharma",
    "stakeholder-map": "Priya Sharma",
    "system-inventory": "Raj Patel",
    "service-history-sessions": "Raj Patel",
    "access-matrix": "Marcus Chen",
    "access-review": "Marcus Chen",
    "itsm-setup": "Ben Carter",
    "kt-schedule": "Priya Sharma",
    "kt-walkthroughs": "Raj Patel",
    "shadow-tickets": "Lena Fischer",
    "runbook-drafting": "Daniel Okafor",
    "ola-agreement": "Daniel Okafor",
    "service-reporting-setup": "Ben Carter",
    "first-low-risk-changes": "Kenji Watanabe",
    "kt-signoff-walkthrough-shadow": "Priya Sharma",
    "ramp-up-review": "Olivia Grant",
}


# Grants: person, system, role, expires (days from today, or an expression), justification.
NW_GRANTS = [
    ("Lena Fischer", "ServiceNow ITSM", "agent", 120,
     "Service desk lead: works and dispatches tickets"),
    ("Daniel Okafor", "ServiceNow ITSM", "team-lead", "cutover+30d",
     "Provider lead: queue management and reporting"),
    ("Ben Carter", "ServiceNow ITSM", "admin", 60,
     "Configures queues, assignment groups and SLA timers"),
    ("Kenji Watanabe", "Active Directory", "admin", 90, ""),
    ("Daniel Okafor", "Active Directory", "read-only", None,
     "Reviews group membership for the access matrix"),
    ("Kenji Watanabe", "SAP ERP", "basis-read", 10, "Shadows the Basis team during KT"),
    ("Ana Souza", "Exchange Online", "exchange-operator", 90,
     "Mailbox and transport rule changes"),
    ("Kenji Watanabe", "Citrix Virtual Apps", "helpdesk", 12, "Session resets during shadowing"),
    ("Ana Souza", "Veeam Backup", "backup-operator", 7, "Restore tests for the runbook exercises"),
    ("Priya Sharma", "SharePoint Intranet", "site-owner", 180,
     "Owns the transition site and KT library"),
]  # fmt: skip


def _grant(session: Session, eng: Engagement, today: date, *row: Any) -> int:
    """One grant of the story; ``expires`` in days from today, or as the user types it."""
    fields = dict(zip(("person", "system", "role", "expires", "justification"), row, strict=True))
    if isinstance(fields["expires"], int):
        fields["expires"] = (today + timedelta(days=fields["expires"])).isoformat()
    return access.grant(session, eng, **fields).id


# KT sessions: system, kind, topic, presenter, attendees, days from today, outcome, signer…
NW_KT = [
    ("ServiceNow ITSM", "walkthrough", "Queues, SLA clocks and major-incident flow",
     "Raj Patel", ["Lena Fischer", "Daniel Okafor"], -12, "signed_off", "Lena Fischer", 4, ""),
    ("ServiceNow ITSM", "shadow", "Shadow the morning dispatch and P1 handling",
     "Raj Patel", ["Lena Fischer"], -6, "signed_off", "Lena Fischer", 4, ""),
    ("Active Directory", "walkthrough", "Forests, trusts, GPO layout and joiner-mover-leaver",
     "Tom Becker", ["Kenji Watanabe"], -11, "signed_off", "Kenji Watanabe", 5, ""),
    ("Active Directory", "shadow", "Shadow account and group administration",
     "Tom Becker", ["Kenji Watanabe", "Ana Souza"], -3, "held", None, None, ""),
    ("Exchange Online", "walkthrough", "Mail flow, connectors and shared mailboxes",
     "Tom Becker", ["Ana Souza"], -9, "signed_off", "Ana Souza", 3,
     "Document the scanner relay connectors"),
    ("SAP ERP", "walkthrough", "Landscape, transports and the nightly batch chain",
     "Sofia Novak", ["Kenji Watanabe"], -4, "held", None, None, ""),
    ("SAP ERP", "shadow", "Shadow month-end close support",
     "Sofia Novak", ["Kenji Watanabe", "Ana Souza"], 3, "planned", None, None, ""),
    ("Citrix Virtual Apps", "walkthrough", "Delivery groups, images and warehouse desktops",
     "Ingrid Larsen", ["Kenji Watanabe"], 2, "planned", None, None, ""),
    ("Veeam Backup", "walkthrough", "Jobs, repositories and restore procedure",
     "Raj Patel", ["Ana Souza"], -8, "signed_off", "Ana Souza", 4, ""),
    ("SharePoint Intranet", "qa", "Questions on site ownership and retention",
     "Raj Patel", ["Priya Sharma"], 5, "planned", None, None, ""),
]  # fmt: skip

# Runbooks: system, template, target status.
NW_RUNBOOKS = [
    ("ServiceNow ITSM", "incident-response", "accepted"),
    ("ServiceNow ITSM", "service-restart", "validated"),
    ("Active Directory", "incident-response", "reviewed"),
    ("Active Directory", "backup-restore", "drafted"),
    ("Veeam Backup", "backup-restore", "reviewed"),
    ("Exchange Online", "monitoring-alerts", "drafted"),
    ("SAP ERP", "disaster-recovery", "drafted"),
]
LIFECYCLE = ("drafted", "reviewed", "validated", "accepted")


#: The days after the start on which the story left discovery and access setup (one day
#: late each, against playbook lengths of three and two weeks).
DISCOVERY_DAYS, ACCESS_DAYS = 22, 37


def _northwind(session: Session, today: date, folder: Path) -> Engagement:
    start = today - timedelta(weeks=7)
    eng, pb = _start(session, NORTHWIND, start)
    for name, side, role, release in NW_PEOPLE:
        first, last = name.lower().split(" ", 1)
        domain = {
            "client": "northwind.example",
            "incumbent": "contoso.example",
            "provider": "fabrikam.example",
        }[side]
        people.add(
            session,
            eng,
            name,
            side=side,
            email=f"{first}.{last.replace(' ', '')}@{domain}",
            role=role,
            release_date=today + timedelta(days=release) if release is not None else None,
        )
    for name, tier, description in NW_SYSTEMS:
        systems.add(session, eng, name, tier=tier, description=description)
    for key, person in NW_ASSIGN.items():
        tasks.assign(session, eng, key, person)
    for role, person in NW_ROLES:
        roles.assign(session, eng, role, person)

    from transition.services import system_people

    for system, person, role in NW_OWNERS:
        system_people.set_owner(session, eng, system, person, role=role)
    system_people.change_topic(session, eng, "SAP ERP", "Month-end close")

    # Discovery: everything done, gate passed.
    _close_phase_tasks(session, eng, pb, "discovery")
    gates.advance(session, eng)
    _left_on(session, eng, "access-setup", start + timedelta(days=DISCOVERY_DAYS))
    # Access setup: grants given, tasks done; the admin grant without a justification is a
    # high finding, so the gate is passed on a written override.
    grant_ids = [_grant(session, eng, today, *row) for row in NW_GRANTS]
    mistaken = _grant(
        session,
        eng,
        today,
        *("Lena Fischer", "Active Directory", "domain-admin", 30, "Requested for password resets"),
    )
    access.revoke(session, eng, mistaken, reason="Agent role in ServiceNow covers password resets")
    _close_phase_tasks(session, eng, pb, "access-setup")
    gates.advance(
        session,
        eng,
        override="Sponsor accepted the open AD admin justification as risk R-07; "
        "to be fixed before the parallel run",
    )
    _left_on(session, eng, "ramp-up", start + timedelta(days=ACCESS_DAYS))
    # Ramp-up: under way.
    for key in NW_DONE["ramp-up"]:
        tasks.set_status(session, eng, key, "done")
    for key, status, note in NW_OPEN:
        tasks.set_status(session, eng, key, status, note=note)
    task_edit.note(session, eng, "ola-agreement", "Chased the network supplier by phone")

    kt_ids = _kt_sessions(session, eng, today)
    _runbooks(session, eng, folder, today)
    for key, note in (
        ("data-export-open-formats", "Export formats agreed in the contract schedule 7"),
        ("named-contacts", "Named contacts listed in the transition plan"),
    ):
        handover.set_item_status(session, eng, key, "done", note=note)
    _backdate_northwind(session, eng.id, today, start, grant_ids, mistaken, kt_ids)
    return eng


def _left_on(session: Session, eng: Engagement, entered: str, day: date) -> None:
    """The phases from ``entered`` on, re-laid from ``day``, the day the story left the
    phase before it (``advance`` laid them from today), as leaving it then would have."""
    from transition.services import plan

    position = next(p.position for p in gates.steps(session, eng) if p.key == entered)
    plan.relay(session, eng, position, day, "backdate")


def _close_phase_tasks(session: Session, eng: Engagement, pb: Any, phase_key: str) -> None:
    """Mark every task of a phase done, dependencies first (playbook order is topological
    within a phase and earlier phases are closed before)."""
    spec = next(p for p in pb.phases if p.key == phase_key)
    pending = [t.key for t in spec.tasks]
    done: set[str] = set()
    deps = {t.key: set(t.depends_on) & set(pending) for t in spec.tasks}
    while pending:
        ready = [k for k in pending if deps[k] <= done]
        for key in ready:
            tasks.set_status(session, eng, key, "done")
            done.add(key)
        pending = [k for k in pending if k not in done]


#: Who owns the systems (system, person, owner|sme|backup).
NW_OWNERS = [
    ("SAP ERP", "Sofia Novak", "owner"),
    ("SAP ERP", "Kenji Watanabe", "backup"),
    ("ServiceNow ITSM", "Raj Patel", "owner"),
    ("ServiceNow ITSM", "Lena Fischer", "sme"),
    ("Active Directory", "Tom Becker", "owner"),
    ("Citrix Virtual Apps", "Ingrid Larsen", "owner"),
]
#: The topics some sessions cover (by the session's topic text).
NW_COVERS = {
    "Jobs, repositories and restore procedure": ["backup-restore"],
}


def _kt_sessions(session: Session, eng: Engagement, today: date) -> list[tuple[int, int, str]]:
    out = []
    for system, kind, topic, presenter, attendees, offset, outcome, by, confidence, notes in NW_KT:
        row = kt.schedule(
            session,
            eng,
            system=system,
            topic=topic,
            presenters=[presenter],
            attendees=attendees,
            at=_at(today + timedelta(days=offset), 14),
            kind=kind,
            minutes=90,
            covers=NW_COVERS.get(topic, ()),
        )
        if outcome in ("held", "signed_off"):
            kt.hold(session, eng, row.id)
        if outcome == "signed_off":
            kt.signoff(session, eng, row.id, by=by, confidence=confidence, follow_ups=notes)
        out.append((row.id, offset, outcome))
    return out


def _runbooks(session: Session, eng: Engagement, folder: Path, today: date) -> list[int]:
    from transition import demo_evidence
    from transition.services import runbooks

    out_dir = folder / eng.slug
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    ids = []
    for system, template, target in NW_RUNBOOKS:
        # A file left by an earlier demo (another database) was filled in by that demo:
        # remove it rather than have --force refuse it as edited.
        planned = runbooks.generate(
            session,
            eng,
            system=system,
            template=template,
            out_dir=out_dir,
            dry_run=True,
            force=True,
        )
        Path(planned.path).unlink(missing_ok=True)
        result = runbooks.generate(
            session, eng, system=system, template=template, out_dir=out_dir, force=True
        )
        ids.append(result.id)
        _fill(Path(result.path), FILLED[target])
        demo_evidence.advance(session, eng, system, template, result.id, target, today)
    return ids


#: Share of a runbook's placeholders filled in, by lifecycle stage.
FILLED = {"drafted": 0.3, "reviewed": 0.8, "validated": 1.0, "accepted": 1.0}
_MARKER = re.compile(r"\[\[FILL:[^\]]*\]\]")


def _fill(path: Path, share: float) -> None:
    """Replace the first ``share`` of the ``[[FILL: …]]`` markers, as an author would."""
    text = path.read_text(encoding="utf-8")
    total = len(_MARKER.findall(text))
    text = _MARKER.sub(
        "Agreed with the incumbent team and recorded here.", text, int(total * share)
    )
    from transition.files import SHARED, write_file

    write_file(path, text, mode=SHARED)


def _backdate_northwind(
    session: Session,
    eid: int,
    today: date,
    start: date,
    grant_ids: list[int],
    revoked_id: int,
    kt_ids: list[tuple[int, int, str]],
) -> None:
    """Move past events to the days they happened in the story."""
    discovery_end = start + timedelta(days=DISCOVERY_DAYS)
    access_end = start + timedelta(days=ACCESS_DAYS)
    phase_dates = {
        "discovery": (start, discovery_end),
        "access-setup": (discovery_end, access_end),
        "ramp-up": (access_end, None),
    }
    for key, (first, last) in phase_dates.items():
        values: dict[str, Any] = {"actual_start": first, "actual_end": last}
        if last is not None:
            values["gate_decided_at"] = _at(last, 17)
        backdate.backdate(session, eid, Phase, "phase", values, key=key)
    jitter = (-2, 0, 1, -1, 2, 0, 3, -1)
    for n, (task_id, due) in enumerate(backdate.closed_tasks(session, eid)):
        day = min(max((due or today) + timedelta(days=jitter[n % len(jitter)]), start), today)
        completed = {"completed_at": _at(day, 9 + n % 8)}
        backdate.backdate(session, eid, Task, "task", completed, id=task_id)
    for n, grant_id in enumerate(grant_ids):
        backdate.grant_given(session, grant_id, _at(discovery_end + timedelta(days=1 + n % 6)))
    backdate.grant_given(session, revoked_id, _at(discovery_end + timedelta(days=2)))
    revoked = {"revoked_at": _at(access_end)}
    backdate.backdate(session, eid, AccessGrant, "access_grant", revoked, id=revoked_id)
    for kt_id, offset, outcome in kt_ids:
        if offset >= 0 or outcome == "planned":
            continue
        held = _at(today + timedelta(days=offset), 16)
        backdate.backdate(session, eid, KTSession, "kt_session", {"held_at": held}, id=kt_id)
        if outcome == "signed_off":
            signed = {"signed_off_at": held + timedelta(days=1)}
            backdate.backdate(session, eid, KTSession, "kt_session", signed, id=kt_id)


# --------------------------------------------------------------------------- Tailspin


def _tailspin(session: Session, today: date) -> Engagement:
    start = today - timedelta(days=10)
    eng, _ = _start(session, TAILSPIN, start)
    for name, side, role in (
        ("Grace Liu", "client", "Product owner"),
        ("Omar Haddad", "incumbent", "Tech lead"),
        ("Nina Petrova", "provider", "Team lead"),
        ("Arjun Mehta", "provider", "Mobile engineer"),
    ):
        people.add(session, eng, name, side=side, role=role)
    systems.add(session, eng, "iOS and Android app", tier=1)
    systems.add(session, eng, "Mobile backend API", tier=2)
    for key in ("team-kickoff", "stakeholder-map", "contract-baseline"):
        tasks.set_status(session, eng, key, "done")
    tasks.set_status(session, eng, "architecture-overview", "in_progress")
    tasks.assign(session, eng, "architecture-overview", "Omar Haddad")
    access.grant(
        session,
        eng,
        person="Nina Petrova",
        system="Mobile backend API",
        role="developer",
        expires=(today + timedelta(days=60)).isoformat(),
        justification="Reads the code and logs during onboarding",
    )
    for n, key in enumerate(("team-kickoff", "stakeholder-map", "contract-baseline")):
        completed = {"completed_at": _at(start + timedelta(days=2 + 3 * n), 15)}
        backdate.backdate(session, eng.id, Task, "task", completed, key=key)
    from transition.demo_release import leavers

    leavers(session, eng, today)
    return eng
