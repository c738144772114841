"""Changing an engagement after it started: its details, calendar and time zone; archiving
it (it keeps everything and stays readable, but nothing changes it); deleting it for good
after a final export."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy import delete as sql_delete
from sqlmodel import Session, SQLModel

from transition import models
from transition.dates import utcnow
from transition.errors import BadInput, Refused, about
from transition.models import Engagement
from transition.services import audit
from transition.services.common import (
    Changes,
    EngagementRef,
    apply_changes,
    check_version,
    engagement_of,
    find_named,
)
from transition.services.views.engagements import (
    EngagementChange,
    EngagementDeleted,
    EngagementSettings,
    FieldChange,
)
from transition.text import clean_name, field_limit, slugify

#: What clears an optional setting (``--calendar none``, ``--timezone none``).
NONE = ("", "none")


def field_changes(changed: Changes) -> list[FieldChange]:
    """``{field: (before, after)}`` as the views list it: each value as the log shows it."""
    return [
        FieldChange(field=field, before=audit._text(before), after=audit._text(after))
        for field, (before, after) in changed.items()
    ]


def _change_view(engagement: Engagement, changed: Changes) -> EngagementChange:
    from transition.dates import utc

    archived = engagement.archived_at
    return EngagementChange(
        name=engagement.name,
        slug=engagement.slug,
        archived_at=utc(archived) if archived is not None else None,
        version=engagement.version,
        changes=field_changes(changed),
    )


def _optional(value: str, check: Any, field: str) -> str | None:
    """A calendar code or time zone as typed, checked; ``none`` (or nothing) clears it."""
    with about(field):
        if value.strip().lower() in NONE:
            return None
        return check(value)


def _optional_date(value: str | date, field: str, what: str) -> date | None:
    """A date as typed (ISO) or given, checked; ``none`` (or nothing) clears it."""
    from transition.dates import check_range, parse_date

    with about(field):
        if isinstance(value, date):
            check_range(value, what)
            return value
        if value.strip().lower() in NONE:
            return None
        return parse_date(value, what)


def update(
    session: Session,
    engagement: EngagementRef,
    *,
    name: str | None = None,
    client: str | None = None,
    incumbent: str | None = None,
    provider: str | None = None,
    model: str | None = None,
    location: str | None = None,
    calendar: str | None = None,
    timezone: str | None = None,
    workweek: str | None = None,
    notice: str | date | None = None,
    exit: str | date | None = None,  # noqa: A002 (the option's name)
    expected_version: int | None = None,
) -> EngagementChange:
    """Change an engagement's details (None leaves a field as it is). A new name gives a
    new slug, refused if another engagement has it. ``calendar`` (``GB-ENG``) and
    ``timezone`` (``Europe/Berlin``) take ``none`` to clear; ``workweek`` is ``mon-fri``,
    ``sun-thu``… ``notice`` and ``exit`` (ISO dates, ``none`` clears) are the client's
    notice of exit and the exit date; the notice cannot come after the exit. Each changed
    field is one audit event; a stale ``expected_version`` is
    refused naming who changed the engagement."""
    from transition import workdays
    from transition.services.engagements import _detail

    eng = engagement_of(session, engagement)
    values: dict[str, Any] = {}
    if name is not None:
        with about("name"):
            name = clean_name(name, "engagement name", field_limit(Engagement, "name"))
        other = find_named(session, Engagement, name, Engagement.id != eng.id)
        if other is not None:
            raise Refused(
                f"engagement name {name!r} has the slug {other.slug!r} of the engagement "
                f"{other.name!r}: choose another name",
                field="name",
            )
        values.update(name=name, slug=slugify(name))
    for field, value in (
        ("client", client),
        ("incumbent", incumbent),
        ("provider", provider),
        ("model", model),
        ("location", location),
    ):
        if value is not None:
            values[field] = _detail(field, value)
    if calendar is not None:
        values["calendar"] = _optional(calendar, workdays.check_code, "calendar")
    if timezone is not None:
        values["timezone"] = _optional(timezone, workdays.check_zone, "timezone")
    if workweek is not None:
        with about("workweek"):
            values["workweek"] = workdays.parse_workweek(workweek)
    for column, field, value, what in (
        ("notice_date", "notice", notice, "notice date"),
        ("exit_date", "exit", exit, "exit date"),
    ):
        if value is not None:
            values[column] = _optional_date(value, field, what)
    notice_on = values.get("notice_date", eng.notice_date)
    exit_on = values.get("exit_date", eng.exit_date)
    if notice_on is not None and exit_on is not None and notice_on > exit_on:
        raise BadInput(
            f"the notice date {notice_on.isoformat()} is after the exit date "
            f"{exit_on.isoformat()}: notice is given before the exit",
            field="notice" if "notice_date" in values else "exit",
        )
    check_version(session, eng, expected_version, "engagement", eng.slug)
    changed = apply_changes(session, eng, eng.id, "engagement", values)
    if "calendar" in changed or "workweek" in changed:
        # Dates laid in working days (``+Nbd``) follow the new calendar, in this transaction.
        from transition.services.plan import relay_all

        relay_all(session, eng)
    if {"calendar", "workweek", "timezone", "exit_date"} & set(changed):
        from transition.services import meetings  # their wall times and last day follow

        meetings.sync(session, eng)
    return _change_view(eng, changed)


def settings(session: Session, engagement: EngagementRef) -> EngagementSettings:
    """The engagement's editable fields as stored, for a form (read at ``version``)."""
    from transition.dates import utc
    from transition.workdays import WEEKDAYS

    eng = engagement_of(session, engagement, writable=False)
    days = [WEEKDAYS[int(d)] for d in eng.workweek.split(",") if d.strip().isdigit()]
    return EngagementSettings(
        name=eng.name,
        slug=eng.slug,
        client=eng.client,
        incumbent=eng.incumbent,
        provider=eng.provider,
        model=eng.model,
        location=eng.location,
        calendar=eng.calendar,
        timezone=eng.timezone,
        workweek=",".join(days),
        notice_date=eng.notice_date,
        exit_date=eng.exit_date,
        archived_at=utc(eng.archived_at) if eng.archived_at is not None else None,
        version=eng.version,
    )


