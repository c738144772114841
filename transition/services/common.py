"""Lookups by user-given name and the optimistic-locking helpers every service uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, SQLModel

from transition.errors import Conflict, Hint, NotFound, Refused
from transition.models import Engagement, Person, System, Task, Versioned
from transition.services import audit
from transition.text import legacy_slug, slugify

T = TypeVar("T", bound=SQLModel)
#: A table whose rows users name (looked up by the slug of the name).
Named = TypeVar("Named", Engagement, System, Person)
#: What a change did, field by field: ``{field: (before, after)}``.
Changes = dict[str, tuple[object, object]]

#: The largest id a row can have (a signed 64-bit integer on both backends).
MAX_ID = 2**63 - 1


# Lookups every command makes, built once (building and cache-keying a statement costs
# more than running it on an indexed column).
_ENGAGEMENT = select(Engagement).where(Engagement.slug == bindparam("slug"))
_SYSTEM = select(System).where(
    System.engagement_id == bindparam("eid"),
    System.slug == bindparam("slug"),
    System.removed_at.is_(None),
)
_PERSON = select(Person).where(
    Person.engagement_id == bindparam("eid"),
    Person.slug == bindparam("slug"),
    Person.removed_at.is_(None),
)
_TASK = select(Task).where(Task.engagement_id == bindparam("eid"), Task.key == bindparam("key"))


def _legacy_row(session: Session, model: Any, name: str, *where: Any) -> Any:
    """A row created by the first release, whose stored slug is the old ASCII-only slug of
    ``name`` (``"Иван Smith"`` → ``smith``, ``"C++"`` → ``c``). Only a row whose own name
    has the same slug as ``name`` today matches, so ``"Иван Smith"`` never finds ``Smith``."""
    slug, old = slugify(name), legacy_slug(name)
    if not old or old == slug:
        return None
    row = session.execute(select(model).where(model.slug == old, *where)).scalar_one_or_none()
    return row if row is not None and slugify(row.name) == slug else None


def find_named(
    session: Session, model: type[Named], name: str, *where: ColumnElement[bool]
) -> Named | None:
    """The row of ``model`` (Engagement, System, Person) whose slug is the slug of ``name``
    under ``where``, or one created by the first release under its old slug; or None."""
    row = session.execute(
        select(model).where(model.slug == slugify(name), *where)
    ).scalar_one_or_none()
    return row if row is not None else _legacy_row(session, model, name, *where)


def get_engagement(session: Session, name: str) -> Engagement:
    engagement = session.execute(_ENGAGEMENT, {"slug": slugify(name)}).scalar_one_or_none()
    if engagement is None:
        engagement = _legacy_row(session, Engagement, name)
    if engagement is None:
        raise NotFound(f"unknown engagement {name!r}")
    return engagement


#: What a service verb accepts as its engagement: the row, or the name the user typed.
EngagementRef = Engagement | str


def engagement_of(
    session: Session, engagement: EngagementRef, *, writable: bool | None = None
) -> Engagement:
    """The engagement a verb works on, given as the row or by the user's name for it.

    An archived engagement keeps everything and stays readable, but nothing changes it
    until it is unarchived: ``writable`` (default: whether the session is a writing unit
    of work) refuses it. Verbs that work on archived engagements on purpose (unarchive,
    delete) pass ``writable=False``."""
    row = engagement if isinstance(engagement, Engagement) else get_engagement(session, engagement)
    if writable is None:
        writable = session.info.get("write", True)
    if writable and row.archived_at is not None:
        raise archived(row.slug)
    return row


def archived(slug: str) -> Refused:
    """The refusal of any change to archived engagement ``slug`` (``engagement_of``; the
    TUI shows it as soon as a change is asked for, before any form opens)."""
    return Refused(
        f"engagement {slug} is archived",
        hint=Hint("unarchive", ": ", values=(("engagement", slug),)),
    )


def get_system(session: Session, engagement: Engagement, name: str) -> System:
    system = session.execute(
        _SYSTEM, {"eid": engagement.id, "slug": slugify(name)}
    ).scalar_one_or_none()
    if system is None:
        system = _legacy_row(
            session,
            System,
            name,
            System.engagement_id == engagement.id,
            System.removed_at.is_(None),
        )
    if system is None:
        raise NotFound(f"unknown system {name!r} in {engagement.slug}")
    return system


def get_person(session: Session, engagement: Engagement, name: str) -> Person:
    person = session.execute(
        _PERSON, {"eid": engagement.id, "slug": slugify(name)}
    ).scalar_one_or_none()
    if person is None:
        person = _legacy_row(
            session,
            Person,
            name,
            Person.engagement_id == engagement.id,
            Person.removed_at.is_(None),
        )
    if person is None:
        raise NotFound(f"unknown person {name!r} in {engagement.slug}")
    return person


def get_task(session: Session, engagement: Engagement, key: str) -> Task:
    task = session.execute(
        _TASK, {"eid": engagement.id, "key": key.strip().lower()}
    ).scalar_one_or_none()
    if task is None:
        raise NotFound(f"unknown task {key!r} in {engagement.slug}")
    return task


def row_id_of(row_id: int | str, what: str, engagement: Engagement) -> int:
    """A user-given id as a number a row of ``engagement`` could have, or NotFound."""
    try:
        ident = int(row_id)
    except (TypeError, ValueError):
        raise NotFound(f"invalid {what} id {row_id!r}: expected a number") from None
    if not 0 < ident <= MAX_ID:  # no row has it, and the database cannot even compare it
        raise NotFound(f"unknown {what} {row_id} in {engagement.slug}")
    return ident


def first_or_missing(session: Session, statement: Any, missing: str) -> Any:
    """The first row ``statement`` finds; NotFound with ``missing`` when there is none."""
    found = session.execute(statement).first()
    if found is None:
        raise NotFound(missing)
    return found


def view_columns(view: type[BaseModel], model: Any) -> list[Any]:
    """The columns of ``model`` that the read model ``view`` shows, in its field order:
    a view built from selected columns names them once, in its own fields."""
    table = model.__table__.columns
    return [getattr(model, name) for name in view.model_fields if name in table]


def get_by_id(
    session: Session, model: type[T], engagement: Engagement, row_id: int | str, what: str
) -> T:
    row = session.get(model, row_id_of(row_id, what, engagement))
    if row is None or row.engagement_id != engagement.id:  # type: ignore[attr-defined]
        raise NotFound(f"unknown {what} {row_id} in {engagement.slug}")
    return row


def check_version(
    session: Session, row: Versioned, expected: int | None, entity: str, label: str
) -> None:
    """Refuse a change based on a stale read, naming who changed the row and how."""
    if expected is None:
        return
    current = row.version
    if session.get_bind().dialect.name == "postgresql":
        # Lock the row and read its committed version: a writer that committed since this
        # session loaded the row is named below instead of failing later as a stale UPDATE.
        table = type(row).__table__
        current = session.execute(
            select(table.c.version).where(table.c.id == row.id).with_for_update()
        ).scalar_one()
    if current == expected:
        return
    raise Conflict(_changed_by(session, entity, row.id, label))


def _changed_by(session: Session, entity: str, row_id: int, label: str) -> str:
    last = audit.last_change(session, entity, row_id)
    if last:
        fields = last.get("changes") or (
            [(last["field"], last["before"], last["after"])] if last["field"] else []
        )
        what = "; ".join(f"{f}: {b} → {a}" for f, b, a in fields)
        what = f" ({what})" if what else ""
        who = f"{last['actor']} at {last['at']:%Y-%m-%d %H:%M}{what}"
    else:
        who = "another session"
    return (
        f"{entity} {label} was changed by {who} since you read it; nothing was saved, "
        "reload and try again"
    )


def apply_changes(
    session: Session,
    row: Versioned,
    engagement_id: int | None,
    entity: str,
    values: Mapping[str, object],
    action: str = "update",
) -> Changes:
    """Set ``values`` on ``row`` and write one audit event per field that really changed."""
    changed: Changes = {}
    for field, new in values.items():
        old = getattr(row, field)
        if old != new:
            changed[field] = (old, new)
            setattr(row, field, new)
    if changed:
        session.add(row)
        row_id = row.id
        label = getattr(row, "key", None) or getattr(row, "slug", None) or str(row_id)
        try:
            session.flush()
        except StaleDataError:
            # Another writer committed this row between our read and our UPDATE.
            session.rollback()
            raise Conflict(_changed_by(session, entity, row_id, label)) from None
        audit.record_fields(session, engagement_id, entity, row.id, changed, action=action)
    return changed


def dialect_insert(session: Session) -> Any:
    """The ``insert`` of the session's database, for ``ON CONFLICT`` (PostgreSQL's or
    SQLite's): its dialect module is loaded when first used, not by every command."""
    from importlib import import_module

    name = session.get_bind().dialect.name
    return import_module(f"sqlalchemy.dialects.{name}").insert


def take_turn(session: Session) -> None:
    """Queue behind the writers of the audit log (PostgreSQL: its lock, held by each until
    it commits; SQLite: a writer holds the database already): what is read from now on
    is what they committed, and no one else writes until this change commits. Numbers
    and places handed out (the next task of a phase, a meeting's number) are read after
    it, so two writers at once never take the same one."""
    audit._last_hash(session)


def next_position(session: Session, column: Any, *where: ColumnElement[bool]) -> int:
    """The next free place (``column``: a ``position``) among the rows ``where`` picks,
    read in turn (``take_turn``); the unique index on the place backs it."""
    from sqlalchemy import func

    take_turn(session)
    last = session.execute(select(func.coalesce(func.max(column), -1)).where(*where))
    return int(last.scalar_one()) + 1


def add_unique(session: Session, row: Any) -> bool:
    """Add ``row`` in a savepoint (flushed there): False, with nothing left pending, when
    a unique constraint already holds its key (another writer saved one since the checks
    made before); any other integrity error is raised."""
    from sqlalchemy.exc import IntegrityError

    from transition.unique_names import unique_violation

    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        if unique_violation(exc) is None:
            raise
        return False
    return True
