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
from collections.abc import Iterator, Sequence
from itertools import repeat
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from transition.dates import utcnow
from transition.db import SCHEMA_HEAD
from transition.errors import BadInput, about
from transition.files import Missing, Unreadable, read_input
from transition.services.common import EngagementRef, engagement_of
from transition.services.transfer_export import (
    Section,
    layout,
    read_tables,
    section_rows,
)
from transition.services.transfer_tables import (
    ENTITY_SECTION,
    REFERENCES,
    SECTIONS,
    SOURCE_SECTION,
)
from transition.services.views.transfer import (
    Bundle,
    ExportDocument,
    ExportFile,
    ExportStream,
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
    "export_stream",
    "import_data",
    "read_export",
]

FORMAT = "transition-export"
SCHEMA_VERSION = 1
MAX_BYTES = 512 * 1024 * 1024


# --------------------------------------------------------------------------- export


def _ids(session: Session, engagement: EngagementRef | None) -> list[int] | None:
    if engagement is None:
        return None
    return [engagement_of(session, engagement, writable=False).id]


def _front() -> dict[str, str | int]:
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "db_schema": SCHEMA_HEAD,
        "exported_at": utcnow().isoformat(),
    }


def _section(name: str, table: Section, engagement_id: int) -> tuple[list[str], Sequence[Any]]:
    """A section's columns and rows for one engagement; a runbook row with the text of
    its file, and its path as the file carries it."""
    rows = table.rows(engagement_id)
    if name != "runbooks":
        return table.keys, rows
    keys = table.keys
    at, width = keys.index("path"), len(keys)
    texts = [
        (*row[:at], _portable(row[at]), *row[at + 1 : width], runbook_text(str(row[at])))
        for row in rows
    ]
    return [*keys, "text"], texts


def export_data(
    session: Session, engagement: EngagementRef | None = None, *, with_audit: bool = True
) -> ExportDocument:
    """One engagement, or every engagement, as a JSON-ready document (without the audit
    events when ``with_audit`` is false: the state the log is checked against)."""
    engagements, sections = read_tables(session, _ids(session, engagement), with_audit=with_audit)
    bundles: list[dict[str, Any]] = [{"engagement": row} for row in engagements]
    for name, table in sections:
        for bundle in bundles:
            keys, rows = _section(name, table, bundle["engagement"]["id"])
            bundle[name] = list(map(dict, map(zip, repeat(keys), rows)))
    return {**_front(), "engagements": bundles}  # type: ignore[typeddict-item]


def export_stream(session: Session, engagement: EngagementRef | None = None) -> ExportStream:
    """``export_data`` as the file holds it (``pieces``), written straight from the rows
    read: the same bytes, without a document in between. One engagement's sections are
    read as the pieces are taken, so the session stays open until they are written."""
    engagements, sections = read_tables(session, _ids(session, engagement), written=True)

    def bundle(row: Row) -> Iterator[tuple[str, Any]]:
        yield "engagement", row
        for name, table in sections:
            keys, rows = _section(name, table, row["id"])  # type: ignore[arg-type]
            yield name, section_rows(name, rows, keys, written=table.written)

    return ExportStream(
        engagements=len(engagements),
        pieces=layout(_front(), (bundle(row) for row in engagements)),
    )


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


def dumps(document: ExportDocument) -> str:
    """The document as the file holds it (see ``pieces``), as one string."""
    return b"".join(pieces(document)).decode("utf-8")


def pieces(document: ExportDocument) -> Iterator[bytes]:
    """The document as the file holds it, in pieces to write one after another: JSON with
    keys in their order, one row per line (readable and diffable, and written by the C
    encoder row by row: indenting every cell would run the pure-Python one over millions
    of cells). A large export is never held as one string."""
    header = {k: v for k, v in document.items() if k != "engagements"}

    def bundle(value: Bundle) -> Iterator[tuple[str, Any]]:
        for name, rows in value.items():
            yield name, section_rows(name, rows) if isinstance(rows, list) else rows

    return layout(header, map(bundle, document["engagements"]))


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number a command could store")


def import_data(
    session: Session,
    data: ExportFile,
    *,
    source: str = "",
    runbooks: Path | str | None = None,
) -> ImportResult:
    """Restore a checked export file (see ``transfer_import.import_data``)."""
    from transition.services import transfer_import

    return transfer_import.import_data(session, data, source=source, runbooks=runbooks)


def read_export(path: Path | str) -> ExportFile:
    """Read and check an export file; every problem is ``FILE: where: what``."""
    # The checks are loaded only by the commands that read a file.
    from transition.services.transfer_checks import check_bundles, schema_problems
    from transition.services.transfer_rows import file_model

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
