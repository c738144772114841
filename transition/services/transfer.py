"""Lossless JSON export and import of engagements.

An export holds every row of every table that belongs to the chosen engagements
(engagement, phases, people, systems, tasks and their dependencies, access grants, KT
sessions and participants, runbooks, handover items and audit events)::

    {"format": "transition-export", "schema_version": 1, "db_schema": "0001",
     "exported_at": "…", "engagements": [{"engagement": {…}, "phases": […], …}]}

Rows keep their ids in the file so references can be followed; ``import_file`` gives
every row a new id and rewrites the references (derived handover keys and audit entity
ids included). Runbook paths are written relative to their generation folder and placed
under a folder the importer names. The file is input: every row is validated by a row
model of its table (the commands' states, kinds, ranges and text rules), the rows must
agree with each other and with the state the file's own audit log replays to, and each
problem is reported with its location; nothing is written unless all of it holds. Audit
events keep their time, actor and content and become a separate segment of the receiving
log (see ``audit``); each engagement's log gets an ``import`` event naming the file's hash
and counts. Importing an engagement whose slug already exists is refused.

Reading and writing are a fixed number of statements per table, whatever the row count.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from sqlalchemy import insert, select
from sqlmodel import Session, SQLModel

from transition.dates import MAX_YEAR, MIN_YEAR, utcnow
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


def export_data(
    session: Session, engagement: Engagement | None = None, *, with_audit: bool = True
) -> dict[str, Any]:
    """One engagement, or every engagement, as a JSON-ready document (without the audit
    events when ``with_audit`` is false: the state the log is checked against)."""
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
        if model is KTParticipant or (model is AuditEvent and not with_audit):
            continue
        rows = _rows(session, model, scoped(model.engagement_id), [model.id])
        if model is Runbook:
            for row in rows:
                row["path"] = _portable(row["path"])
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


def _portable(path: str) -> str:
    """A runbook's path as the file carries it: relative to the folder runbooks are
    generated into (``SYSTEM/TEMPLATE.md``), so an import places it under a folder the
    user names and never anywhere else."""
    from pathlib import PurePath

    parts = [p for p in PurePath(path).parts[-2:] if p not in ("/", "\\", "..", ".")]
    return "/".join(parts) or "runbook.md"


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


# --------------------------------------------------------------------------- validation
#
# Every row of the file goes through a row model of its table: the states, kinds and
# ranges the commands allow, the lengths the columns hold, and the text rules of
# ``transition.text`` (the same functions the commands call). Rows must also agree with
# each other (references, KT sign-off by an attendee, derived handover keys, runbook
# paths) and with the file's own audit log (``audit.replay_problems``): a value no command
# could have produced is refused with its location, before anything is written.

#: Ids and counters: positive and within a 64-bit signed integer.
MAX_ID = 2**63 - 1
#: Small whole numbers (positions, versions, counts) fit a 32-bit column everywhere.
MAX_SMALL = 2**31 - 1
#: The calendar a transition can be planned in: the years every command accepts.
FIRST_DAY, LAST_DAY = date(MIN_YEAR, 1, 1), date(MAX_YEAR, 12, 31)

#: Columns whose value is a user-given display name (``clean_name`` and its slug).
NAMES = {("engagement", "name"), ("people", "name"), ("systems", "name")}
#: Columns of free text that may span lines (newline and tab allowed, nothing else).
MULTILINE = {
    "description",
    "note",
    "justification",
    "revoke_reason",
    "follow_ups",
    "gate_reason",
    "before",
    "after",
    "playbook_json",
    "gate_json",
}
#: Allowed values per section and column: a file edited by hand cannot smuggle in states
#: that no command could have produced.
CHOICES: dict[str, dict[str, tuple[Any, ...]]] = {
    "engagement": {
        "status": ("active", "completed", "archived"),
        "model": ("managed-service", "staff-augmentation", "project", "dedicated-team"),
        "location": ("onshore", "nearshore", "offshore"),
    },
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
    "kt_participants": {"role": ("presenter", "attendee")},
    "runbooks": {"status": ("planned", "drafted", "reviewed", "validated", "accepted")},
    "handover_items": {
        "status": ("open", "done", "resolved", "retired"),
        "source": ("template", "derived", "manual", "imported"),
        "source_kind": (None, "grant", "runbook", "system"),
    },
}
#: Whole numbers with their own range (others: ids, or 0..MAX_SMALL).
RANGES: dict[tuple[str, str], tuple[int, int]] = {
    ("kt_sessions", "minutes"): (5, 24 * 60),
    ("engagement", "playbook_version"): (1, MAX_SMALL),
}
#: Free text a user typed: checked for credentials as on the way in through a command.
FREE_TEXT: dict[str, tuple[str, ...]] = {
    "phases": ("gate_reason",),
    "tasks": ("note",),
    "access_grants": ("justification", "revoke_reason"),
    "kt_sessions": ("topic", "follow_ups"),
}
_DERIVED_LOOKING = re.compile(r"^(grant|system|runbook):")


def _check_text(section: str, column: str, value: str) -> str:
    """Raise ValueError (pydantic reports it with its location) for text no command
    accepts: lone surrogates, control characters, names that are not clean."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains a lone surrogate (not valid Unicode text)") from None
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    try:
        if (section, column) in NAMES:
            from transition.text import clean_name

            if clean_name(value, column) != value:
                raise ValueError("has leading or trailing spaces")
        elif column not in ("playbook_json", "gate_json", "skeleton"):
            from transition.text import clean_line, clean_text

            if column in MULTILINE:
                clean_text(value, column)
            else:
                clean_line(value, column, None)
    except BadInput as exc:
        raise ValueError(exc.message) from None
    return value


