"""Row models of an export file.

Every row of the file goes through a row model of its table: the states, kinds and
ranges the commands allow, the lengths the columns hold, and the text rules of
``transition.text`` (the same functions the commands call). Rows must also agree with
each other (references, KT sign-off by an attendee, derived handover keys, runbook
paths) and with the file's own audit log (``audit.replay_problems``): a value no command
could have produced is refused with its location, before anything is written.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model
from sqlmodel import SQLModel

from transition.dates import MAX_YEAR, MIN_YEAR
from transition.errors import BadInput
from transition.models import AuditEvent, Engagement
from transition.services.transfer_tables import AUDIT_SKIP, LATER_SECTIONS, SECTIONS

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
    "cancel_reason",
    "follow_ups",
    "gate_reason",
    "before",
    "after",
    "playbook_json",
    "gate_json",
    "text",
    "mitigation",
    "resolution",
    "agenda",
    "notes",
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
        "status": ("planned", "held", "signed_off", "cancelled"),
        "confidence": (None, 1, 2, 3, 4, 5),
    },
    "kt_participants": {"role": ("presenter", "attendee")},
    "meetings": {"status": ("planned", "held", "cancelled", "dropped")},
    "system_people": {"role": ("owner", "sme", "backup")},
    "system_topics": {"source": ("runbook", "team")},
    "runbooks": {"status": ("planned", "drafted", "reviewed", "validated", "accepted")},
    "handover_items": {
        "status": ("open", "done", "resolved", "retired"),
        "source": ("template", "derived", "manual", "imported", "carried"),
        "source_kind": (None, "grant", "runbook", "system"),
    },
    "raid_items": {
        "kind": ("risk", "assumption", "issue", "dependency", "decision"),
        "status": ("open", "closed"),
        "party": (None, "client", "incumbent", "provider"),
        "probability": (None, 1, 2, 3, 4, 5),
        "impact": (None, 1, 2, 3, 4, 5),
    },
    "system_dependencies": {"kind": ("data", "auth", "network", "batch")},
}
#: Whole numbers with their own range (others: ids, or 0..MAX_SMALL).
RANGES: dict[tuple[str, str], tuple[int, int]] = {
    ("kt_sessions", "minutes"): (5, 24 * 60),
    ("meetings", "minutes"): (5, 24 * 60),
    ("engagement", "playbook_version"): (1, MAX_SMALL),
}
#: Free text a user typed: checked for credentials as on the way in through a command.
FREE_TEXT: dict[str, tuple[str, ...]] = {
    "phases": ("gate_reason",),
    "tasks": ("note",),
    "task_notes": ("text",),
    "access_grants": ("justification", "revoke_reason"),
    "kt_sessions": ("topic", "follow_ups", "cancel_reason"),
    "meetings": ("notes", "cancel_reason"),
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
        elif column == "answers_json":
            # The answers a runbook was rendered with, as ``runbook new`` records them:
            # JSON on one line that grows with the engagement (no length applies; what
            # it says is read, and refused if unreadable, when the runbook is updated).
            from transition.text import clean_line

            clean_line(value, column, len(value))
        elif column not in ("playbook_json", "handover_json", "gate_json", "skeleton"):
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
    if section == "runbooks":
        fields["text"] = (_runbook_text_type(), None)
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


def _runbook_text_type() -> Any:
    """A runbook's file text (not a column: the file's content, written back on import):
    any Unicode text without NUL characters, or null when the file was missing."""
    from typing import Annotated

    from pydantic import AfterValidator, StrictStr

    def check(value: str) -> str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("contains a lone surrogate (not valid Unicode text)") from None
        if "\x00" in value:
            raise ValueError("contains a NUL character")
        return value

    return Annotated[StrictStr, AfterValidator(check)] | None


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
    if row.status in ("planned", "cancelled") and (
        row.held_at is not None or any(v is not None for v in signed)
    ):
        return f"a {row.status} session is neither held nor signed off"
    if (getattr(row, "cancel_reason", None) is not None) != (row.status == "cancelled"):
        return "a cancelled session, and only one, says why it was cancelled"
    if row.status not in ("planned", "cancelled") and row.held_at is None:
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
    if not derived and row.status not in ("open", "done", "retired"):
        # retired: dropped by a newer version of its checklist
        return f"a {row.source} item is open, done or retired, not {row.status}"
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


def _role_rule(row: Any) -> str | None:
    from transition.text import slugify

    if not row.role or slugify(row.role) != row.role:
        return f"role {row.role!r} is not a role as `role assign` stores it ({slugify(row.role)!r})"
    return None


def _score_rule(row: Any) -> str | None:
    from transition.errors import BadInput
    from transition.services.scorecard import PARTIES, parse_period, parse_value

    if row.party not in PARTIES:
        return f"party {row.party!r} is incumbent or provider"
    try:
        if parse_period(row.period) != row.period:
            return f"period {row.period!r} is not written as YYYY-Www"
        parse_value(row.value)
    except BadInput as exc:
        return exc.message
    return None


def _intervention_rule(row: Any) -> str | None:
    from transition.errors import BadInput
    from transition.services.scorecard import parse_period

    try:
        if parse_period(row.period) != row.period:
            return f"period {row.period!r} is not written as YYYY-Www"
    except BadInput as exc:
        return exc.message
    return None


ROW_RULES = {
    "role_assignments": _role_rule,
    "score_entries": _score_rule,
    "interventions": _intervention_rule,
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


def file_model() -> type[BaseModel]:
    """The pydantic model of a whole export file, one row model per table."""
    from pydantic import Field

    section_fields = {
        name: (
            list[_row_model(m, name)],
            Field(default_factory=list) if name in LATER_SECTIONS else ...,
        )
        for name, m in SECTIONS.items()
    }
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
