"""Lossless JSON export and import of engagements.

An export holds every row of every table that belongs to the chosen engagements
(engagement, phases, people, systems, tasks and their dependencies, access grants, KT
sessions and participants, runbooks, handover items and audit events)::

    {"format": "transition-export", "schema_version": 1, "db_schema": "0001",
     "exported_at": "…", "engagements": [{"engagement": {…}, "phases": […], …}]}

Rows keep their ids in the file so references can be followed; ``import_file`` gives
every row a new id and rewrites the references (derived handover keys and audit entity
ids included). Audit events keep their time, actor and content and are chained onto the
receiving database's log (the hash chain is the database's own); a final ``import``
event, outside any engagement, records what was imported. Importing an engagement whose
slug already exists is refused and nothing is written.

Reading and writing are a fixed number of statements per table, whatever the row count.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from sqlalchemy import insert, select
from sqlmodel import Session, SQLModel

from transition.dates import utcnow
from transition.db import SCHEMA_HEAD
from transition.errors import BadInput, Refused, ValidationFailed
from transition.models import (
    AccessGrant,
    AuditEvent,
    Engagement,
    HandoverItem,
    KTParticipant,
    KTSession,
    Person,
    Phase,
    Runbook,
    System,
    Task,
    TaskDependency,
)
from transition.services import audit

FORMAT = "transition-export"
SCHEMA_VERSION = 1
MAX_BYTES = 512 * 1024 * 1024

#: Section name in the file → table, in insertion order (referenced tables first).
SECTIONS: dict[str, type[SQLModel]] = {
    "phases": Phase,
    "people": Person,
    "systems": System,
    "tasks": Task,
    "task_dependencies": TaskDependency,
    "access_grants": AccessGrant,
    "kt_sessions": KTSession,
    "kt_participants": KTParticipant,
    "runbooks": Runbook,
    "handover_items": HandoverItem,
    "audit_events": AuditEvent,
}
#: Columns written for audit events: the chain (prev_hash, hash) is rebuilt on import.
AUDIT_SKIP = ("prev_hash", "hash")
#: Audit ``entity`` values → the section whose ids they name.
ENTITY_SECTION = {
    "engagement": "engagement",
    "phase": "phases",
    "person": "people",
    "system": "systems",
    "task": "tasks",
    "access_grant": "access_grants",
    "grant": "access_grants",
    "kt_session": "kt_sessions",
    "runbook": "runbooks",
    "handover_item": "handover_items",
}
#: Derived handover items: source kind → the section of their source.
SOURCE_SECTION = {"grant": "access_grants", "system": "systems", "runbook": "runbooks"}
#: Foreign keys per section: column → section it points into.
REFERENCES: dict[str, dict[str, str]] = {
    "phases": {},
    "people": {},
    "systems": {},
    "tasks": {"phase_id": "phases", "assignee_id": "people"},
    "task_dependencies": {"task_id": "tasks", "depends_on_id": "tasks"},
    "access_grants": {"person_id": "people", "system_id": "systems"},
    "kt_sessions": {"system_id": "systems", "signed_off_by_id": "people"},
    "kt_participants": {"session_id": "kt_sessions", "person_id": "people"},
    "runbooks": {"system_id": "systems"},
    "handover_items": {},
    "audit_events": {},
}


def _columns(model: type[SQLModel]) -> list[str]:
    skip = AUDIT_SKIP if model is AuditEvent else ()
    return [c.name for c in model.__table__.columns if c.name not in skip]


# --------------------------------------------------------------------------- export


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _rows(session: Session, model: type[SQLModel], where: Any, order: Any) -> list[dict]:
    cols = [model.__table__.c[name] for name in _columns(model)]
    stmt = select(*cols).order_by(*order)
    if where is not None:
        stmt = stmt.where(where)
    return [{k: _plain(v) for k, v in row._mapping.items()} for row in session.execute(stmt)]


def export_data(session: Session, engagement: Engagement | None = None) -> dict[str, Any]:
    """One engagement, or every engagement, as a JSON-ready document."""
    ids = [engagement.id] if engagement is not None else None

    def scoped(column):
        return column.in_(ids) if ids is not None else None

    engagements = _rows(session, Engagement, scoped(Engagement.id), [Engagement.slug])
    per: dict[int, dict[str, Any]] = {
        e["id"]: {"engagement": e, **{name: [] for name in SECTIONS}} for e in engagements
    }
    task_owner: dict[int, int] = {}
    session_owner: dict[int, int] = {}
    for name, model in SECTIONS.items():
        if model is TaskDependency:
            continue
        if model is KTParticipant:
            continue
        rows = _rows(session, model, scoped(model.engagement_id), [model.id])
        for row in rows:
            if row["engagement_id"] in per:
                per[row["engagement_id"]][name].append(row)
        if model is Task:
            task_owner = {r["id"]: r["engagement_id"] for r in rows}
        if model is KTSession:
            session_owner = {r["id"]: r["engagement_id"] for r in rows}
    dep_stmt = select(TaskDependency.task_id, TaskDependency.depends_on_id).order_by(
        TaskDependency.task_id, TaskDependency.depends_on_id
    )
    participant_stmt = select(
        KTParticipant.session_id, KTParticipant.person_id, KTParticipant.role
    ).order_by(KTParticipant.session_id, KTParticipant.person_id)
    if ids is not None:
        dep_stmt = dep_stmt.join(Task, Task.id == TaskDependency.task_id).where(
            Task.engagement_id.in_(ids)
        )
        participant_stmt = participant_stmt.join(
            KTSession, KTSession.id == KTParticipant.session_id
        ).where(KTSession.engagement_id.in_(ids))
    for row in session.execute(dep_stmt):
        owner = task_owner.get(row.task_id)
        if owner in per:
            per[owner]["task_dependencies"].append(dict(row._mapping))
    for row in session.execute(participant_stmt):
        owner = session_owner.get(row.session_id)
        if owner in per:
            per[owner]["kt_participants"].append(dict(row._mapping))
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "db_schema": SCHEMA_HEAD,
        "exported_at": utcnow().isoformat(),
        "engagements": [per[e["id"]] for e in engagements],
    }


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


# --------------------------------------------------------------------------- validation


def _row_model(model: type[SQLModel], section: str) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for column in model.__table__.columns:
        if column.name in (AUDIT_SKIP if model is AuditEvent else ()):
            continue
        kind = _python_type(column.type)
        annotation: Any = kind | None if column.nullable else kind
        fields[column.name] = (annotation, None if column.nullable else ...)
    return create_model(
        f"Export{model.__name__}",
        __config__=ConfigDict(extra="forbid", strict=False),
        **fields,
    )


def _python_type(sql_type: Any) -> type:
    from sqlalchemy import Boolean, Date, DateTime, Float, Integer, TypeDecorator

    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    for base, kind in ((DateTime, datetime), (Date, date), (Boolean, bool), (Integer, int)):
        if isinstance(sql_type, base):
            return kind
    return float if isinstance(sql_type, Float) else str


def _schemas() -> type[BaseModel]:
    section_fields = {name: (list[_row_model(m, name)], ...) for name, m in SECTIONS.items()}
    bundle = create_model(
        "ExportEngagementBundle",
        __config__=ConfigDict(extra="forbid"),
        engagement=(_row_model(Engagement, "engagement"), ...),
        **section_fields,
    )
    return create_model(
        "ExportFile",
        __config__=ConfigDict(extra="forbid"),
        format=(str, ...),
        schema_version=(int, ...),
        db_schema=(str, ...),
        exported_at=(datetime, ...),
        engagements=(list[bundle], ...),
    )


def _location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "file"


def read_export(path: Path | str) -> dict[str, Any]:
    """Read and validate an export file; every problem is ``FILE: where: what``."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise BadInput(f"{path}: too large for an export file (over {MAX_BYTES} bytes)")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BadInput(f"{path}: is a directory") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read ({exc.strerror})") from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not a transition export (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{path}:{exc.lineno}:{exc.colno}: not a transition export (invalid JSON: {exc.msg})"
        ) from None
    except RecursionError:
        raise BadInput(f"{path}: not a transition export (JSON nested too deeply)") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BadInput(f"{path}: not a transition export (format is not {FORMAT!r})")
    version = document.get("schema_version")
    if version != SCHEMA_VERSION:
        raise BadInput(
            f"{path}: unsupported export schema_version {version!r} "
            f"(this program reads version {SCHEMA_VERSION})"
        )
    if document.get("db_schema") != SCHEMA_HEAD:
        raise BadInput(
            f"{path}: export made with database schema {document.get('db_schema')!r}; "
            f"this program has {SCHEMA_HEAD}"
        )
    try:
        parsed = _schemas().model_validate(document)
    except ValidationError as exc:
        errors = [f"{path}: {_location(err['loc'])}: {err['msg']}" for err in exc.errors()[:20]]
        more = exc.error_count() - len(errors)
        if more > 0:
            errors.append(f"{path}: … and {more} more problem(s)")
        raise ValidationFailed(errors) from None
    data = parsed.model_dump()
    _check_references(path, data)
    _check_values(path, data)
    return data


