"""The demo's RAID log and dependency map: the risk R-07 that the access-setup gate
override cites (its decision is already in the log, made by the override), the other
risks, an assumption, an issue and a dependency; which system depends on which."""

from __future__ import annotations

from sqlmodel import Session

from transition.models import Engagement
from transition.services import dependencies, raid

#: title, owner, party, probability, impact, mitigation, links, resolution (closed).
RISKS = [
    (
        "SAP Basis knowledge leaves with Sofia Novak",
        "Priya Sharma",
        "incumbent",
        4,
        5,
        "Shadow and reverse-shadow the month-end batch before her release",
        [("system", "SAP ERP"), ("person", "Sofia Novak")],
        None,
    ),
    (
        "Citrix desktops have no tested restore",
        "Kenji Watanabe",
        "provider",
        3,
        4,
        "Restore test during the parallel run",
        [("system", "Citrix Virtual Apps")],
        None,
    ),
    (
        "The network supplier names no operational contact",
        "Daniel Okafor",
        "client",
        3,
        3,
        "Escalate through the client's vendor manager",
        [("task", "ola-agreement")],
        None,
    ),
    (
        "Scanner relays in Exchange are undocumented",
        "Tom Becker",
        "incumbent",
        2,
        3,
        "Document them in the runbook before Tom leaves",
        [("system", "Exchange Online")],
        None,
    ),
    (
        "Warehouse shift handover not covered by the service desk",
        "Lena Fischer",
        "provider",
        2,
        2,
        "Extended desk hours agreed",
        [],
        "Desk hours extended to 22:00 from the ramp-up",
    ),
    (
        "Too few ServiceNow agent licences for the provider",
        "Ben Carter",
        "provider",
        2,
        4,
        "",
        [],
        "Licences transferred by the client",
    ),
    (
        "Open AD admin justification (domain-admin request for password resets)",
        "Marcus Chen",
        "incumbent",
        3,
        5,
        "Review every admin grant before the parallel run",
        [("system", "Active Directory"), ("person", "Lena Fischer")],
        None,
    ),
]

#: system, depends on, kind.
DEPENDENCIES = [
    ("ServiceNow ITSM", "Active Directory", "auth"),
    ("SAP ERP", "Active Directory", "auth"),
    ("Exchange Online", "Active Directory", "auth"),
    ("Citrix Virtual Apps", "Active Directory", "auth"),
    ("Citrix Virtual Apps", "SAP ERP", "network"),
    ("SharePoint Intranet", "Exchange Online", "data"),
    ("Veeam Backup", "SAP ERP", "batch"),
]


def raid_log(session: Session, eng: Engagement) -> None:
    """The RAID log and dependency map of Northwind."""
    for title, owner, party, probability, impact, mitigation, links, closed in RISKS:
        item = raid.add(
            session,
            eng,
            kind="risk",
            title=title,
            owner=owner,
            party=party,
            probability=probability,
            impact=impact,
            mitigation=mitigation,
        )
        for kind, name in links:
            raid.link(session, eng, item.ref, **{kind: name})
        if closed:
            raid.close(session, eng, item.ref, resolution=closed)
    raid.add(
        session,
        eng,
        kind="assumption",
        title="The client keeps the SAP licences until the exit",
        owner="Olivia Grant",
        party="client",
    )
    issue = raid.add(
        session,
        eng,
        kind="issue",
        title="Nightly Veeam jobs fail on two file servers",
        owner="Ana Souza",
        party="provider",
    )
    raid.link(session, eng, issue.ref, system="Veeam Backup")
    raid.add(
        session,
        eng,
        kind="dependency",
        title="Network supplier signs the OLA before the parallel run",
        owner="Daniel Okafor",
        party="client",
    )
    for decision in raid.items(session, eng, kind="decision"):
        raid.link(session, eng, decision.ref, system="Active Directory")
    for system, on, kind in DEPENDENCIES:
        dependencies.depends(session, eng, system, on=on, kind=kind)
