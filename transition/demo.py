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
- **Tailspin Mobile App**, a dedicated team two weeks into discovery.

The services stamp changes with the real clock; a last step moves the timestamps of
past events (task completions, phase ends, sessions held, grants given) to the days the
story says they happened, so the burndown and the timeline have a shape.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

from transition.models import AccessGrant, Engagement, KTSession, Phase, Task
from transition.services import (
    access,
    audit,
    engagements,
    gates,
    handover,
    kt,
    people,
    systems,
    tasks,
)

NORTHWIND = "Northwind Service Desk"
TAILSPIN = "Tailspin Mobile App"
SLUGS = ("northwind-service-desk", "tailspin-mobile-app")


def demo_runbook_dir() -> Path:
    from transition.settings import get_settings

    return get_settings().data_dir() / "demo-runbooks"


def exists(session: Session) -> bool:
    found = session.execute(select(Engagement.slug).where(Engagement.slug.in_(SLUGS))).first()
    return found is not None


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


def _playbook(name: str):
    from transition.playbooks import resolve_playbook

    pb, raw, _ = resolve_playbook(name)
    return pb, raw


def load_demo(session: Session, *, today: date, runbook_dir: Path | None = None) -> list[str]:
    """Create the demo engagements; returns their slugs."""
    folder = runbook_dir or demo_runbook_dir()
    northwind = _northwind(session, today, folder)
    tailspin = _tailspin(session, today)
    return [northwind.slug, tailspin.slug]


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


def _grants(today: date) -> list[dict[str, Any]]:
    def on(days: int) -> str:
        return (today + timedelta(days=days)).isoformat()

    return [
        {
            "person": "Lena Fischer",
            "system": "ServiceNow ITSM",
            "role": "agent",
            "expires": on(120),
            "justification": "Service desk lead: works and dispatches tickets",
        },
        {
            "person": "Daniel Okafor",
            "system": "ServiceNow ITSM",
            "role": "team-lead",
            "expires": "cutover+30d",
            "justification": "Provider lead: queue management and reporting",
        },
        {
            "person": "Ben Carter",
            "system": "ServiceNow ITSM",
            "role": "admin",
            "expires": on(60),
            "justification": "Configures queues, assignment groups and SLA timers",
        },
        {
            "person": "Kenji Watanabe",
            "system": "Active Directory",
            "role": "admin",
            "expires": on(90),
            "justification": "",
        },
        {
            "person": "Daniel Okafor",
            "system": "Active Directory",
            "role": "read-only",
            "expires": None,
            "justification": "Reviews group membership for the access matrix",
        },
        {
            "person": "Kenji Watanabe",
            "system": "SAP ERP",
            "role": "basis-read",
            "expires": on(10),
            "justification": "Shadows the Basis team during KT",
        },
        {
            "person": "Ana Souza",
            "system": "Exchange Online",
            "role": "exchange-operator",
            "expires": on(90),
            "justification": "Mailbox and transport rule changes",
        },
        {
            "person": "Kenji Watanabe",
            "system": "Citrix Virtual Apps",
            "role": "helpdesk",
            "expires": on(12),
            "justification": "Session resets during shadowing",
        },
        {
            "person": "Ana Souza",
            "system": "Veeam Backup",
            "role": "backup-operator",
            "expires": on(7),
            "justification": "Restore tests for the runbook exercises",
        },
        {
            "person": "Priya Sharma",
            "system": "SharePoint Intranet",
            "role": "site-owner",
            "expires": on(180),
            "justification": "Owns the transition site and KT library",
        },
    ]


# KT sessions: system, kind, topic, presenter, attendees, day offset from today,
# outcome (planned | held | signed_off), signer, confidence, follow-ups.
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


def _northwind(session: Session, today: date, folder: Path) -> Engagement:
    start = today - timedelta(weeks=7)
    pb, raw = _playbook("managed-service-onboarding")
    eng = engagements.create(
        session,
        name=NORTHWIND,
        playbook=pb,
        raw=raw,
        client="Northwind Traders",
        incumbent="Contoso IT",
        provider="Fabrikam Managed Services",
        model="managed-service",
        location="nearshore",
        start=start,
    )
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

    phase_keys = [p.key for p in pb.phases]
    # Discovery: everything done, gate passed.
    _close_phase_tasks(session, eng, pb, "discovery")
    gates.advance(session, eng)
    # Access setup: grants given, tasks done; the admin grant without a justification is a
    # high finding, so the gate is passed on a written override.
    grant_ids = [access.grant(session, eng, **g).id for g in _grants(today)]
    mistaken = access.grant(
        session,
        eng,
        person="Lena Fischer",
        system="Active Directory",
        role="domain-admin",
        expires=(today + timedelta(days=30)).isoformat(),
        justification="Requested for password resets",
    )
    access.revoke(
        session, eng, mistaken.id, reason="Agent role in ServiceNow covers password resets"
    )
    _close_phase_tasks(session, eng, pb, "access-setup")
    gates.advance(
        session,
        eng,
        override="Sponsor accepted the open AD admin justification as risk R-07; "
        "to be fixed before the parallel run",
    )
    # Ramp-up: under way.
    for key in NW_DONE["ramp-up"]:
        tasks.set_status(session, eng, key, "done")
    for key, status, note in NW_OPEN:
        tasks.set_status(session, eng, key, status, note=note)

    kt_ids = _kt_sessions(session, eng, today)
    runbook_ids = _runbooks(session, eng, folder)
    for key, note in (
        ("data-export-open-formats", "Export formats agreed in the contract schedule 7"),
        ("named-contacts", "Named contacts listed in the transition plan"),
    ):
        handover.set_item_status(session, eng, key, "done", note=note)
    _backdate_northwind(session, eng, today, start, phase_keys, grant_ids, kt_ids, runbook_ids)
    return eng


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


