"""Read models: export documents, checked export files and import results.

An export is a JSON document whose rows mirror the tables column for column, so a row is
a plain mapping of column name to cell (``Row``); the document and each engagement's
bundle are ``TypedDict``s that name their keys. A file that passed every check is an
``ExportFile`` (its bundles, with dates and times parsed, and the file's SHA-256); an
import answers with an ``ImportResult``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypedDict

from transition.services.views.base import View

#: One row of one table: column name → cell (JSON scalars in a document; dates and times
#: parsed in a checked file).
Row = dict[str, object]


class Bundle(TypedDict):
    """Every row of one engagement, by section (the file's order)."""

    engagement: Row
    phases: list[Row]
    people: list[Row]
    systems: list[Row]
    tasks: list[Row]
    task_dependencies: list[Row]
    access_grants: list[Row]
    kt_sessions: list[Row]
    kt_participants: list[Row]
    runbooks: list[Row]
    handover_items: list[Row]
    role_assignments: list[Row]
    score_entries: list[Row]
    interventions: list[Row]
    audit_events: list[Row]


class ExportDocument(TypedDict):
    """What ``transition export`` writes (``json.dumps`` of it, key order kept)."""

    format: str
    schema_version: int
    db_schema: str
    exported_at: str
    engagements: list[Bundle]


@dataclass(frozen=True)
class ExportFile:
    """An export file that holds every rule: ready to import."""

    engagements: list[Bundle]
    #: SHA-256 of the file's bytes, recorded in each engagement's ``import`` event.
    sha256: str


@dataclass(frozen=True)
class ExportStream:
    """An export ready to be written: how many engagements it holds, and the file's
    bytes in pieces, one after another."""

    engagements: int
    pieces: Iterator[bytes]


class ImportResult(View):
    """The engagements an import created, by slug, in the file's order."""

    slugs: list[str]
