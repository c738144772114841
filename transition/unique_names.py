"""What each table's unique constraints promise, as the refusal of a lost race names it
("… already exists (another change saved it a moment ago)"): table → the thing; and the
reading of a unique violation (which table, which columns) on either database."""

from __future__ import annotations

import re

from transition.errors import Refused

UNIQUE_WHAT: dict[str, str] = {
    "engagement": "an engagement with this name",
    "person": "a person with this name in this engagement",
    "system": "a system with this name in this engagement",
    "phase": "a phase with this key in this engagement",
    "task": "a task with this key in this engagement",
    "taskdependency": "this task dependency",
    "accessgrant": "an identical grant in force (same person, system and role)",
    "kt_session": "a KT session with this uid",
    "kt_participant": "this KT participant",
    "runbook": "a runbook for this system and template",
    "handover_item": "a handover item with this key in this engagement",
    "role_assignment": "this role held by this person",
    "system_person": "this owner, SME or backup of the system",
    "system_topic": "a topic with this title on the system",
    "system_dependency": "this system dependency",
    "meeting": "a meeting with this number or occurrence in this engagement",
    "raid_item": "a RAID entry with this number in this engagement",
    "raid_link": "this RAID link",
    "score_entry": "a score for this KPI, party and week",
    "exercise": "an exercise of this scenario on this day",
    "exercise_participant": "this exercise participant",
    "runbook_exercise": "this runbook exercise",
    "readiness_snapshot": "a readiness score for this day",
}

#: Keys of a table that promise something else than the one above: (table, a column of
#: the key) → the thing.
UNIQUE_WHAT_BY_COLUMN: dict[tuple[str, str], str] = {
    ("engagement", "exit_of_id"): "an exit engagement of this engagement",
    ("task", "position"): "a task at this place in its phase",
    ("handover_item", "position"): "an item at this place of the exit checklist",
}


_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?:index '[^']*'|([A-Za-z_]+)\.)")
_SQLITE_COLUMNS = re.compile(r"UNIQUE constraint failed: ((?:[A-Za-z_]+\.[A-Za-z_]+(?:, )?)+)")
_PG_COLUMNS = re.compile(r"Key \(([^)]*)\)=")
_PG_KEY = re.compile(r"Key \((?:engagement_id, )?[^)]*\)=\((?:\d+, )?(.*)\) already exists")


def unique_violation(exc: BaseException) -> str | None:
    """The table whose unique constraint ``exc`` broke (``"?"`` when the database does not
    say), or ``None`` when ``exc`` is not a unique violation."""
    orig = getattr(exc, "orig", exc)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:  # psycopg
        if sqlstate != "23505":
            return None
        diag = getattr(orig, "diag", None)
        return getattr(diag, "table_name", None) or "?"
    match = _SQLITE_UNIQUE.search(str(orig))
    if match is None:
        return None
    return match.group(1) or "?"


def unique_columns(exc: BaseException) -> tuple[str, ...]:
    """The columns of the unique key ``exc`` broke, as the database names them (empty
    when it does not say)."""
    orig = getattr(exc, "orig", exc)
    detail = getattr(getattr(orig, "diag", None), "message_detail", None)
    if detail:
        match = _PG_COLUMNS.search(detail)
        return tuple(c.strip().strip('"') for c in match.group(1).split(",")) if match else ()
    match = _SQLITE_COLUMNS.search(str(orig))
    if match is None:
        return ()
    return tuple(c.strip().rsplit(".", 1)[-1] for c in match.group(1).split(","))


def duplicate_refusal(exc: BaseException) -> Refused | None:
    """A lost race on a unique constraint, as a plain refusal (exit 1)."""
    table = unique_violation(exc)
    if table is None:
        return None
    columns = unique_columns(exc)
    what = next(
        (w for (t, column), w in UNIQUE_WHAT_BY_COLUMN.items() if t == table and column in columns),
        None,
    )
    if what is not None:
        return Refused(
            f"{what} already exists (another change saved it a moment ago); nothing was saved"
        )
    what = UNIQUE_WHAT.get(table, "a record with the same key")
    detail = getattr(getattr(getattr(exc, "orig", None), "diag", None), "message_detail", None)
    match = _PG_KEY.search(detail or "")
    if match and table in ("engagement", "person", "system", "task", "phase"):
        what = f"{what.split(' with ')[0]} {match.group(1)!r}" + (
            " in this engagement" if table != "engagement" else ""
        )
    return Refused(
        f"{what} already exists (another change saved it a moment ago); nothing was saved"
    )