def _check_references(path: Path, data: dict[str, Any]) -> None:
    problems: list[str] = []
    seen: dict[str, set[int]] = {name: set() for name in SECTIONS}
    seen["engagement"] = set()
    slugs: set[str] = set()
    for n, bundle in enumerate(data["engagements"]):
        where = f"engagements[{n}]"
        eng = bundle["engagement"]
        if eng["slug"] in slugs:
            problems.append(f"{path}: {where}: engagement {eng['slug']!r} appears twice")
        slugs.add(eng["slug"])
        if eng["id"] in seen["engagement"]:
            problems.append(f"{path}: {where}.engagement.id: duplicate id {eng['id']}")
        seen["engagement"].add(eng["id"])
        local: dict[str, set[int]] = {}
        for name in SECTIONS:
            local[name] = set()
            for i, row in enumerate(bundle[name]):
                if "engagement_id" in row and row["engagement_id"] != eng["id"]:
                    problems.append(
                        f"{path}: {where}.{name}[{i}].engagement_id: {row['engagement_id']} "
                        f"is not this engagement ({eng['id']})"
                    )
                if "id" in row and row["id"] is not None:
                    if row["id"] in seen[name]:
                        problems.append(f"{path}: {where}.{name}[{i}].id: duplicate id {row['id']}")
                    seen[name].add(row["id"])
                    local[name].add(row["id"])
        for name, refs in REFERENCES.items():
            for i, row in enumerate(bundle[name]):
                for column, target in refs.items():
                    value = row.get(column)
                    if value is not None and value not in local[target]:
                        problems.append(
                            f"{path}: {where}.{name}[{i}].{column}: {value} is not in {target}"
                        )
        for i, row in enumerate(bundle["handover_items"]):
            kind = row.get("source_kind")
            if kind is not None and kind not in SOURCE_SECTION:
                problems.append(
                    f"{path}: {where}.handover_items[{i}].source_kind: unknown kind {kind!r}"
                )
    if problems:
        more = len(problems) - 20
        raise ValidationFailed(
            problems[:20] + ([f"{path}: … and {more} more problem(s)"] if more > 0 else [])
        )


