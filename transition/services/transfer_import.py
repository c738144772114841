"""Import of a checked export file: every row gets a new id and the references follow
(derived handover keys and audit entity ids included), a fixed number of statements per
table whatever the row count; nothing is written unless all of it holds."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlmodel import Session, SQLModel

from transition.errors import BadInput, Refused, about
from transition.models import AuditEvent, Engagement, HandoverItem, KTSession, Meeting, Runbook
from transition.services import audit
from transition.services.statistics import after_bulk_write
from transition.services.transfer_tables import ENTITY_SECTION, REFERENCES, SECTIONS, SOURCE_SECTION
from transition.services.views.transfer import Bundle, ExportFile, ImportResult, Row

#: Where imported runbook files go when no folder is named: where ``runbook new`` writes
#: by default (``runbooks.DEFAULT_OUT``).
DEFAULT_RUNBOOKS = "runbooks"


def import_data(
    session: Session,
    data: ExportFile,
    *,
    source: str = "",
    runbooks: Path | str | None = None,
) -> ImportResult:
    """Restore a checked export file (``read_export``); answers the imported slugs.
    Refuses (writing nothing) when an engagement with the same slug, or a KT session uid,
    already exists.

    Runbook paths in the file are relative to ``runbooks`` (default: ``./runbooks``,
    where ``runbook new`` writes); the text each runbook carries is written there (never
    outside it), and a file already there with other text is refused. Derived handover items get the keys
    reconciliation gives them, and must be exactly what reconciliation derives. The
    file's audit events become a separate segment of the log (see ``audit``), and each
    engagement's own log gets an ``import`` event naming the file's hash and counts."""
    bundles = data.engagements
    if not bundles:
        raise BadInput(f"{source or 'the export'} holds no engagement", field="file")
    slugs = [str(b["engagement"]["slug"]) for b in bundles]
    _refuse_clashes(session, bundles, slugs)
    with about("runbooks"):
        base = Path(runbooks if runbooks is not None else DEFAULT_RUNBOOKS).expanduser()
        if base.exists() and not base.is_dir():
            raise BadInput(f"runbooks folder {base} is not a folder")
        base = base.resolve()
        files = _runbook_files(bundles, base, source)
    mapping = _write_rows(session, bundles, base, source)
    for n, bundle in enumerate(bundles):
        eid = mapping["engagement"][bundle["engagement"]["id"]]
        _check_derived(session, eid, f"{source}: engagements[{n}]")
        _log_import(session, eid, bundle, mapping, data.sha256)
    if files:
        from transition.services.runbook_files import write_many

        with about("runbooks"):
            write_many([(base, path, text) for path, text in files])
    return ImportResult(slugs=slugs)


def _runbook_files(bundles: list[Bundle], base: Path, source: str) -> list[tuple[Path, str]]:
    """The runbook files the file carries (``text``), each under ``base``: a file already
    there with other text is never replaced (refused, nothing imported); one with the
    same text is left alone."""
    from transition.services.runbook_files import read_existing

    files: list[tuple[Path, str]] = []
    clashes: list[str] = []
    for n, bundle in enumerate(bundles):
        for i, row in enumerate(bundle["runbooks"]):
            text = row.get("text")
            if text is None:
                continue
            where = f"{source}: engagements[{n}].runbooks[{i}]"
            path = Path(_runbook_target(base, str(row["path"]), where))
            on_disk = read_existing(path)
            if on_disk is None:
                files.append((path, str(text)))
            elif on_disk != str(text).encode("utf-8"):
                clashes.append(str(path))
    if clashes:
        raise Refused(
            f"runbook file(s) already exist with other text: {', '.join(clashes[:5])}"
            f"{' …' if len(clashes) > 5 else ''}; nothing was imported",
            details=["import with --runbooks naming another (or an empty) folder"],
        )
    return files


def _refuse_clashes(session: Session, bundles: list[Bundle], slugs: list[str]) -> None:
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


def _write_rows(
    session: Session, bundles: list[Bundle], base: Path, source: str
) -> dict[str, dict[int, int]]:
    """Insert every row but the audit events, a few statements per table; answers the
    new id of each old id, by section."""
    from transition.services import handover

    mapping: dict[str, dict[int, int]] = {name: {} for name in SECTIONS}
    # What an exit is the exit of is kept when that engagement comes in the same file.
    engagement_rows = [{**_without_id(b["engagement"]), "exit_of_id": None} for b in bundles]
    new_ids = _insert_returning_ids(session, Engagement, engagement_rows)
    mapping["engagement"] = {
        b["engagement"]["id"]: n for b, n in zip(bundles, new_ids, strict=True)
    }
    for bundle, new_id in zip(bundles, new_ids, strict=True):
        source = mapping["engagement"].get(bundle["engagement"].get("exit_of_id") or -1)
        if source is not None:
            session.execute(
                update(Engagement).where(Engagement.id == new_id).values(exit_of_id=source)
            )
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
                    new.pop("text", None)
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
        if model is Meeting:
            _fresh_uids(session, rows)
        if "id" in model.__table__.c:
            ids = _insert_returning_ids(session, model, rows)
            mapping[name] = dict(zip(old_ids, ids, strict=True))
        else:
            session.execute(insert(model.__table__), rows)
        after_bulk_write(session, model, len(rows))
    return mapping


def _fresh_uids(session: Session, rows: list[dict[str, Any]]) -> None:
    """Meetings of a copy (an engagement imported beside its original) get calendar UIDs
    of their own: a UID already in the database is replaced."""
    import uuid

    uids = [r["uid"] for r in rows]
    taken: set[str] = set()
    for start in range(0, len(uids), 500):
        taken.update(
            session.execute(
                select(Meeting.uid).where(Meeting.uid.in_(uids[start : start + 500]))
            ).scalars()
        )
    seen: set[str] = set()
    for row in rows:
        if row["uid"] in taken or row["uid"] in seen:
            row["uid"] = uuid.uuid4().hex
        seen.add(row["uid"])


def _check_derived(session: Session, eid: int, where: str) -> None:
    """The file's derived handover items must be exactly what reconciliation derives."""
    from transition.services import handover

    def titles() -> set[tuple[str, str]]:
        return {
            (key, title)
            for key, title in session.execute(
                select(HandoverItem.key, HandoverItem.title).where(
                    HandoverItem.engagement_id == eid, HandoverItem.source_kind.is_not(None)
                )
            )
        }

    before = titles()
    counts = handover.reconcile(session, session.get(Engagement, eid))
    retitled = len(before - titles())
    if any(counts.values()) or retitled:
        changed = ", ".join(f"{v} {k}" for k, v in counts.items() if v) or (f"{retitled} retitled")
        raise BadInput(
            f"{where}.handover_items: the derived items are not what "
            f"the grants, systems and runbooks derive ({changed}); nothing was imported"
        )


def _log_import(
    session: Session, eid: int, bundle: Bundle, mapping: dict[str, dict[int, int]], sha256: str
) -> None:
    """The file's events as their own segment of the log, then the ``import`` event."""
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
    info = audit.append_segment(session, events, file_hash=sha256)
    info["rows"] = sum(len(bundle[name]) for name in SECTIONS if name != "audit_events") + 1
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


def _without_id(row: Row) -> dict[str, Any]:
    out = _aware(row)
    out.pop("id", None)
    return out


def _aware(row: Row) -> dict[str, Any]:
    """A copy of ``row`` with naive timestamps read as UTC."""
    return {
        k: v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v
        for k, v in row.items()
    }