def _column_type(section: str, column: Any) -> Any:
    """The annotation for one column of the file: type, range, length, text rules."""
    from typing import Annotated, Literal

    from pydantic import AfterValidator, BeforeValidator, Field, StrictInt, StrictStr

    name = column.name
    choices = CHOICES.get(section, {}).get(name)
    if choices is not None:
        values = tuple(c for c in choices if c is not None)
        kind: Any = Literal[values]  # type: ignore[valid-type]
        return kind | None if (column.nullable or None in choices) else kind
    python = _python_type(column.type)
    if python is int:
        if name == "id" or name.endswith("_id"):
            low, high = 1, MAX_ID
        else:
            low, high = RANGES.get((section, name), (1 if name == "version" else 0, MAX_SMALL))
        kind = Annotated[StrictInt, Field(ge=low, le=high)]
    elif python is str:
        length = getattr(column.type, "length", None)
        kind = Annotated[
            StrictStr,
            Field(max_length=length) if length else Field(),
            AfterValidator(lambda v, s=section, c=name: _check_text(s, c, v)),
        ]
    elif python in (datetime, date):
        kind = Annotated[python, BeforeValidator(_iso_text), AfterValidator(_in_calendar)]
    elif python is bool:
        from pydantic import StrictBool

        kind = StrictBool
    else:
        kind = python
    return kind | None if column.nullable else kind