#: Allowed values per section and column: a file edited by hand cannot smuggle in states
#: that no command could have produced.
CHOICES: dict[str, dict[str, tuple[Any, ...]]] = {
    "phases": {
        "status": ("pending", "active", "done"),
        "gate_decision": (None, "passed", "overridden"),
    },
    "people": {"side": ("client", "incumbent", "provider")},
    "systems": {"tier": (1, 2, 3)},
    "tasks": {"status": ("todo", "in_progress", "blocked", "done", "skipped")},
    "kt_sessions": {
        "kind": ("walkthrough", "shadow", "reverse-shadow", "qa"),
        "status": ("planned", "held", "signed_off"),
        "confidence": (None, 1, 2, 3, 4, 5),
    },
    "runbooks": {"status": ("planned", "drafted", "reviewed", "validated", "accepted")},
    "handover_items": {"status": ("open", "done", "resolved", "retired")},
}
#: Free text a user typed: checked for credentials as on the way in through a command.
FREE_TEXT: dict[str, tuple[str, ...]] = {
    "phases": ("gate_reason",),
    "tasks": ("note",),
    "access_grants": ("justification", "revoke_reason"),
    "kt_sessions": ("topic", "follow_ups"),
}


def _check_values(path: Path, data: dict[str, Any]) -> None:
    """Names, slugs, states, versions, embedded JSON, credentials and task dependencies
    are held to the same rules as the commands that create them."""
    from transition.guard import looks_like_secret
    from transition.playbooks import Criterion, from_json
    from transition.text import clean_name, slug_matches

    problems: list[str] = []
    for n, bundle in enumerate(data["engagements"]):
        where = f"{path}: engagements[{n}]"
        named = [("engagement", [bundle["engagement"]]), ("people", bundle["people"])]
        named.append(("systems", bundle["systems"]))
        for section, rows in named:
            for i, row in enumerate(rows):
                at = f"{where}.{section}" + ("" if section == "engagement" else f"[{i}]")
                try:
                    clean_name(str(row.get("name", "")), "name")
                except BadInput as exc:
                    problems.append(f"{at}.name: {exc.message}")
                slug = row.get("slug")
                if slug is not None and not slug_matches(str(row.get("name", "")), str(slug)):
                    problems.append(f"{at}.slug: {slug!r} is not the slug of its name")
        for section in SECTIONS:
            for i, row in enumerate(bundle[section]):
                at = f"{where}.{section}[{i}]"
                version = row.get("version")
                if version is not None and (not isinstance(version, int) or version < 1):
                    problems.append(f"{at}.version: must be a whole number from 1")
                for column, allowed in CHOICES.get(section, {}).items():
                    if column in row and row[column] not in allowed:
                        problems.append(f"{at}.{column}: invalid value {row[column]!r}")
                for column in FREE_TEXT.get(section, ()):
                    kind = looks_like_secret(str(row.get(column) or ""))
                    if kind:
                        problems.append(
                            f"{at}.{column}: looks like it contains {kind}; "
                            "transition never stores credentials"
                        )
        eng = bundle["engagement"]
        try:
            from_json(eng["playbook_json"])
        except (ValueError, TypeError):
            problems.append(f"{where}.engagement.playbook_json: not a valid stored playbook")
        for i, phase in enumerate(bundle["phases"]):
            try:
                gate = json.loads(phase["gate_json"])
                if not isinstance(gate, list):
                    raise ValueError
                for item in gate:
                    Criterion.model_validate(item)
            except (ValueError, TypeError):
                problems.append(f"{where}.phases[{i}].gate_json: not a valid list of criteria")
        for i, row in enumerate(bundle["handover_items"]):
            section = SOURCE_SECTION.get(row.get("source_kind"))
            if section and row.get("source_id") not in {r["id"] for r in bundle[section]}:
                problems.append(
                    f"{where}.handover_items[{i}].source_id: {row.get('source_id')} "
                    f"is not in {section}"
                )
        deps: dict[Any, list[Any]] = {}
        for row in bundle["task_dependencies"]:
            deps.setdefault(row["task_id"], []).append(row["depends_on_id"])
        if _has_cycle(deps):
            problems.append(f"{where}.task_dependencies: dependency cycle")
    if problems:
        more = len(problems) - 20
        raise ValidationFailed(
            problems[:20] + ([f"{path}: … and {more} more problem(s)"] if more > 0 else [])
        )