def _kt_sessions(session: Session, eng: Engagement, today: date) -> list[tuple[int, int]]:
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
        )
        if outcome in ("held", "signed_off"):
            kt.hold(session, eng, row.id)
        if outcome == "signed_off":
            kt.signoff(session, eng, row.id, by=by, confidence=confidence, follow_ups=notes)
        out.append((row.id, offset))
    return out


def _runbooks(session: Session, eng: Engagement, folder: Path) -> list[int]:
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
        for status in LIFECYCLE[1 : LIFECYCLE.index(target) + 1]:
            runbooks.set_status(session, eng, result.id, status)
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
    eng: Engagement,
    today: date,
    start: date,
    phase_keys: list[str],
    grant_ids: list[int],
    kt_ids: list[tuple[int, int]],
    runbook_ids: list[int],
) -> None:
    """Move past events to the days they happened in the story."""
    eid = eng.id
    discovery_end = start + timedelta(days=22)
    access_end = start + timedelta(days=37)
    phase_dates = {
        "discovery": (start, discovery_end),
        "access-setup": (discovery_end, access_end),
        "ramp-up": (access_end, None),
    }
    for key, (first, last) in phase_dates.items():
        values: dict[str, Any] = {"actual_start": first, "actual_end": last}
        if last is not None:
            values["gate_decided_at"] = _at(last, 17)
        _backdate(session, eid, Phase, "phase", Phase.key == key, values)
    jitter = (-2, 0, 1, -1, 2, 0, 3, -1)
    rows = session.execute(
        select(Task.id, Task.due_date)
        .where(Task.engagement_id == eid, Task.status.in_(("done", "skipped")))
        .order_by(Task.id)
    ).all()
    for n, (task_id, due) in enumerate(rows):
        day = min(max((due or today) + timedelta(days=jitter[n % len(jitter)]), start), today)
        _backdate(
            session, eid, Task, "task", Task.id == task_id, {"completed_at": _at(day, 9 + n % 8)}
        )
    for n, grant_id in enumerate(grant_ids):
        day = discovery_end + timedelta(days=1 + n % 6)
        session.execute(
            update(AccessGrant).where(AccessGrant.id == grant_id).values(granted_at=_at(day))
        )
    session.execute(
        update(AccessGrant)
        .where(AccessGrant.engagement_id == eid, AccessGrant.revoked_at.is_not(None))
        .values(granted_at=_at(discovery_end + timedelta(days=2)))
    )
    _backdate(
        session,
        eid,
        AccessGrant,
        "access_grant",
        AccessGrant.revoked_at.is_not(None),
        {"revoked_at": _at(access_end)},
    )
    for kt_id, offset in kt_ids:
        if offset >= 0:
            continue
        held = _at(today + timedelta(days=offset), 16)
        _backdate(
            session,
            eid,
            KTSession,
            "kt_session",
            (KTSession.id == kt_id) & (KTSession.status != "planned"),
            {"held_at": held},
        )
        _backdate(
            session,
            eid,
            KTSession,
            "kt_session",
            (KTSession.id == kt_id) & (KTSession.status == "signed_off"),
            {"signed_off_at": held + timedelta(days=1)},
        )


def _backdate(
    session: Session, eid: int, model: Any, entity: str, where: Any, values: dict[str, Any]
) -> None:
    """Move recorded times to the days they happened in the story, on the record: each
    moved value is a ``backdate`` event, so the log still replays to the rows."""
    columns = [getattr(model, name) for name in values]
    rows = session.execute(
        select(model.id, *columns).where(model.engagement_id == eid, where).order_by(model.id)
    ).all()
    if not rows:
        return
    session.execute(update(model).where(model.id.in_([r[0] for r in rows])).values(**values))
    audit.record_many(
        session,
        eid,
        [
            audit.Change(entity, row[0], "backdate", name, row[n + 1], value)
            for row in rows
            for n, (name, value) in enumerate(values.items())
        ],
    )


# --------------------------------------------------------------------------- Tailspin


def _tailspin(session: Session, today: date) -> Engagement:
    start = today - timedelta(days=10)
    pb, raw = _playbook("dedicated-team-onboarding")
    eng = engagements.create(
        session,
        name=TAILSPIN,
        playbook=pb,
        raw=raw,
        client="Tailspin Toys",
        incumbent="Litware Digital",
        provider="Fabrikam Managed Services",
        model="dedicated-team",
        location="offshore",
        start=start,
    )
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
        _backdate(
            session,
            eng.id,
            Task,
            "task",
            Task.key == key,
            {"completed_at": _at(start + timedelta(days=2 + 3 * n), 15)},
        )
    return eng
