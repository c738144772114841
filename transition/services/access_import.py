"""``access import``: grants from a CSV file, all or nothing, in a fixed number of queries.

Each row is read into a ``GrantRow`` (each column checked by the rules ``access grant``
applies); what only the database knows (who and what exists, which grants are in force) is
read once up front. Every bad row is reported as ``file:LINE: problem`` and then nothing is
imported.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from transition.dates import today, utcnow
from transition.errors import BadInput, Refused, TransitionError, ValidationFailed
from transition.files import Unreadable, read_input
from transition.guard import no_secrets
from transition.models import AccessGrant, Engagement, Person, Phase, System
from transition.services import audit, handover
from transition.services.access_rules import (
    clean_role,
    grant_changes,
    phases_of,
    recorded_anyway,
    resolve_expiry,
    role_key,
    warn,
)
from transition.services.common import EngagementRef, engagement_of
from transition.services.views.access import ImportResult
from transition.text import clean_name, clean_text, field_limit, slugify
from transition.unique_names import unique_violation
from transition.workdays import Calendar

CSV_COLUMNS = ("person", "system", "role", "expires", "justification")
MAX_CSV_BYTES = 50 * 1024 * 1024


# --------------------------------------------------------------------------- one row


class ColumnRules:
    """The rule of each CSV column, each value checked once per file (a file names the
    same people, systems, roles and milestones on many rows)."""

    def __init__(self, phases: list[Phase], calendar: Calendar | None = None) -> None:
        self.rules: dict[str, Callable[[str], Any]] = {
            "person": lambda v: clean_name(v, "person", field_limit(Person, "name")),
            "system": lambda v: clean_name(v, "system", field_limit(System, "name")),
            "role": clean_role,
            "expires": lambda v: resolve_expiry(phases, v, calendar),
            "justification": lambda v: no_secrets(clean_text(v, "justification"), "justification"),
        }
        self.seen: dict[tuple[str, str], tuple[bool, Any]] = {}

    def check(self, column: str, value: str) -> tuple[bool, Any]:
        """(True, the value as kept) or (False, why the value is refused)."""
        key = (column, value)
        found = self.seen.get(key)
        if found is None:
            try:
                found = (True, self.rules[column](value))
            except TransitionError as exc:
                found = (False, exc.message)
            self.seen[key] = found
        return found

    def valid(self, column: str, value: str) -> Any:
        """The value as kept, or None when the column's rule refuses it."""
        ok, kept = self.check(column, value)
        return kept if ok else None


class GrantRow(BaseModel):
    """One row of the grants CSV (``person,system,role,expires,justification``), each
    column checked by the rule ``access grant`` applies to that argument. Validated with
    ``context=ColumnRules(phases)``; an invalid row raises a ``ValidationError`` with one
    error per bad column (``loc``: the column, ``msg``: the tool's own message)."""

    model_config = ConfigDict(frozen=True)

    person: str
    system: str
    role: str
    expires: tuple[date | None, str | None]
    justification: str

    @field_validator("person", "system", "role", "expires", "justification", mode="plain")
    @classmethod
    def _column(cls, value: Any, info: ValidationInfo) -> Any:
        columns: ColumnRules = info.context
        ok, kept = columns.check(info.field_name or "", value)
        if not ok:
            raise PydanticCustomError("grant_csv", "{message}", {"message": kept})
        return kept

    @property
    def role_key(self) -> str:
        return role_key(self.role)

    @property
    def expires_on(self) -> date | None:
        return self.expires[0]

    @property
    def expires_rule(self) -> str | None:
        return self.expires[1]


# --------------------------------------------------------------------------- the file