def archive(
    session: Session, engagement: EngagementRef, *, expected_version: int | None = None
) -> EngagementChange:
    """Archive an engagement: it leaves lists, the dashboard and the palette but keeps
    everything, stays readable by name, and refuses every change until unarchived."""
    eng = engagement_of(session, engagement, writable=False)
    if eng.archived_at is not None:
        raise Refused(f"engagement {eng.slug} is archived already")
    check_version(session, eng, expected_version, "engagement", eng.slug)
    changed = apply_changes(
        session, eng, eng.id, "engagement", {"archived_at": utcnow()}, action="archive"
    )
    return _change_view(eng, changed)


def unarchive(
    session: Session, engagement: EngagementRef, *, expected_version: int | None = None
) -> EngagementChange:
    """Bring an archived engagement back into lists; it can be changed again."""
    eng = engagement_of(session, engagement, writable=False)
    if eng.archived_at is None:
        raise Refused(f"engagement {eng.slug} is not archived")
    check_version(session, eng, expected_version, "engagement", eng.slug)
    changed = apply_changes(
        session, eng, eng.id, "engagement", {"archived_at": None}, action="unarchive"
    )
    return _change_view(eng, changed)


def export_folder(session: Session) -> Path:
    """Where a deleted engagement's final export goes: beside the database file for
    SQLite, else (PostgreSQL) in the user's data directory."""
    url = session.get_bind().url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).expanduser().resolve().parent
    from transition.settings import get_settings

    folder = get_settings().data_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _delete_rows(session: Session, engagement_id: int) -> int:
    """Every row of the engagement, children first, whatever the tables; its audit
    events stay (the log is append-only)."""
    models.load_all()
    tables: list[Table] = list(SQLModel.metadata.sorted_tables)
    owned = {t.name for t in tables if "engagement_id" in t.c and t.name != "audit_event"}
    deleted = 0
    for table in reversed(tables):
        if table.name == "audit_event":
            continue
        if table.name == "engagement":
            where = table.c.id == engagement_id
        elif table.name in owned:
            where = table.c.engagement_id == engagement_id
        else:  # a link table: its rows hang off rows of the engagement
            links = [
                fk.parent.in_(
                    select(fk.column.table.c.id).where(
                        fk.column.table.c.engagement_id == engagement_id
                    )
                )
                for fk in table.foreign_keys
                if fk.column.table.name in owned
            ]
            if not links:
                continue
            from sqlalchemy import or_

            where = or_(*links)
        deleted += session.execute(sql_delete(table).where(where)).rowcount or 0
    return deleted


def _unlink_exit(session: Session, eid: int, slug: str) -> None:
    """An exit of the deleted engagement keeps no link to an id that may be reused."""
    from sqlalchemy import update as sql_update

    exits = session.execute(select(Engagement.id).where(Engagement.exit_of_id == eid)).scalars()
    for exit_id in list(exits):
        session.execute(
            sql_update(Engagement).where(Engagement.id == exit_id).values(exit_of_id=None)
        )
        audit.record(session, exit_id, "engagement", exit_id, "update", "exit_of", slug, None)


def delete(session: Session, engagement: EngagementRef, *, confirm: str) -> EngagementDeleted:
    """Delete an archived engagement and every row of it, after writing its final export
    (mode 0600) to ``export_folder``. ``confirm`` must be its slug. Its audit events stay,
    with a ``delete`` event naming the export. The export is written before the rows go,
    in the same unit of work: if anything fails the engagement is still there."""
    from transition.files import write_file
    from transition.services import transfer

    eng = engagement_of(session, engagement, writable=False)
    if eng.archived_at is None:
        raise Refused(
            f"engagement {eng.slug} is not archived: archive it first "
            f"(transition engagement archive {eng.slug})"
        )
    if confirm.strip() != eng.slug:
        raise Refused(
            f"--confirm {confirm!r} does not match: give the engagement's slug {eng.slug!r}",
            field="confirm",
        )
    slug, name, eid = eng.slug, eng.name, eng.id
    document = transfer.export_data(session, eng)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
    path = export_folder(session) / f"{slug}-deleted-{stamp}.json"
    write_file(path, transfer.dumps(document), replace=False)
    session.expunge_all()
    rows = _delete_rows(session, eid)
    _unlink_exit(session, eid, slug)
    left = session.execute(
        select(func.count()).select_from(Engagement).where(Engagement.id == eid)
    ).scalar_one()
    if left:  # pragma: no cover - the delete above always takes it
        raise Refused(f"engagement {slug} could not be deleted")
    audit.record(session, eid, "engagement", eid, "delete", "export", None, str(path))
    return EngagementDeleted(name=name, slug=slug, rows=rows, export_path=str(path))
