"""The noun groups as ``transition --help`` and shell completion list them: each name with
its one-line help and its commands, kept here so that listing them imports no noun
module (``tests/test_imports.py`` checks this table against the real groups)."""

from __future__ import annotations

from typing import NamedTuple


class Noun(NamedTuple):
    help: str
    commands: tuple[str, ...]


#: name → help and command names, in the order ``transition --help`` lists them. The
#: Typer app of each is ``transition.cli.<name>:app``.
NOUNS: dict[str, Noun] = {
    "playbook": Noun(
        "Shipped and user playbooks: list, show, validate.", ("list", "show", "validate")
    ),
    "engagement": Noun(
        "Start and inspect engagements.",
        (
            "archive",
            "delete",
            "list",
            "new",
            "outdated",
            "readiness",
            "set",
            "show",
            "unarchive",
            "upgrade",
        ),
    ),
    "phase": Noun("Phases and their gates.", ("advance", "replan", "status")),
    "task": Noun(
        "The engagement's tasks.",
        ("add", "assign", "done", "list", "note", "remove", "set", "show"),
    ),
    "system": Noun(
        "Systems in scope and their readiness.",
        ("add", "depends", "list", "map", "owner", "remove", "set", "topic"),
    ),
    "person": Noun(
        "People on the engagement.",
        ("add", "list", "move", "readiness", "release", "remove", "set"),
    ),
    "access": Noun(
        "Access grants: record, review and revoke them.",
        ("grant", "import", "list", "review", "revoke"),
    ),
    "kt": Noun(
        "Knowledge-transfer sessions.",
        ("cancel", "coverage", "hold", "ics", "list", "reschedule", "schedule", "set", "signoff"),
    ),
    "handover": Noun(
        "The exit-handover checklist, kept in step.",
        ("done", "export", "import", "pack", "reopen", "show", "sync", "upgrade"),
    ),
    "runbook": Noun(
        "Runbook skeletons from templates, and how finished each one is.",
        ("exercise", "generate", "list", "new", "set", "status", "templates", "update"),
    ),
    "role": Noun("Playbook roles held by people.", ("assign", "list")),
    "agenda": Noun("What a person must do, across engagements.", ()),
    "raid": Noun(
        "The RAID log: risks, assumptions, issues, dependencies and decisions.",
        ("add", "close", "link", "list", "set"),
    ),
    "score": Noun(
        "The parallel-run scorecard: KPI values per party and week.",
        ("import", "intervention", "list", "record"),
    ),
    "exercise": Noun("Tabletop exercises and their findings.", ("add", "finding", "list")),
    "golive": Noun("The go/no-go decision.", ("decide", "show")),
    "meeting": Noun("Meetings of the governance cadence.", ("action", "cancel", "held", "list")),
}