def _read_csv(path: Path) -> str:
    try:
        raw = read_input(path, MAX_CSV_BYTES, kind="CSV")
    except Unreadable as exc:
        raise BadInput(str(exc)) from None
    if b"\x00" in raw:
        raise BadInput(f"{path}: contains NUL bytes; not a CSV text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValidationFailed([f"{path}:{line}: not valid UTF-8 (byte {exc.start})"]) from None


def _listed(values: list[str]) -> str:
    """A header of thousands of columns stays one line."""
    shown = ", ".join(v[:40] for v in values[:10])
    return shown + (f" … and {len(values) - 10:,} more" if len(values) > 10 else "")


def _header(reader: Any, path: Path) -> list[str]:
    """The header's column names; refused unless it holds each column once."""
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ValidationFailed([f"{path}:1: {exc}"]) from None
    if header is None:
        raise ValidationFailed(
            [f"{path}:1: empty file: expected the header {','.join(CSV_COLUMNS)}"]
        )
    names = [h.strip().lower() for h in header]
    counts = Counter(names)
    dupes = sorted(n for n, k in counts.items() if k > 1)
    extra = [n or "(empty)" for n in names if n not in CSV_COLUMNS]
    missing = [c for c in CSV_COLUMNS if c not in counts]
    errors = [
        f"{path}:1: {problem} column(s): {show(found)}"
        for problem, found, show in (
            ("duplicate", dupes, _listed),
            ("unknown", extra, _listed),
            ("missing", missing, ", ".join),
        )
        if found
    ]
    if errors:
        errors.append(f"{path}:1: the header must be exactly {','.join(CSV_COLUMNS)} (any order)")
        raise ValidationFailed(errors)
    return names


def _rows(reader: Any, path: Path, names: list[str], errors: list[str]) -> Iterator[Any]:
    """(line, {column: value}) of each row that is not blank; a row of the wrong width or
    a broken quote is added to ``errors`` (a broken quote ends the reading)."""
    index = {name: i for i, name in enumerate(names)}
    line = 1
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(f"{path}:{reader.line_num}: {exc}")
            return
        line = reader.line_num
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            errors.append(f"{path}:{start}: expected {len(names)} fields, found {len(cells)}")
            continue
        yield start, {col: _lines(cells[index[col]]).strip() for col in CSV_COLUMNS}


def _lines(cell: str) -> str:
    """A quoted cell's line breaks as ``\n``: a file saved with CRLF endings (Excel,
    Windows tools) keeps CRLF inside a multi-line justification too."""
    return cell.replace("\r\n", "\n").replace("\r", "\n")


# --------------------------------------------------------------------------- the import


class _Known:
    """The engagement's people, systems and grants in force, read in three queries; rows
    stored under the first release's slug are found by their name's slug too."""

    def __init__(self, session: Session, eid: int) -> None:
        self.people: dict[str, tuple[int, str, Any]] = {}
        self.systems: dict[str, tuple[int, str, Any]] = {}
        for model, into, last in (
            (Person, self.people, Person.release_date),
            (System, self.systems, System.removed_at),
        ):
            for rid, slug, name, extra in session.execute(
                select(model.id, model.slug, model.name, last).where(model.engagement_id == eid)
            ):
                into[slug] = (rid, name, extra)
                into.setdefault(slugify(name), (rid, name, extra))
        self.in_force: dict[tuple[int, int, str], int] = {}
        for gid, pid, sid, key in session.execute(
            select(
                AccessGrant.id, AccessGrant.person_id, AccessGrant.system_id, AccessGrant.role_key
            ).where(AccessGrant.engagement_id == eid, AccessGrant.revoked_at.is_(None))
        ):
            self.in_force[(pid, sid, key)] = gid


def import_csv(
    session: Session,
    engagement: EngagementRef,
    path: Path | str,
    *,
    create_missing: bool = False,
    side: str = "provider",
) -> ImportResult:
    """Import grants from a CSV with the header ``person,system,role,expires,justification``
    (any order). Every bad row is reported as ``file:LINE: problem`` and then nothing is
    imported. Unknown people and systems are errors unless ``create_missing``: then people
    are created on ``side`` (default provider) and systems at tier 2."""
    engagement = engagement_of(session, engagement)
    path = Path(path)
    reader = csv.reader(io.StringIO(_read_csv(path), newline=""), strict=True)
    names = _header(reader, path)
    known = _Known(session, engagement.id)
    columns = ColumnRules(phases_of(session, engagement), Calendar.of(engagement))
    now = today()
    errors: list[str] = []
    refusals: list[str] = []  # rows a rule refuses (exit 1), unlike bad rows (exit 2)
    warnings: list[str] = []
    parsed: list[tuple[str, str, GrantRow]] = []
    new_people: dict[str, str] = {}
    new_systems: dict[str, str] = {}
    seen: dict[tuple[str, str, str], int] = {}
    for line, value in _rows(reader, path, names, errors):
        where = f"{path}:{line}"
        try:
            row: GrantRow | None = GrantRow.model_validate(value, context=columns)
            problems: list[str] = []
        except ValidationError as exc:
            row, problems = None, [e["msg"] for e in exc.errors()]
        pname = columns.valid("person", value["person"])
        sname = columns.valid("system", value["system"])
        role = columns.valid("role", value["role"])
        pslug = slugify(pname) if pname else None
        sslug = slugify(sname) if sname else None
        if pslug and pslug not in known.people:
            if create_missing:
                new_people.setdefault(pslug, pname)
            else:
                problems.append(
                    f"unknown person {pname!r} (add them first, or import with --create-missing)"
                )
        if sslug:
            found = known.systems.get(sslug)
            if found is not None and found[2] is not None:
                problems.append(f"system {sname!r} was removed from scope")
            elif found is None:
                if create_missing:
                    new_systems.setdefault(sslug, sname)
                else:
                    problems.append(
                        f"unknown system {sname!r} (add it first, or import with --create-missing)"
                    )
        if pslug and sslug and role:
            dup_key = (pslug, sslug, role_key(role))
            if dup_key in seen:
                # A file that repeats itself is bad input, not a refusal.
                problems.append(f"same person, system and role as line {seen[dup_key]}")
            else:
                seen[dup_key] = line
            if pslug in known.people and sslug in known.systems:
                key = (known.people[pslug][0], known.systems[sslug][0], dup_key[2])
                existing = known.in_force.get(key)
                if existing is not None:
                    refusals.append(
                        f"{where}: {pname} already holds {role} on {sname} (grant {existing})"
                    )
        if problems or row is None:
            errors.extend(f"{where}: {p}" for p in problems)
            continue
        release = known.people[pslug][2] if pslug in known.people else None
        warnings.extend(
            f"{where}: {p}" for p in recorded_anyway(pname, release, row.expires_on, now)
        )
        parsed.append((pslug, sslug, row))
    if errors:  # bad input first: the file must be fixed whatever else it holds
        errors = sorted(errors + refusals, key=_line_order)
        raise ValidationFailed(
            errors, summary=f"{path}: {len(errors)} problem(s); nothing was imported"
        )
    if refusals:
        raise Refused(
            f"{path}: {len(refusals)} row(s) duplicate a grant in force; nothing was imported",
            details=refusals,
        )
    if not parsed:
        raise BadInput(f"{path}: no grant rows below the header; nothing was imported")
    return _record(
        session, engagement, path, known, parsed, new_people, new_systems, side, warnings
    )


def _record(
    session: Session,
    engagement: Engagement,
    path: Path,
    known: _Known,
    parsed: list[tuple[str, str, GrantRow]],
    new_people: dict[str, str],
    new_systems: dict[str, str],
    side: str,
    warnings: list[str],
) -> ImportResult:
    """Insert the people and systems to create, then the grants, each kind in one
    statement; audit events and handover items follow in the same transaction."""
    eid = engagement.id
    changes: list[audit.Change] = []
    if new_people:
        from transition.services.people import SIDES

        if side not in SIDES:
            raise BadInput(f"invalid side {side!r}: choose one of {', '.join(SIDES)}")
        # Sorted: one lock order for every writer.
        rows = [
            {"engagement_id": eid, "slug": slug, "name": name, "side": side, "version": 1}
            for slug, name in sorted(new_people.items())
        ]
        for pid, row in zip(_insert(session, Person, rows, path), rows, strict=True):
            known.people[row["slug"]] = (pid, row["name"], None)
            changes.append(audit.Change("person", pid, "create", "side", None, side))
    created_systems: list[int] = []
    if new_systems:
        rows = [
            {
                "engagement_id": eid,
                "slug": slug,
                "name": name,
                "tier": 2,
                "description": "",
                "version": 1,
            }
            for slug, name in sorted(new_systems.items())
        ]
        for sid, row in zip(_insert(session, System, rows, path), rows, strict=True):
            known.systems[row["slug"]] = (sid, row["name"], None)
            created_systems.append(sid)
            changes.append(audit.Change("system", sid, "create", "tier", None, 2))

    # Rows inserted in key order: concurrent imports then wait on one another's keys in the
    # same order, so they never deadlock (PostgreSQL); the loser meets the unique index.
    people, systems = known.people, known.systems
    parsed.sort(key=lambda p: (people[p[0]][0], systems[p[1]][0], p[2].role_key))
    granted_at, approver = utcnow(), audit.actor(session)
    grant_rows = [
        {
            "engagement_id": eid,
            "person_id": people[pslug][0],
            "system_id": systems[sslug][0],
            "role": row.role,
            "role_key": row.role_key,
            "justification": row.justification,
            "approver": approver,
            "granted_at": granted_at,
            "expires_on": row.expires_on,
            "expires_rule": row.expires_rule,
            "version": 1,
        }
        for pslug, sslug, row in parsed
    ]
    grant_ids = _insert(session, AccessGrant, grant_rows, path)
    for gid, (pslug, sslug, row) in zip(grant_ids, parsed, strict=True):
        changes.extend(
            grant_changes(
                gid,
                people[pslug][1],
                systems[sslug][1],
                row.role,
                row.expires_on,
                row.expires_rule,
                row.justification,
            )
        )
    sync = handover.reconcile(
        session, engagement, grants=grant_ids, systems=created_systems, events=changes
    )
    for message in warnings:
        warn(session, message)
    return ImportResult(
        imported=len(grant_ids),
        warnings=warnings,
        people_created=sorted(new_people.values()),
        systems_created=sorted(new_systems.values()),
        handover=sync,
    )


def _insert(session: Session, model: Any, rows: list[dict[str, Any]], path: Path) -> list[int]:
    """``handover.bulk_insert``; a row another writer recorded first refuses the import."""
    try:
        return handover.bulk_insert(session, model, rows)
    except IntegrityError as exc:
        if unique_violation(exc) is None:
            raise
        raise Refused(
            f"{path}: another change recorded some of these grants (or created these people "
            "or systems) a moment ago; an identical grant already exists; nothing was imported"
        ) from None


def _line_order(message: str) -> tuple[int, str]:
    match = re.search(r":(\d+): ", message)
    return (int(match.group(1)) if match else 0, message)