def _iso_text(value: Any) -> Any:
    """Dates and times are ISO 8601 text in the file (never a number of seconds)."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date or time written as text")
    return value


def _in_calendar(value: date) -> date:
    day = value.astimezone(UTC).date() if isinstance(value, datetime) and value.tzinfo else value
    day = day.date() if isinstance(day, datetime) else day
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"outside {FIRST_DAY.year}–{LAST_DAY.year}")
    return value


def _row_model(model: type[SQLModel], section: str) -> type[BaseModel]:
    from pydantic import model_validator

    fields: dict[str, Any] = {}
    for column in model.__table__.columns:
        if column.name in (AUDIT_SKIP if model is AuditEvent else ()):
            continue
        annotation = _column_type(section, column)
        fields[column.name] = (annotation, None if column.nullable else ...)
    rule = ROW_RULES.get(section)
    validators = {}
    if rule is not None:

        def _rule(self, rule=rule):
            problem = rule(self)
            if problem:
                raise ValueError(problem)
            return self

        validators["consistent"] = model_validator(mode="after")(_rule)
    return create_model(
        f"Export{model.__name__}",
        __config__=ConfigDict(extra="forbid", strict=False),
        __validators__=validators,
        **fields,
    )


def _phase_rule(row: Any) -> str | None:
    decided = (row.gate_decision, row.gate_decided_by, row.gate_decided_at, row.actual_end)
    if row.planned_end < row.planned_start:
        return "planned_end is before planned_start"
    if row.status == "done":
        if any(v is None for v in decided) or row.actual_start is None:
            return "a done phase needs its start, end and gate decision (who, when)"
        if (row.gate_decision == "overridden") != bool(row.gate_reason):
            return "a gate is overridden exactly when a reason is given"
    elif any(v is not None for v in (*decided, row.gate_reason)):
        return f"a {row.status} phase has no gate decision or end"
    if row.status == "active" and row.actual_start is None:
        return "an active phase has started (actual_start)"
    if row.status == "pending" and row.actual_start is not None:
        return "a pending phase has not started"
    return None


def _task_rule(row: Any) -> str | None:
    closed = row.status in ("done", "skipped")
    if closed != (row.completed_at is not None) or closed != (row.completed_by is not None):
        return "completed_at and completed_by are set exactly when the task is done or skipped"
    return None


def _grant_rule(row: Any) -> str | None:
    if (row.revoked_at is None) != (row.revoked_by is None):
        return "revoked_at and revoked_by go together"
    if row.revoke_reason is not None and row.revoked_at is None:
        return "a revoke reason without a revocation"
    if row.expires_rule is not None and row.expires_on is None:
        return "an expiry rule without its date"
    if not row.role.strip() or not row.approver.strip():
        return "a grant names its role and approver"
    return None


def _kt_rule(row: Any) -> str | None:
    signed = (row.signed_off_by_id, row.signed_off_at)
    if row.status == "planned" and (row.held_at is not None or any(v is not None for v in signed)):
        return "a planned session is neither held nor signed off"
    if row.status != "planned" and row.held_at is None:
        return f"a {row.status.replace('_', ' ')} session has held_at"
    if row.status == "held" and any(v is not None for v in (*signed, row.confidence)):
        return "a held session is not signed off yet"
    if row.status == "signed_off" and any(v is None for v in signed):
        return "a signed-off session names who signed it off and when"
    return None


def _handover_rule(row: Any) -> str | None:
    derived = row.source == "derived"
    if derived != (row.source_kind is not None) or derived != (row.source_id is not None):
        return "derived items, and only they, name their source (source_kind, source_id)"
    if not derived and _DERIVED_LOOKING.match(row.key):
        return f"key {row.key!r} is reserved for items derived from grants, systems, runbooks"
    if not derived and row.status not in ("open", "done"):
        return f"a {row.source} item is open or done, not {row.status}"
    if derived and row.status == "done":
        return "a derived item is open, resolved or retired (never ticked by hand)"
    return None


def _runbook_rule(row: Any) -> str | None:
    return _runbook_path_problem(row.path)


def _runbook_path_problem(path: str) -> str | None:
    from pathlib import PurePosixPath

    if not path or path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        return f"path {path!r} must be relative (to the folder given with --runbooks)"
    parts = PurePosixPath(path.replace("\\", "/")).parts
    if any(part in ("..", ".") for part in parts) or not parts:
        return f"path {path!r} must stay inside the runbooks folder (no '..')"
    if not path.endswith(".md"):
        return f"path {path!r} is not a runbook (.md) file"
    return None


ROW_RULES = {
    "phases": _phase_rule,
    "tasks": _task_rule,
    "access_grants": _grant_rule,
    "kt_sessions": _kt_rule,
    "handover_items": _handover_rule,
    "runbooks": _runbook_rule,
}


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
        if isinstance(part, str) and part.startswith(("literal[", "function-after[")):
            continue  # pydantic's name for the check, not a place in the file
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "file"


def _read_regular(path: Path) -> bytes:
    """The file's bytes; anything but a regular file (a FIFO, a device) is refused
    without blocking on it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BadInput(f"{path}: is a directory") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise BadInput(f"{path}: is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise BadInput(f"{path}: not a regular file")
        if info.st_size > MAX_BYTES:
            raise BadInput(f"{path}: too large for an export file (over {MAX_BYTES} bytes)")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise BadInput(f"{path}: cannot read ({exc.strerror})") from None
    finally:
        os.close(fd)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number a command could store")


def read_export(path: Path | str) -> dict[str, Any]:
    """Read and validate an export file; every problem is ``FILE: where: what``. The
    result carries the file's SHA-256 as ``sha256``."""
    path = Path(path)
    raw = _read_regular(path)
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not a transition export (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{path}:{exc.lineno}:{exc.colno}: not a transition export (invalid JSON: {exc.msg})"
        ) from None
    except ValueError as exc:
        raise BadInput(f"{path}: not a transition export ({exc})") from None
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
        errors = [f"{path}: {_location(err['loc'])}: {_message(err)}" for err in exc.errors()[:20]]
        more = exc.error_count() - len(errors)
        if more > 0:
            errors.append(f"{path}: … and {more} more problem(s)")
        raise ValidationFailed(errors) from None
    data = parsed.model_dump()
    _check_references(path, data)
    _check_values(path, data)
    _check_log(path, data)
    data["sha256"] = hashlib.sha256(raw).hexdigest()
    return data


def _message(err: dict[str, Any]) -> str:
    message = str(err["msg"]).removeprefix("Value error, ")
    if err.get("type") in ("literal_error",) and "input" in err:
        return f"invalid value {err['input']!r}: {message}"
    return message


def _check_log(path: Path, data: dict[str, Any]) -> None:
    """The rows must be the state the file's own audit log replays to."""
    problems: list[str] = []
    for n, bundle in enumerate(data["engagements"]):
        for problem in audit.replay_problems(bundle, bundle["audit_events"]):
            problems.append(f"{path}: engagements[{n}]: does not match its audit log: {problem}")
    _raise(path, problems)


def _raise(path: Path, problems: list[str]) -> None:
    if problems:
        more = len(problems) - 20
        raise ValidationFailed(
            problems[:20] + ([f"{path}: … and {more} more problem(s)"] if more > 0 else [])
        )


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
    _raise(path, problems)


def _check_values(path: Path, data: dict[str, Any]) -> None:
    """Names, slugs, versions, embedded JSON, credentials, unique keys, KT sign-off,
    derived items and task dependencies are held to the same rules as the commands."""
    from transition.guard import looks_like_secret
    from transition.playbooks import Criterion, from_json
    from transition.text import slug_matches

    problems: list[str] = []
    for n, bundle in enumerate(data["engagements"]):
        where = f"{path}: engagements[{n}]"
        named = [("engagement", [bundle["engagement"]]), ("people", bundle["people"])]
        named.append(("systems", bundle["systems"]))
        for section, rows in named:
            slugs: set[str] = set()
            for i, row in enumerate(rows):
                at = f"{where}.{section}" + ("" if section == "engagement" else f"[{i}]")
                slug = row.get("slug")
                if slug is not None and not slug_matches(str(row.get("name", "")), str(slug)):
                    problems.append(f"{at}.slug: {slug!r} is not the slug of its name")
                if slug in slugs:
                    problems.append(f"{at}.slug: {slug!r} appears twice")
                slugs.add(slug)
        for section in SECTIONS:
            for i, row in enumerate(bundle[section]):
                at = f"{where}.{section}[{i}]"
                for column in FREE_TEXT.get(section, ()):
                    kind = looks_like_secret(str(row.get(column) or ""))
                    if kind:
                        problems.append(
                            f"{at}.{column}: looks like it contains {kind}; "
                            "transition never stores credentials"
                        )
        for section, column in (("phases", "key"), ("tasks", "key"), ("handover_items", "key")):
            keys: set[str] = set()
            for i, row in enumerate(bundle[section]):
                if row[column] in keys:
                    problems.append(f"{where}.{section}[{i}].{column}: {row[column]!r} twice")
                keys.add(row[column])
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
        from transition.services.access import role_key

        for i, row in enumerate(bundle["access_grants"]):
            if "role_key" in row and row["role_key"] != role_key(str(row.get("role", ""))):
                problems.append(
                    f"{where}.access_grants[{i}].role_key: {row['role_key']!r} is not the "
                    "folded form of its role"
                )
        roles: dict[tuple[int, int], str] = {}
        for row in bundle["kt_participants"]:
            roles[(row["session_id"], row["person_id"])] = row["role"]
        presented = {sid for (sid, _), role in roles.items() if role == "presenter"}
        for i, row in enumerate(bundle["kt_sessions"]):
            if row["id"] not in presented:
                problems.append(f"{where}.kt_sessions[{i}]: has no presenter")
            signer = row["signed_off_by_id"]
            if signer is not None and roles.get((row["id"], signer)) != "attendee":
                problems.append(
                    f"{where}.kt_sessions[{i}].signed_off_by_id: only an attendee signs off "
                    "a session (not its presenter, not someone absent)"
                )
        sources: set[tuple[str, int]] = set()
        known = {name: {r["id"] for r in bundle[name]} for name in set(SOURCE_SECTION.values())}
        for i, row in enumerate(bundle["handover_items"]):
            section = SOURCE_SECTION.get(row.get("source_kind"))
            if not section:
                continue
            if row.get("source_id") not in known[section]:
                problems.append(
                    f"{where}.handover_items[{i}].source_id: {row.get('source_id')} "
                    f"is not in {section}"
                )
            if (row["source_kind"], row["source_id"]) in sources:
                problems.append(f"{where}.handover_items[{i}]: a second item for the same source")
            sources.add((row["source_kind"], row["source_id"]))
        deps: dict[Any, list[Any]] = {}
        for row in bundle["task_dependencies"]:
            deps.setdefault(row["task_id"], []).append(row["depends_on_id"])
        if _has_cycle(deps):
            problems.append(f"{where}.task_dependencies: dependency cycle")
    _raise(path, problems)


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


def _runbook_target(base: Path, relative: str, where: str) -> str:
    """Where an imported runbook's file lives: ``relative`` under ``base``, never
    outside it, never through a link, never a special file."""
    target = base / relative
    try:
        resolved = target.resolve()
    except (OSError, RuntimeError) as exc:
        raise BadInput(f"{where}.path: cannot use {target}: {exc}") from None
    if not resolved.is_relative_to(base):
        raise BadInput(f"{where}.path: {relative!r} leaves the runbooks folder {base}")
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return str(target)
    except OSError as exc:
        raise BadInput(f"{where}.path: cannot use {target}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise BadInput(f"{where}.path: {target} exists and is not a regular file")
    return str(target)


def import_data(
    session: Session,
    data: dict[str, Any],
    *,
    source: str = "",
    runbooks: Path | str | None = None,
) -> list[str]:
    """Restore validated export data; returns the imported slugs. Refuses (writing
    nothing) when an engagement with the same slug, or a KT session uid, already exists.

    Runbook paths in the file are relative; their files are looked for under
    ``runbooks`` (default: the current folder). Derived handover items get the keys
    reconciliation gives them, and must be exactly what reconciliation derives. The
    file's audit events become a separate segment of the log (see ``audit``), and each
    engagement's own log gets an ``import`` event naming the file's hash and counts."""
    from transition.services import handover

    bundles = data["engagements"]
    if not bundles:
        raise BadInput(f"{source or 'the export'} holds no engagement")
    slugs = [b["engagement"]["slug"] for b in bundles]
    existing = session.execute(select(Engagement.slug).where(Engagement.slug.in_(slugs))).scalars()
    clash = sorted(existing)
    if clash:
        raise Refused(
            f"engagement(s) already exist: {', '.join(clash)}; nothing was imported",
            details=[
                "import into another database (--db), or give the engagement another "
                "name and slug in the file"
            ],
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
    base = Path(runbooks if runbooks is not None else ".").expanduser()
    if base.exists() and not base.is_dir():
        raise BadInput(f"runbooks folder {base} is not a folder")
    base = base.resolve()

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
        for n, bundle in enumerate(bundles):
            for i, row in enumerate(bundle[name]):
                new = _aware(row)
                if "engagement_id" in new:
                    new["engagement_id"] = mapping["engagement"][row["engagement_id"]]
                for column, target in REFERENCES[name].items():
                    if new.get(column) is not None:
                        new[column] = mapping[target][new[column]]
                if model is Runbook:
                    new["path"] = _runbook_target(
                        base, row["path"], f"{source}: engagements[{n}].runbooks[{i}]"
                    )
                if model is HandoverItem and new.get("source_kind"):
                    kind = new["source_kind"]
                    new["source_id"] = mapping[SOURCE_SECTION[kind]][new["source_id"]]
                    new["key"] = handover.derived_key(kind, new["source_id"])
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

    for n, bundle in enumerate(bundles):
        eid = mapping["engagement"][bundle["engagement"]["id"]]
        engagement = session.get(Engagement, eid)
        counts = handover.reconcile(session, engagement)
        if any(counts.values()):
            changed = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
            raise BadInput(
                f"{source}: engagements[{n}].handover_items: the derived items are not what "
                f"the grants, systems and runbooks derive ({changed}); nothing was imported"
            )
        events: list[dict[str, Any]] = []
        for row in bundle["audit_events"]:
            new = _aware(row)
            new.pop("id", None)
            new["engagement_id"] = eid
            section = ENTITY_SECTION.get(row["entity"])
            if section and row["entity_id"] is not None:
                new["entity_id"] = mapping[section].get(row["entity_id"], row["entity_id"])
            if row["field"] == "signed_off_by_id":
                for side in ("before", "after"):
                    if row[side] is not None and row[side].isdigit():
                        new[side] = str(mapping["people"].get(int(row[side]), row[side]))
            events.append(new)
        info = audit.append_segment(session, events, file_hash=data["sha256"])
        rows_total = sum(len(bundle[name]) for name in SECTIONS if name != "audit_events") + 1
        info["rows"] = rows_total
        audit.record(
            session,
            eid,
            "engagement",
            eid,
            audit.IMPORT_ACTION,
            None,
            None,
            json.dumps(info, sort_keys=True),
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