def _has_cycle(deps: dict[Any, list[Any]]) -> bool:
    """Iterative depth-first search for a cycle in task → depends-on edges."""
    state: dict[Any, int] = {}
    for root in deps:
        if state.get(root):
            continue
        stack = [(root, iter(deps.get(root, ())))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                return True
            elif not state.get(child):
                state[child] = 1
                stack.append((child, iter(deps.get(child, ()))))
    return False


# --------------------------------------------------------------------------- import


def _insert_returning_ids(
    session: Session, model: type[SQLModel], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` in one executemany and return their new ids in row order."""
    if not rows:
        return []
    # Core inserts on the table: the ORM would reset the version column of every row.
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        return list(
            session.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
            ).scalars()
        )
    # SQLite hands out max(id)+1 per row, in order, and this writer holds the lock.
    session.execute(insert(table), rows)
    newest = session.execute(select(model.id).order_by(model.id.desc()).limit(len(rows)))
    return sorted(newest.scalars())


_DERIVED_KEY = re.compile(r"^(grant|system|runbook):\d+:(.+)$")


def import_data(session: Session, data: dict[str, Any], *, source: str = "") -> list[str]:
    """Restore validated export data; returns the imported slugs. Refuses (writing
    nothing) when an engagement with the same slug, or a KT session uid, already exists."""
    bundles = data["engagements"]
    if not bundles:
        raise BadInput(f"{source or 'the export'} holds no engagement")
    slugs = [b["engagement"]["slug"] for b in bundles]
    existing = session.execute(select(Engagement.slug).where(Engagement.slug.in_(slugs))).scalars()
    clash = sorted(existing)
    if clash:
        raise Refused(
            f"engagement(s) already exist: {', '.join(clash)}; nothing was imported",
            details=["import into another database, or remove the existing engagement first"],
        )
    uids = [s["uid"] for b in bundles for s in b["kt_sessions"]]
    taken: list[str] = []
    for start in range(0, len(uids), 500):
        taken += session.execute(
            select(KTSession.uid).where(KTSession.uid.in_(uids[start : start + 500]))
        ).scalars()
    if taken:
        raise Refused(
            f"KT session uid(s) already in this database: {', '.join(sorted(taken)[:5])}; "
            "nothing was imported"
        )

    mapping: dict[str, dict[int, int]] = {name: {} for name in SECTIONS}
    engagement_rows = [_without_id(b["engagement"]) for b in bundles]
    new_ids = _insert_returning_ids(session, Engagement, engagement_rows)
    mapping["engagement"] = {
        b["engagement"]["id"]: n for b, n in zip(bundles, new_ids, strict=True)
    }

    for name, model in SECTIONS.items():
        if model is AuditEvent:
            continue
        rows: list[dict[str, Any]] = []
        old_ids: list[int] = []
        for bundle in bundles:
            for row in bundle[name]:
                new = _aware(row)
                if "engagement_id" in new:
                    new["engagement_id"] = mapping["engagement"][row["engagement_id"]]
                for column, target in REFERENCES[name].items():
                    if new.get(column) is not None:
                        new[column] = mapping[target][new[column]]
                if model is HandoverItem and new.get("source_kind"):
                    target = SOURCE_SECTION[new["source_kind"]]
                    old_source = new["source_id"]
                    if old_source in mapping[target]:
                        new["source_id"] = mapping[target][old_source]
                        match = _DERIVED_KEY.match(new["key"])
                        if match:
                            new["key"] = f"{match.group(1)}:{new['source_id']}:{match.group(2)}"
                if "id" in row:
                    old_ids.append(row["id"])
                    new.pop("id")
                rows.append(new)
        if not rows:
            continue
        if "id" in model.__table__.c:
            ids = _insert_returning_ids(session, model, rows)
            mapping[name] = dict(zip(old_ids, ids, strict=True))
        else:
            session.execute(insert(model.__table__), rows)

    events: list[dict[str, Any]] = []
    for bundle in bundles:
        for row in bundle["audit_events"]:
            new = _aware(row)
            new.pop("id", None)
            new["engagement_id"] = mapping["engagement"][row["engagement_id"]]
            section = ENTITY_SECTION.get(row["entity"])
            if section and row["entity_id"] is not None:
                new["entity_id"] = mapping[section].get(row["entity_id"], row["entity_id"])
            events.append(new)
    audit.append_events(session, events)
    total = sum(len(b[name]) for b in bundles for name in SECTIONS) + len(bundles)
    audit.record(
        session,
        None,
        "database",
        None,
        "import",
        "engagements",
        None,
        f"{', '.join(slugs)} ({total} rows{' from ' + source if source else ''})",
    )
    return slugs


def _without_id(row: dict[str, Any]) -> dict[str, Any]:
    out = _aware(row)
    out.pop("id", None)
    return out


def _aware(row: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``row`` with naive timestamps read as UTC."""
    return {
        k: v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v
        for k, v in row.items()
    }
