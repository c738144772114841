"""Lossless JSON export and import of engagements.

An export holds every row of every table that belongs to the chosen engagements
(engagement, phases, people, systems, tasks with their dependencies and notes, access
grants, KT sessions and participants, runbooks, handover items and audit events)::

    {"format": "transition-export", "schema_version": 1, "db_schema": "0001",
     "exported_at": "…", "engagements": [{"engagement": {…}, "phases": […], …}]}

Rows keep their ids in the file so references can be followed; ``import_data`` gives
every row a new id and rewrites the references (derived handover keys and audit entity
ids included). Runbook paths are written relative to their generation folder, each
runbook with the text of its file (``text``: null when the file is missing), and an import
writes the files under a folder the importer names, never outside it. The file is input: every row is validated by a row
model of its table (the commands' states, kinds, ranges and text rules), the rows must
agree with each other and with the state the file's own audit log replays to, and each
problem is reported with its location; nothing is written unless all of it holds. Audit
events keep their time, actor and content and become a separate segment of the receiving
log (see ``audit``); each engagement's log gets an ``import`` event naming the file's hash
and counts. Importing an engagement whose slug already exists is refused.

Reading and writing are a fixed number of statements per table, whatever the row count.
The parts: ``transfer_tables`` (which tables, how they refer to each other),
``transfer_rows`` (a row model per table), ``transfer_checks`` (rows that agree with
each other and with their log), ``transfer_import`` (writing a checked file).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, SQLModel

from transition.dates import utcnow
from transition.db import SCHEMA_HEAD
from transition.errors import BadInput, about
from transition.files import Missing, Unreadable, read_input
from transition.models import (
    AuditEvent,
    Engagement,
    KTParticipant,
    KTSession,
    KTTopic,
    Meeting,
    MeetingAction,
    MeetingAttendee,
    Runbook,
    Task,
    TaskDependency,
)
from transition.services.common import EngagementRef, engagement_of
from transition.services.transfer_checks import check_bundles, schema_problems
from transition.services.transfer_import import import_data
from transition.services.transfer_rows import file_model
from transition.services.transfer_tables import (
    ENTITY_SECTION,
    REFERENCES,
    SECTIONS,
    SOURCE_SECTION,
    columns,
)
from transition.services.views.transfer import (
    Bundle,
    ExportDocument,
    ExportFile,
    ImportResult,
    Row,
)

__all__ = [
    "ENTITY_SECTION",
    "REFERENCES",
    "SECTIONS",
    "SOURCE_SECTION",
    "ExportDocument",
    "ExportFile",
    "ImportResult",
    "dumps",
    "export_data",
    "import_data",
    "read_export",
]

FORMAT = "transition-export"
SCHEMA_VERSION = 1
MAX_BYTES = 512 * 1024 * 1024


# --------------------------------------------------------------------------- export


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _rows(session: Session, model: type[SQLModel], where: Any, order: Any) -> list[Row]:
    from sqlalchemy import Date, DateTime

    cols = [model.__table__.c[name] for name in columns(model)]
    stmt = select(*cols).order_by(*order)
    if where is not None:
        stmt = stmt.where(where)
    keys = [c.name for c in cols]
    # Only dates and times need converting: a per-column test, not one per cell.
    temporal = [
        i
        for i, c in enumerate(cols)
        if isinstance(getattr(c.type, "impl_instance", c.type), (Date, DateTime))
    ]
    # Core rows from the session's connection (no ORM result machinery), as plain tuples.
    result = session.connection().execute(stmt)
    if not temporal:
        return [dict(zip(keys, row, strict=True)) for row in result]
    out: list[Row] = []
    for row in result:
        values = list(row)
        for i in temporal:
            if values[i] is not None:
                values[i] = _plain(values[i])
        out.append(dict(zip(keys, values, strict=True)))
    return out


def export_data(
    session: Session, engagement: EngagementRef | None = None, *, with_audit: bool = True
) -> ExportDocument:
    """One engagement, or every engagement, as a JSON-ready document (without the audit
    events when ``with_audit`` is false: the state the log is checked against)."""
    ids = (
        [engagement_of(session, engagement, writable=False).id] if engagement is not None else None
    )

    def scoped(column):
        return column.in_(ids) if ids is not None else None

    engagements = _rows(session, Engagement, scoped(Engagement.id), [Engagement.slug])
    per: dict[int, Bundle] = {
        e["id"]: {"engagement": e, **{name: [] for name in SECTIONS}} for e in engagements
    }
    task_owner: dict[int, int] = {}
    session_owner: dict[int, int] = {}
    meeting_owner: dict[int, int] = {}
    for name, model in SECTIONS.items():
        if model is TaskDependency:
            continue
        if model in (KTParticipant, KTTopic, MeetingAttendee, MeetingAction) or (
            model is AuditEvent and not with_audit
        ):
            continue
        rows = _rows(session, model, scoped(model.engagement_id), [model.id])
        if model is Runbook:
            for row in rows:
                row["text"] = runbook_text(str(row["path"]))
                row["path"] = _portable(row["path"])
        for row in rows:
            if row["engagement_id"] in per:
                per[row["engagement_id"]][name].append(row)
        if model is Task:
            task_owner = {r["id"]: r["engagement_id"] for r in rows}
        if model is KTSession:
            session_owner = {r["id"]: r["engagement_id"] for r in rows}
        if model is Meeting:
            meeting_owner = {r["id"]: r["engagement_id"] for r in rows}
    dep_stmt = select(TaskDependency.task_id, TaskDependency.depends_on_id).order_by(
        TaskDependency.task_id, TaskDependency.depends_on_id
    )
    participant_stmt = select(
        KTParticipant.session_id, KTParticipant.person_id, KTParticipant.role
    ).order_by(KTParticipant.session_id, KTParticipant.person_id)
    topic_stmt = select(KTTopic.session_id, KTTopic.topic_id).order_by(
        KTTopic.session_id, KTTopic.topic_id
    )
    if ids is not None:
        topic_stmt = topic_stmt.join(KTSession, KTSession.id == KTTopic.session_id).where(
            KTSession.engagement_id.in_(ids)
        )
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
    for row in session.execute(topic_stmt):
        owner = session_owner.get(row.session_id)
        if owner in per:
            per[owner]["kt_topics"].append(dict(row._mapping))
    for model, name in ((MeetingAttendee, "meeting_attendees"), (MeetingAction, "meeting_actions")):
        stmt = select(model).order_by(*model.__table__.primary_key.columns)
        if ids is not None:
            stmt = stmt.join(Meeting, Meeting.id == model.meeting_id).where(
                Meeting.engagement_id.in_(ids)
            )
        for link in session.execute(stmt).scalars():
            owner = meeting_owner.get(link.meeting_id)
            if owner in per:
                per[owner][name].append(link.model_dump())
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "db_schema": SCHEMA_HEAD,
        "exported_at": utcnow().isoformat(),
        "engagements": [per[e["id"]] for e in engagements],
    }


def runbook_text(path: str) -> str | None:
    """The text of a runbook's file as it is on disk now; None when there is no readable
    UTF-8 file there (the row is exported all the same)."""
    from transition.services.runbook_files import MAX_READ

    try:
        raw = read_input(path, MAX_READ, kind="runbook")
    except Unreadable:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def _portable(path: str) -> str:
    """A runbook's path as the file carries it: relative to the folder runbooks are
    generated into (``SYSTEM/TEMPLATE.md``), so an import places it under a folder the
    user names and never anywhere else."""
    from pathlib import PurePath

    parts = [p for p in PurePath(path).parts[-2:] if p not in ("/", "\\", "..", ".")]
    return "/".join(parts) or "runbook.md"


def _row_encoder() -> Any:
    """``json.dumps(value, ensure_ascii=False)`` with one encoder for every row (``dumps``
    would build one per call)."""
    return json.JSONEncoder(ensure_ascii=False).encode


def dumps(document: ExportDocument) -> str:
    """The document as the file holds it (see ``pieces``), as one string."""
    return "".join(pieces(document))


def pieces(document: ExportDocument) -> Iterator[str]:
    """The document as the file holds it, in pieces to write one after another: JSON with
    keys in their order, one row per line (readable and diffable, and written by the C
    encoder row by row: indenting every cell would run the pure-Python one over millions
    of cells). A large export is never held as one string."""
    row = _row_encoder()
    yield "{\n"
    for key, value in document.items():
        if key != "engagements":
            yield f" {row(key)}: {row(value)},\n"
    bundles = document["engagements"]
    if not bundles:
        yield ' "engagements": []\n}\n'
        return
    yield ' "engagements": [\n'
    for b, bundle in enumerate(bundles):
        yield "  {\n"
        for s, (name, value) in enumerate(bundle.items()):
            if s:
                yield ",\n"
            if isinstance(value, list) and value:
                yield f"   {row(name)}: [\n    "
                yield row(value[0])
                for r in value[1:]:
                    yield ",\n    "
                    yield row(r)
                yield "\n   ]"
            else:
                yield f"   {row(name)}: {row(value)}"
        yield "\n  }" if b == len(bundles) - 1 else "\n  },\n"
    yield "\n ]\n}\n"


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number a command could store")


def read_export(path: Path | str) -> ExportFile:
    """Read and check an export file; every problem is ``FILE: where: what``."""
    path = Path(path)
    with about("file"):
        raw = _read(path)
        document = _header(path, raw)
        try:
            parsed = file_model().model_validate(document)
        except ValidationError as exc:
            raise schema_problems(path, exc) from None
        bundles: list[Bundle] = parsed.model_dump()["engagements"]
        check_bundles(path, bundles)
    return ExportFile(engagements=bundles, sha256=hashlib.sha256(raw).hexdigest())


def _read(path: Path) -> bytes:
    try:
        return read_input(path, MAX_BYTES, kind="JSON export", noun="export file")
    except Missing:
        raise BadInput(f"{path}: no such file") from None
    except Unreadable as exc:
        raise BadInput(str(exc)) from None


def _header(path: Path, raw: bytes) -> dict[str, Any]:
    """The file's JSON, once it says it is an export this program reads."""
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
    return document
