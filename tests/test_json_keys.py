"""The keys and value types of every ``--json`` output are pinned: scripts depend on them.

One small engagement with at least one row of everything (people, systems, grants live and
revoked, KT sessions held and planned, a runbook, handover items of every source, a gate
decision) is printed through every command that has a ``--json`` option; each output must
have exactly the pinned keys with values of the pinned types. A command that gains a
``--json`` option without a pin here fails ``test_every_json_command_is_pinned``.

Spec language: ``"str|null"`` a scalar of one of those JSON types; ``{key: spec}`` an object
with exactly those keys; ``{"*": spec}`` an object whose (data-named) keys all map to
``spec``; ``[spec]`` a list whose every item matches ``spec``; ``"object"`` any object.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

ENG = "acme-helpdesk"

#: Types of the JSON scalars, by the names the pins use.
JSON_TYPES = {str: "str", int: "int", float: "float", bool: "bool", type(None): "null"}

PHASE_ROW = {
    "key": "str",
    "title": "str",
    "status": "str",
    "planned_start": "str",
    "planned_end": "str",
    "baseline_start": "str|null",
    "baseline_end": "str|null",
    "slip_days": "int|null",
    "actual_start": "str|null",
    "actual_end": "str|null",
    "gate_decision": "str|null",
    "tasks_total": "int",
    "tasks_open": "int",
}

ENGAGEMENT_ROW = {
    "name": "str",
    "slug": "str",
    "client": "str",
    "incumbent": "str",
    "provider": "str",
    "model": "str",
    "location": "str",
    "start_date": "str",
    "status": "str",
    "playbook": "str",
    "playbook_version": "int",
    "playbook_hash": "str",
    "current_phase": "str|null",
    "phases": ["str"],
    "phase_index": "int|null",
    "tasks_total": "int",
    "tasks_done": "int",
    "tasks_overdue": "int",
    "tasks_blocked": "int",
    "cutover_date": "str|null",
    "days_to_cutover": "int|null",
    "archived_at": "str|null",
    "version": "int",
    "playbook_latest": "int|null",
}

UPGRADE_STEP = {
    "what": "str",
    "key": "str",
    "action": "str",
    "field": "str|null",
    "before": "str|null",
    "after": "str|null",
    "note": "str",
}

#: Command path → (arguments after the path, pinned shape).
DECISION = {
    "id": "int",
    "decision": "str",
    "phase": "str|null",
    "client": "str",
    "provider": "str",
    "decided_at": "str",
    "recorded_by": "str",
    "conditions": ["str"],
    "rollback_triggers": ["str"],
    "evidence": {
        "at": "str",
        "phase": "str|null",
        "gate_met": "bool|null",
        "gate": [{"criterion": "str", "name": "str", "met": "bool", "reason": "str"}],
        "figures": [
            {
                "key": "str",
                "label": "str",
                "value": "float|int|null",
                "of": "int|null",
                "note": "str",
            }
        ],
    },
}

PINS: dict[str, tuple[tuple[str, ...], Any]] = {
    "playbook list": (
        (),
        [
            {
                "name": "str",
                "title": "str",
                "version": "int|null",
                "phases": ["str"],
                "tasks": "int",
                "handover": "str|null",
                "path": "str",
            }
        ],
    ),
    "playbook show": (
        ("managed-service-onboarding",),
        {
            "name": "str",
            "title": "str",
            "version": "int",
            "kind": "str",
            "description": "str",
            "handover": "str|null",
            "runbooks": ["str"],
            "tier_runbooks": {"*": ["str"]},
            "phases": [
                {
                    "key": "str",
                    "title": "str",
                    "duration": "str",
                    "tasks": [
                        {
                            "key": "str",
                            "title": "str",
                            "owner": "str|null",
                            "due": "str",
                            "depends_on": ["str"],
                            "description": "str",
                            "replaces": "str|null",
                        }
                    ],
                    "gate": ["object"],
                }
            ],
            "scorecard": [
                {
                    "key": "str",
                    "title": "str",
                    "unit": "str",
                    "target": "float",
                    "better": "str",
                    "period": "str",
                }
            ],
            "cadence": [
                {
                    "key": "str",
                    "title": "str",
                    "every": "str",
                    "start": "str",
                    "until": "str",
                    "minutes": "int",
                    "attendees": ["str"],
                    "agenda": ["str"],
                }
            ],
            "path": "str",
        },
    ),
    "engagement list": ((), [ENGAGEMENT_ROW]),
    "engagement outdated": (
        (),
        [
            {
                "engagement": "str",
                "playbook": "str",
                "version": "int",
                "latest_version": "int",
                "latest_path": "str",
                "changes": [
                    {
                        "what": "str",
                        "key": "str",
                        "change": "str",
                        "field": "str|null",
                        "before": "str|null",
                        "after": "str|null",
                    }
                ],
                "errors": ["str"],
            }
        ],
    ),
    "engagement upgrade": (
        (ENG, "--dry-run"),
        {
            "engagement": "str",
            "playbook": "str",
            "from_version": "int",
            "to_version": "int",
            "dry_run": "bool",
            "applied": [UPGRADE_STEP],
            "conflicts": [UPGRADE_STEP],
            "to_decide": [UPGRADE_STEP],
            "events": "int",
        },
    ),
    "engagement show": (
        (ENG,),
        {
            **ENGAGEMENT_ROW,
            "phases": [PHASE_ROW],
            "calendar": "str|null",
            "workweek": "str",
            "extra_holidays": ["str"],
            "timezone": "str|null",
            "notice_date": "str|null",
            "exit_date": "str|null",
            "exit_of": "str|null",
            "exit_engagement": "str|null",
        },
    ),
    "engagement readiness": (
        (ENG,),
        {
            "engagement": "str",
            "day": "str",
            "score": "int",
            "parts": [
                {
                    "key": "str",
                    "title": "str",
                    "weight": "int",
                    "applies": "bool",
                    "share": "float",
                    "value": "int|null",
                    "counts": "str",
                    "gain": "float",
                    "items": [{"action": "str", "gain": "float"}],
                }
            ],
            "systems": [
                {
                    "system": "str",
                    "tier": "int",
                    "score": "int",
                    "kt": "int|null",
                    "runbooks": "int|null",
                    "access": "int",
                }
            ],
            "raise_most": [
                {
                    "part": "str",
                    "title": "str",
                    "gain": "float",
                    "items": [{"action": "str", "gain": "float"}],
                }
            ],
            "trend": [{"day": "str", "score": "int"}],
        },
    ),
    "phase status": (
        (ENG,),
        {
            "engagement": "str",
            "status": "str",
            "current_phase": "str|null",
            "phases": [
                {
                    **PHASE_ROW,
                    "position": "int",
                    "gate_met": "bool",
                    "gate": [{"criterion": "str", "name": "str", "met": "bool", "reason": "str"}],
                    "gate_decided_by": "str|null",
                    "gate_decided_at": "str|null",
                    "gate_reason": "str|null",
                    "version": "int",
                }
            ],
            "key_person_risks": [
                {
                    "system": "str",
                    "presenters": ["str"],
                    "release_date": "str",
                    "days_left": "int",
                    "missing": ["str"],
                    "reason": "str",
                }
            ],
        },
    ),
    "phase replan": (
        (ENG, "--phase", "cutover", "--start", "2027-06-01", "--reason", "client freeze"),
        {
            "engagement": "str",
            "action": "str",
            "reason": "str|null",
            "phases": [
                {
                    "key": "str",
                    "title": "str",
                    "old_start": "str",
                    "old_end": "str",
                    "new_start": "str",
                    "new_end": "str",
                    "tasks_moved": "int",
                }
            ],
            "tasks_moved": "int",
            "grants_moved": "int",
        },
    ),
    "task list": (
        (ENG,),
        [
            {
                "id": "int",
                "key": "str",
                "title": "str",
                "status": "str",
                "owner_role": "str|null",
                "due_date": "str|null",
                "note": "str|null",
                "completed_by": "str|null",
                "completed_at": "str|null",
                "version": "int",
                "phase": "str",
                "assignee": "str|null",
                "owners": ["str"],
                "origin": "str",
                "due_rule": "str|null",
                "depends_on": ["str"],
                "waiting_on": ["str"],
                "overdue": "bool",
                "due_non_working": "str|null",
            }
        ],
    ),
    "score list": (
        (ENG,),
        [
            {
                "kpi": "str",
                "title": "str",
                "unit": "str",
                "party": "str",
                "period": "str",
                "value": "float",
                "target": "float",
                "better": "str",
                "met": "bool",
                "note": "str|null",
            }
        ],
    ),
    "role list": (
        (ENG,),
        [
            {
                "role": "str",
                "person": "str|null",
                "slug": "str|null",
                "side": "str|null",
                "open_tasks": "int",
            }
        ],
    ),
    "exercise list": (
        (ENG,),
        [
            {
                "id": "int",
                "key": "str",
                "scenario": "str",
                "held_on": "str",
                "held": "bool",
                "participants": ["str"],
                "findings": ["str"],
                "created_by": "str",
            }
        ],
    ),
    "golive show": (
        (ENG,),
        {
            "engagement": "str",
            "latest": DECISION,
            "history": [DECISION],
        },
    ),
    "agenda": (
        ("--person", "Bob New", "--days", "30"),
        {
            "person": "str",
            "engagements": ["str"],
            "today": "str",
            "until": "str",
            "items": [
                {
                    "engagement": "str",
                    "kind": "str",
                    "due": "str|null",
                    "at": "str|null",
                    "ref": "str",
                    "title": "str",
                    "via": "str",
                    "overdue": "bool",
                }
            ],
        },
    ),
    "task show": (
        (ENG, "extra-check"),
        {
            "id": "int",
            "key": "str",
            "title": "str",
            "status": "str",
            "owner_role": "str|null",
            "due_date": "str|null",
            "note": "str|null",
            "completed_by": "str|null",
            "completed_at": "str|null",
            "version": "int",
            "phase": "str",
            "assignee": "str|null",
            "owners": ["str"],
            "origin": "str",
            "due_rule": "str|null",
            "depends_on": ["str"],
            "waiting_on": ["str"],
            "due_non_working": "str|null",
            "overdue": "bool",
            "description": "str",
            "removed_at": "str|null",
            "removed_reason": "str|null",
            "dependents": ["str"],
            "notes": [{"id": "int", "at": "str", "author": "str", "text": "str"}],
            "history": [
                {
                    "id": "int",
                    "at": "str",
                    "actor": "str",
                    "action": "str",
                    "entity": "str",
                    "entity_id": "int|null",
                    "field": "str|null",
                    "before": "str|null",
                    "after": "str|null",
                    "imported": "bool",
                }
            ],
        },
    ),
    "system list": (
        (ENG,),
        [
            {
                "name": "str",
                "slug": "str",
                "tier": "int",
                "runbooks_total": "int",
                "runbooks_required": "int",
                "runbooks_accepted": "int",
                "runbooks_missing": ["str"],
                "access_active": "int",
                "kt_signed_off": ["str"],
                "kt_open": "int",
                "kt_missing": ["str"],
                "ready": "bool",
                "key_person_risk": "bool",
                "key_person_risk_reason": "str|null",
                "version": "int",
                "owners": ["str"],
                "topics": "int",
            }
        ],
    ),
    "system map": (
        (ENG,),
        {
            "systems": ["str"],
            "layers": [["str"]],
            "cutover_order": ["str"],
            "edges": [
                {
                    "system": "str",
                    "system_slug": "str",
                    "depends_on": "str",
                    "depends_on_slug": "str",
                    "kind": "str",
                }
            ],
            "kt_flagged": {"*": ["str"]},
        },
    ),
    "person list": (
        (ENG,),
        [
            {
                "id": "int",
                "name": "str",
                "slug": "str",
                "side": "str",
                "email": "str|null",
                "role": "str|null",
                "release_date": "str|null",
                "timezone": "str|null",
                "version": "int",
            }
        ],
    ),
    "person readiness": (
        (ENG,),
        [
            {
                "person": "str",
                "name": "str",
                "side": "str",
                "role": "str|null",
                "release_date": "str|null",
                "days_left": "int|null",
                "released_on": "str|null",
                "release_override": "str|null",
                "ready": "bool",
                "state": "str",
                "topics": [{"system": "str", "topic": "str|null", "missing": ["str"]}],
                "runbooks": [{"id": "int", "system": "str", "title": "str", "status": "str"}],
                "grants": [{"id": "int", "system": "str", "role": "str", "expires_on": "str|null"}],
            }
        ],
    ),
    "access list": (
        (ENG,),
        [
            {
                "id": "int",
                "person": "str",
                "side": "str",
                "system": "str",
                "role": "str",
                "justification": "str",
                "approver": "str",
                "granted_at": "str",
                "expires_on": "str|null",
                "expires_rule": "str|null",
                "revoked_at": "str|null",
                "revoked_by": "str|null",
                "revoke_reason": "str|null",
                "version": "int",
                "status": "str",
            }
        ],
    ),
    "access review": (
        (ENG,),
        [
            {
                "kind": "str",
                "severity": "str",
                # None for findings about a person, not a grant (a release not on course).
                "grant_id": "int|null",
                "person": "str",
                "system": "str",
                "role": "str|null",
                "message": "str",
            }
        ],
    ),
    "kt list": (
        (ENG,),
        [
            {
                "id": "int",
                "uid": "str",
                "system": "str",
                "topic": "str",
                "kind": "str",
                "starts_at": "str",
                "minutes": "int",
                "status": "str",
                "held_at": "str|null",
                "signed_off_at": "str|null",
                "confidence": "int|null",
                "follow_ups": "str",
                "version": "int",
                "ends_at": "str",
                "presenters": ["str"],
                "attendees": ["str"],
                "signed_off_by": "str|null",
                "cancel_reason": "str|null",
                "timezone": "str",
                "starts_local": "str",
                "local_times": [{"person": "str", "timezone": "str", "starts": "str"}],
                "covers": ["str"],
            }
        ],
    ),
    "meeting list": (
        (ENG,),
        [
            {
                "number": "int",
                "uid": "str",
                "cadence": "str",
                "title": "str",
                "occurs_on": "str",
                "starts_at": "str",
                "starts_local": "str",
                "timezone": "str",
                "minutes": "int",
                "status": "str",
                "roles": ["str"],
                "agenda": ["str"],
                "attendees": ["str"],
                "notes": "str",
                "cancel_reason": "str|null",
                "held_at": "str|null",
                "actions": ["str"],
                "missed": "bool",
                "version": "int",
            }
        ],
    ),
    "kt coverage": (
        (ENG,),
        [
            {
                "system": "str",
                "tier": "int",
                "topic": "str",
                "source": "str",
                "kinds": [{"kind": "str", "status": "str", "received": ["str"]}],
                "holders": ["str"],
                "received": ["str"],
                "missing": ["str"],
                "at_risk": "str|null",
            }
        ],
    ),
    "runbook templates": (
        (),
        [
            {
                "name": "str",
                "title": "str",
                "description": "str",
                "source": "str",
                "path": "str",
                "variables": {"*": {"required": "bool", "description": "str"}},
            }
        ],
    ),
    "runbook new": (
        (ENG, "--system", "CRM", "--template", "backup-restore", "--out", "{out}"),
        {
            "id": "int",
            "system": "str",
            "system_slug": "str",
            "template": "str",
            "title": "str",
            "path": "str",
            "status": "str",
            "placeholders": "int",
            "dry_run": "bool",
            "regenerated": "bool",
        },
    ),
    "runbook list": (
        (ENG,),
        [
            {
                "id": "int",
                "system": "str",
                "system_slug": "str",
                "tier": "int",
                "template": "str",
                "title": "str",
                "status": "str",
                "path": "str",
                "placeholders_total": "int",
                "placeholders_left": "int",
                "fill_ratio": "float|int",
                "file_missing": "bool",
                "conflicts": "int",
                "template_version": "int|null",
                "created_at": "str",
                "created_by": "str",
                "version": "int",
                "owner": "str|null",
                "review_due": "str|null",
                "review_overdue": "bool",
                "accepted_by": "str|null",
                "exercises": "int",
                "passes": "int",
                "last_exercised_on": "str|null",
                "last_outcome": "str|null",
                "passed_in_parallel_run": "bool",
                "warning": "str|null",
            }
        ],
    ),
    "runbook exercise": (
        (
            ENG,
            "1",
            "--on",
            "2026-11-21",
            "--by",
            "Bob New",
            "--outcome",
            "fail",
            "--deviations",
            "restore took 2 h",
        ),
        {
            "id": "int",
            "runbook_id": "int",
            "system": "str",
            "template": "str",
            "exercised_on": "str",
            "by": "str",
            "outcome": "str",
            "deviations": "str|null",
            "in_parallel_run": "bool",
            "warning": "str|null",
        },
    ),
    "runbook set": (
        (ENG, "1", "--review", "2026-11-16"),
        {
            "id": "int",
            "owner": "str|null",
            "review_due": "str|null",
            "changed": ["str"],
            "version": "int",
        },
    ),
    "runbook generate": (
        (ENG, "--missing", "--dry-run", "--out", "{out}"),
        {
            "dry_run": "bool",
            "runbooks": [
                {
                    "id": "int|null",
                    "system": "str",
                    "system_slug": "str",
                    "template": "str",
                    "title": "str",
                    "path": "str",
                    "status": "str",
                    "placeholders": "int",
                    "dry_run": "bool",
                    "regenerated": "bool",
                }
            ],
        },
    ),
    "runbook status": (
        (ENG, "1", "validated"),
        {
            "id": "int",
            "from": "str",
            "to": "str",
            "changed": "bool",
            "forced": "bool",
            "reason": "str|null",
            "version": "int",
            "signed_by": "str|null",
            "warning": "str|null",
        },
    ),
    "runbook update": (
        (ENG, "--all"),
        {
            "dry_run": "bool",
            "runbooks": [
                {
                    "id": "int",
                    "system": "str",
                    "template": "str",
                    "path": "str",
                    "from_version": "int|null",
                    "to_version": "int|null",
                    "outcome": "str",
                    "added": "int",
                    "removed": "int",
                    "conflicts": "int",
                    "conflict_lines": ["int"],
                    "status_before": "str",
                    "status": "str",
                    "reason": "str|null",
                }
            ],
        },
    ),
    "handover show": (
        (ENG,),
        [
            {
                "id": "int",
                "key": "str",
                "section": "str",
                "section_title": "str|null",
                "title": "str",
                "description": "str",
                "owner": "str|null",
                "source": "str",
                "source_kind": "str|null",
                "source_id": "int|null",
                "checklist": "str|null",
                "status": "str",
                "resolved_at": "str|null",
                "resolved_by": "str|null",
                "note": "str|null",
                "version": "int",
                "source_ref": "object",
                "due_rule": "str|null",
                "due_date": "str|null",
                "overdue": "bool",
            }
        ],
    ),
    "handover sync": (
        (ENG,),
        {"added": "int", "resolved": "int", "retired": "int", "reopened": "int"},
    ),
    "audit": (
        (ENG,),
        [
            {
                "id": "int",
                "at": "str",
                "actor": "str",
                "action": "str",
                "entity": "str",
                "entity_id": "int|null",
                "field": "str|null",
                "before": "str|null",
                "after": "str|null",
                "imported": "bool",
            }
        ],
    ),
    "undo": (
        (ENG, "--dry-run"),
        {
            "dry_run": "bool",
            "changes": [
                {
                    "change_id": "str",
                    "at": "str",
                    "actor": "str",
                    "engagement": "str|null",
                    "actions": ["str"],
                    "fields": [
                        {
                            "entity": "str",
                            "entity_id": "int|null",
                            "label": "str",
                            "field": "str|null",
                            "now": "str|null",
                            "restored": "str|null",
                        }
                    ],
                }
            ],
        },
    ),
    "raid list": (
        (ENG,),
        [
            {
                "ref": "str",
                "kind": "str",
                "number": "int",
                "title": "str",
                "owner": "str|null",
                "party": "str|null",
                "probability": "int|null",
                "impact": "int|null",
                "score": "int|null",
                "due": "str|null",
                "mitigation": "str",
                "status": "str",
                "resolution": "str|null",
                "phase": "str|null",
                "created_at": "str",
                "created_by": "str",
                "closed_at": "str|null",
                "closed_by": "str|null",
                "links": [{"kind": "str", "target_id": "int", "name": "str"}],
            }
        ],
    ),
}

#: Outputs of options that change a pinned command's shape.
VARIANTS: list[tuple[str, tuple[str, ...], Any]] = [
    ("audit --verify", ("audit", ENG, "--verify"), {"events": "int", "intact": "bool", "problems": ["str"]}),
    ("runbook new --dry-run", ("runbook", "new", ENG, "--system", "CRM", "--template", "service-restart", "--dry-run"), "object"),
]  # fmt: skip


#: Lists that are empty on a healthy engagement.
EMPTY_OK = {
    "audit --verify": {"$.problems"},
    # local_times: only for people whose own time zone differs from the engagement's;
    # covers: only for sessions scheduled with ``--covers``.
    "kt list": {"$[].local_times", "$[].covers"},
    # Filled only where the engagement and the newer playbook changed the same value.
    "engagement upgrade": {"$.conflicts", "$.to_decide"},
    # Filled only when the newer playbook file is not valid.
    "engagement outdated": {"$[].errors"},
    "task show": {"$.waiting_on", "$.dependents", "$.owners"},
    # Runbooks are someone's once a system has owners (``system owner``).
    "person readiness": {"$[].runbooks"},
    # Filled only where an update leaves conflicts.
    "runbook update": {"$.runbooks[].conflict_lines"},
    # One system, so nothing to depend on.
    "system map": {"$.edges"},
}


def mismatches(value: Any, spec: Any, where: str = "$") -> list[str]:
    """Every place where ``value`` does not have the shape ``spec`` pins."""
    if spec == "object":
        return [] if isinstance(value, dict) else [f"{where}: expected an object"]
    if isinstance(spec, str):
        kind = JSON_TYPES.get(type(value), type(value).__name__)
        allowed = spec.split("|")
        return [] if kind in allowed else [f"{where}: {kind} is not {spec}"]
    if isinstance(spec, list):
        if not isinstance(value, list):
            return [f"{where}: expected a list"]
        return [
            p for i, item in enumerate(value) for p in mismatches(item, spec[0], f"{where}[{i}]")
        ]
    if not isinstance(value, dict):
        return [f"{where}: expected an object"]
    if set(spec) == {"*"}:
        return [p for k, item in value.items() for p in mismatches(item, spec["*"], f"{where}.{k}")]
    problems = []
    if missing := [k for k in spec if k not in value]:
        problems.append(f"{where}: missing keys {missing}")
    if extra := [k for k in value if k not in spec]:
        problems.append(f"{where}: unpinned keys {extra}")
    for key in spec:
        if key in value:
            problems.extend(mismatches(value[key], spec[key], f"{where}.{key}"))
    return problems


def empty_lists(value: Any, spec: Any) -> set[str]:
    """Pinned lists that came out empty everywhere (their item shape then checked nothing)."""
    seen: set[str] = set()
    filled: set[str] = set()

    def walk(value: Any, spec: Any, where: str) -> None:
        if isinstance(spec, list) and isinstance(value, list):
            seen.add(where)
            if value:
                filled.add(where)
            for item in value:
                walk(item, spec[0], f"{where}[]")
        elif isinstance(spec, dict) and isinstance(value, dict) and set(spec) != {"*"}:
            for key in spec:
                if key in value:
                    walk(value[key], spec[key], f"{where}.{key}")

    walk(value, spec, "$")
    return seen - filled


def json_commands() -> set[str]:
    """Every command path (below ``transition``) that has a ``--json`` option."""
    import typer

    from transition.cli.main import app

    root = typer.main.get_command(app)
    found: set[str] = set()

    def walk(command: Any, ctx: Any, path: tuple[str, ...]) -> None:
        if any("--json" in getattr(p, "opts", ()) for p in command.params):
            found.add(" ".join(path))
        if hasattr(command, "list_commands"):  # a group (typer's own click, not `click`)
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None:
                    walk(sub, sub.context_class(sub, parent=ctx, info_name=name), (*path, name))

    walk(root, root.context_class(root, info_name="transition"), ())
    return found


def test_every_json_command_is_pinned():
    assert json_commands() == set(PINS)


#: The engagement every pin is checked on: a row of everything the commands print.
STEPS = [
    ("engagement", "new", "Acme Helpdesk", "--playbook", "managed-service-onboarding", "--client", "Acme", "--incumbent", "OldCo", "--provider", "NewCo", "--start", "2026-11-02", "--calendar", "GB-ENG", "--timezone", "Europe/London", "--holidays", "{holidays}"),
    ("person", "add", ENG, "Ann Old", "--side", "incumbent", "--email", "ann@old.example", "--role", "SME", "--release", "2026-12-10"),
    ("person", "add", ENG, "Bob New", "--side", "provider", "--email", "bob@new.example", "--role", "Engineer", "--release", "2027-06-01"),
    ("system", "add", ENG, "CRM", "--tier", "1", "--description", "Customer records"),
    ("access", "grant", ENG, "--person", "Bob New", "--system", "CRM", "--role", "admin", "--expires", "cutover+30d", "--justification", "on-call"),
    ("access", "grant", ENG, "--person", "Ann Old", "--system", "CRM", "--role", "reader"),
    ("access", "grant", ENG, "--person", "Bob New", "--system", "CRM", "--role", "auditor", "--expires", "2027-01-31"),
    ("access", "revoke", ENG, "3", "--reason", "not needed"),
    ("kt", "schedule", ENG, "--system", "CRM", "--topic", "Nightly jobs", "--presenter", "Ann Old", "--attendee", "Bob New", "--at", "2026-11-10T14:00"),
    ("kt", "hold", ENG, "1"),
    ("kt", "signoff", ENG, "1", "--by", "Bob New", "--confidence", "4"),
    ("system", "owner", ENG, "CRM", "Ann Old", "--as", "owner"),
    ("kt", "schedule", ENG, "--system", "CRM", "--topic", "Month end", "--presenter", "Ann Old", "--attendee", "Bob New", "--at", "2026-12-03T09:00", "--kind", "shadow"),
    ("kt", "schedule", ENG, "--system", "CRM", "--topic", "Restores", "--presenter", "Ann Old", "--attendee", "Bob New", "--at", "2026-11-20T09:00", "--kind", "reverse-shadow"),
    ("kt", "hold", ENG, "3"),
    ("meeting", "held", ENG, "1", "--attendee", "Bob New", "--minutes", "Scope agreed"),
    ("meeting", "action", ENG, "1", "--title", "Send the plan", "--owner", "Bob New", "--due", "2026-12-10"),
    ("task", "assign", ENG, "kickoff-workshop", "Bob New"),
    ("role", "assign", ENG, "transition-manager", "Bob New"),
    ("task", "done", ENG, "kickoff-workshop", "--note", "held"),
    ("task", "add", ENG, "--phase", "discovery", "--key", "extra-check", "--title", "Extra check", "--due", "+3bd", "--depends-on", "kickoff-workshop", "--description", "Again"),
    ("task", "note", ENG, "extra-check", "asked the incumbent"),
    ("runbook", "new", ENG, "--system", "CRM", "--template", "incident-response", "--out", "{out}"),
    ("runbook", "status", ENG, "1", "reviewed", "--force", "--reason", "filled in on paper first"),
    ("runbook", "exercise", ENG, "1", "--on", "2026-11-20", "--by", "Bob New", "--outcome", "pass"),
    ("runbook", "set", ENG, "1", "--owner", "Ann Old", "--review", "2026-11-15"),
    ("handover", "done", ENG, "data-export-open-formats", "--note", "sample loaded"),
    ("phase", "advance", ENG, "--override", "steering agreed"),
    ("raid", "add", ENG, "--type", "risk", "--title", "Key person leaves", "--owner", "Ann Old", "--party", "incumbent", "--probability", "3", "--impact", "5", "--due", "2026-12-20"),
    ("raid", "link", ENG, "R-1", "--system", "CRM"),
    ("raid", "close", ENG, "DEC-1", "--resolution", "done"),
    ("person", "add", ENG, "Cara Client", "--side", "client"),
    ("exercise", "add", ENG, "--scenario", "regulatory-audit", "--on", "2026-11-25", "--participant", "Cara Client"),
    ("exercise", "finding", ENG, "1", "--title", "Audit log export is manual", "--owner", "Bob New"),
    ("golive", "decide", ENG, "--no-go", "--by", "Cara Client", "--by", "Bob New", "--condition", "P1 backlog under 5", "--rollback-trigger", "Two P1 breaches"),
    ("task", "set", ENG, "stakeholder-map", "--status", "in_progress"),  # for undo --dry-run
    ("score", "record", ENG, "p1-resolution", "--party", "provider", "--period", "2026-W48", "--value", "97.5", "--note", "ITSM report"),
]  # fmt: skip


@pytest.fixture
def engagement(cli, monkeypatch, tmp_path) -> str:
    """Acme Helpdesk with a row of everything the ``--json`` commands print (``STEPS``)."""
    monkeypatch.setenv("TRANSITION_TODAY", "2026-12-01")
    # A newer version of its playbook, for `engagement outdated` and `upgrade`.
    from transition import settings
    from transition.playbooks import playbook_files

    books = tmp_path / "books"
    books.mkdir()
    shipped = playbook_files()["managed-service-onboarding"].read_text(encoding="utf-8")
    (books / "managed-service-onboarding-v2.yaml").write_text(
        re.sub(
            r"(?m)^version: (\d+)", lambda m: f"version: {int(m[1]) + 1}", shipped, count=1
        ).replace(", monitoring-alerts]", "]", 1),
        encoding="utf-8",
    )
    monkeypatch.setenv("TRANSITION_PLAYBOOKS", str(books))
    settings.reset()
    holidays = tmp_path / "holidays.txt"
    holidays.write_text("2026-12-24  # office closed\n", encoding="utf-8")
    for step in STEPS:
        result = cli(
            *(
                a.replace("{out}", str(tmp_path / "runbooks")).replace("{holidays}", str(holidays))
                for a in step
            )
        )
        assert result.exit_code == 0, (step, result.stderr)
    return ENG


def test_json_keys_and_types_are_pinned(cli, engagement, tmp_path):
    runs = [(path, (*path.split(), *args), spec) for path, (args, spec) in PINS.items()]
    problems: list[str] = []
    for name, argv, spec in [*runs, *VARIANTS]:
        argv = [a.replace("{out}", str(tmp_path / "runbooks")) for a in argv]
        result = cli(*argv, "--json")
        assert result.exit_code == 0, (name, result.stderr)
        data = result.json()
        problems += [f"{name}: {p}" for p in mismatches(data, spec)]
        empty = empty_lists(data, spec) - EMPTY_OK.get(name, set())
        problems += [f"{name}: {p} is empty in every row" for p in sorted(empty)]
    assert not problems, "\n".join(problems)
