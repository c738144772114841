"""``score import``: KPI values from a CSV file (``kpi,party,period,value,note``), all
or nothing.

Each row is checked by the rules ``score record`` applies; every bad row is reported as
``FILE:LINE: problem`` and then nothing is written. A value recorded before for the same
KPI, party and week is replaced (audited as an update), as ``score record`` does; the same
KPI, party and week twice in one file is an error. Three queries whatever the file's size.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from transition.dates import utcnow
from transition.errors import BadInput, Refused, TransitionError, ValidationFailed
from transition.files import Unreadable, read_input
from transition.models import ScoreEntry
from transition.services import audit
from transition.services.common import EngagementRef, engagement_of
from transition.services.scorecard import (
    ENTITY,
    check_range,
    clean_note,
    kpi_of,
    kpis_of,
    parse_party,
    parse_past_period,
    parse_value,
)
from transition.services.views.scorecard import ScoreImport

CSV_COLUMNS = ("kpi", "party", "period", "value", "note")
MAX_CSV_BYTES = 10 * 1024 * 1024


def _text(path: Path) -> str:
    try:
        raw = read_input(path, MAX_CSV_BYTES, kind="CSV")
    except Unreadable as exc:
        raise BadInput(str(exc)) from None
    if b"\x00" in raw:
        raise BadInput(f"{path}: contains NUL bytes; not a CSV text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValidationFailed([f"{path}:{line}: not valid UTF-8 (byte {exc.start})"]) from None
    # A file saved with CRLF (or old Mac CR) line ends keeps them inside quoted fields
    # too: a note written over two lines is one line break, not a control character.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line, {column: value}) of each row that is not blank; the header must name each
    column once (``note`` may be left out); rows of the wrong width are errors."""
    reader = csv.reader(io.StringIO(_text(path), newline=""), strict=True)
    errors: list[str] = []
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ValidationFailed([f"{path}:1: {exc}"]) from None
    names = [h.strip().lower() for h in header or []]
    required = [c for c in CSV_COLUMNS if c != "note"]
    if (
        not names
        or len(set(names)) != len(names)
        or not set(required) <= set(names) <= set(CSV_COLUMNS)
    ):
        raise ValidationFailed(
            [f"{path}:1: the header must be {','.join(CSV_COLUMNS)} (any order; note optional)"]
        )
    rows = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(f"{path}:{reader.line_num}: {exc}")
            break
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            errors.append(f"{path}:{start}: expected {len(names)} fields, found {len(cells)}")
            continue
        value = dict(zip(names, (c.strip() for c in cells), strict=True))
        value.setdefault("note", "")
        rows.append((start, value))
    if errors:
        raise ValidationFailed(
            errors, summary=f"{path}: {len(errors)} problem(s); nothing was imported"
        )
    return rows


def import_csv(session: Session, engagement: EngagementRef, path: Path | str) -> ScoreImport:
    """Import KPI values from ``path``; every bad row is reported, then nothing is written."""
    engagement = engagement_of(session, engagement)
    path = Path(path)
    kpis = kpis_of(engagement)
    errors: list[str] = []
    parsed: dict[tuple[str, str, str], tuple[float, str | None]] = {}
    seen: dict[tuple[str, str, str], int] = {}
    for line, value in _rows(path):
        problems: list[str] = []
        kept: list[object] = []
        for column, rule in (
            ("kpi", lambda v: kpi_of(kpis, v, engagement).key),
            ("party", parse_party),
            ("period", parse_past_period),
            ("value", parse_value),
            ("note", lambda v: clean_note(v or None)),
        ):
            try:
                kept.append(rule(value[column]))
            except TransitionError as exc:
                problems.append(exc.message)
                kept.append(None)
        kpi, party, period, number, note = kept
        if kpi is not None and number is not None:
            try:
                check_range(kpi_of(kpis, str(kpi), engagement), float(number))  # type: ignore[arg-type]
            except TransitionError as exc:
                problems.append(exc.message)
        if not problems:
            key = (str(kpi), str(party), str(period))
            if key in seen:
                problems.append(f"{kpi} of the {party} in {period} is also on line {seen[key]}")
            else:
                seen[key] = line
                parsed[key] = (float(number), note if isinstance(note, str) else None)  # type: ignore[arg-type]
        errors.extend(f"{path}:{line}: {p}" for p in problems)
    if errors:
        raise ValidationFailed(
            errors, summary=f"{path}: {len(errors)} problem(s); nothing was imported"
        )
    if not parsed:
        raise BadInput(f"{path}: no rows below the header; nothing was imported")
    return _write(session, engagement.id, parsed)


def _write(
    session: Session, eid: int, parsed: dict[tuple[str, str, str], tuple[float, str | None]]
) -> ScoreImport:
    existing = {
        (r.kpi, r.party, r.period): r
        for r in session.execute(
            select(ScoreEntry).where(ScoreEntry.engagement_id == eid)
        ).scalars()
    }
    now, who = utcnow(), audit.actor(session)
    added: list[dict[str, object]] = []
    changes: list[audit.Change] = []
    for (kpi, party, period), (value, note) in parsed.items():
        row = existing.get((kpi, party, period))
        if row is None:
            added.append(
                {
                    "engagement_id": eid,
                    "kpi": kpi,
                    "party": party,
                    "period": period,
                    "value": value,
                    "note": note,
                    "recorded_at": now,
                    "recorded_by": who,
                }
            )
            continue
        if row.value != value:
            changes.append(audit.Change(ENTITY, row.id, "update", "value", row.value, value))
        if row.note != note:
            changes.append(audit.Change(ENTITY, row.id, "update", "note", row.note, note))
        row.value, row.note, row.recorded_at, row.recorded_by = value, note, now, who
    try:
        with session.begin_nested():
            session.flush()
            if added:  # one executemany, not one INSERT per row
                session.execute(insert(ScoreEntry), added)
    except IntegrityError:
        raise Refused(
            "another change recorded some of these values a moment ago; nothing was "
            "imported: run the import again to replace them"
        ) from None
    if added:
        ids = {
            (kpi, party, period): rid
            for rid, kpi, party, period in session.execute(
                select(ScoreEntry.id, ScoreEntry.kpi, ScoreEntry.party, ScoreEntry.period).where(
                    ScoreEntry.engagement_id == eid
                )
            )
        }
        for row in added:
            rid = ids[(row["kpi"], row["party"], row["period"])]
            for name in ("kpi", "party", "period", "value", "note"):
                if row[name] is not None:
                    changes.append(audit.Change(ENTITY, rid, "create", name, None, row[name]))
    audit.record_many(session, eid, changes)
    return ScoreImport(added=len(added), replaced=len(parsed) - len(added))
