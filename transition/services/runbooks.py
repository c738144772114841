"""Runbooks: skeletons generated from templates per system, and how finished each one is.

``generate`` renders a template with what the database knows (engagement, system, owners,
escalation contacts) plus ``--set`` values and writes ``<out>/<system-slug>/<template>.md``.
The path is built from slugs only and checked after resolving, so no system or template
name (``../``, absolute paths, control characters, symlinks) can write outside ``out``.
An existing file or runbook is never replaced without ``force``.

Lifecycle ``drafted`` → ``reviewed`` → ``validated`` (exercised during the parallel run) →
``accepted``, one step forward at a time; anything else needs ``force`` and a written
reason, which goes into the audit log. Completion is also measured on disk: the
``[[FILL: …]]`` markers left in the file against those in the fresh skeleton.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlmodel import Session

from transition.dates import today, utcnow
from transition.errors import BadInput, NotFound, Refused
from transition.guard import no_secrets
from transition.models import Engagement, Person, Runbook, System
from transition.services import audit, handover
from transition.services.common import apply_changes, check_version, get_by_id
from transition.text import clean_text, is_slug, slugify

STATUSES = ("drafted", "reviewed", "validated", "accepted")
ENTITY = "runbook"
PLACEHOLDER = "[[FILL:"
MAX_READ = 8 * 1024 * 1024
SIDE_ORDER = {"provider": 0, "incumbent": 1, "client": 2}
#: Variables the generator fills from the database; ``--set`` cannot replace them.
BUILTIN = (
    "engagement",
    "system",
    "incumbent_owner",
    "provider_owner",
    "escalation",
    "generated_on",
    "template",
)
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_HINTS = {
    "incumbent_owner": "no incumbent person on the engagement: add one with "
    "`transition person add ENG NAME --side incumbent`",
    "provider_owner": "no provider person on the engagement: add one with "
    "`transition person add ENG NAME --side provider`",
}


# Built once from plain Core columns: generating many skeletons in one process should
# neither rebuild them each time nor load anything into the session's identity map.
_P, _R, _S = Person.__table__, Runbook.__table__, System.__table__
_PEOPLE = select(_P.c.slug, _P.c.name, _P.c.side, _P.c.role, _P.c.email).where(
    _P.c.engagement_id == bindparam("eid"),
    _P.c.release_date.is_(None) | (_P.c.release_date >= bindparam("day")),
)
_INSERT = insert(_R)
# The system and its runbook from this template, if any, in one statement.
_SYSTEM_RUNBOOK = (
    select(
        _S.c.id,
        _S.c.name,
        _S.c.slug,
        _S.c.tier,
        _R.c.id.label("runbook_id"),
        _R.c.status.label("runbook_status"),
        _R.c.path.label("runbook_path"),
        _R.c.skeleton.label("runbook_skeleton"),
    )
    .select_from(
        _S.outerjoin(_R, (_R.c.system_id == _S.c.id) & (_R.c.template == bindparam("template")))
    )
    .where(
        _S.c.engagement_id == bindparam("eid"),
        _S.c.slug == bindparam("slug"),
        _S.c.removed_at.is_(None),
    )
)


def _system_and_runbook(session: Session, engagement: Engagement, name: str, template: str) -> Any:
    """The active system called ``name`` (matched as ``common.get_system`` does) with the
    id, status and path of its runbook from ``template`` (None when there is none)."""
    session.flush()
    row = (
        session.connection()
        .execute(
            _SYSTEM_RUNBOOK, {"eid": engagement.id, "slug": slugify(name), "template": template}
        )
        .first()
    )
    if row is None:
        raise NotFound(f"unknown system {name!r} in {engagement.slug}")
    return row


def parse_sets(values: Iterable[str]) -> dict[str, str]:
    """``["rto=4h", "bridge=https://…"]`` → a dict; every malformed one named at once."""
    out: dict[str, str] = {}
    bad: list[str] = []
    for raw in values:
        key, sep, value = raw.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key):
            bad.append(raw)
            continue
        out[key] = value
    if bad:
        raise BadInput(
            f"invalid --set {', '.join(map(repr, bad))}: expected NAME=VALUE with NAME made "
            "of letters, digits and underscores"
        )
    return out


def _role_rank(role: str | None) -> int:
    text = (role or "").lower()
    if "owner" in text:
        return 0
    if "lead" in text:
        return 1
    return 2


def context(session: Session, engagement: Engagement, system: Any) -> dict[str, Any]:
    """What every template can use, from the database (one query for the people).
    ``system``: anything with ``name``, ``slug`` and ``tier`` (a System or a row)."""
    from transition.templates import Record, UserText

    def typed(value: str | None) -> UserText | None:
        return None if value is None else UserText(value)

    day = today()
    session.flush()
    people = session.connection().execute(_PEOPLE, {"eid": engagement.id, "day": day}).all()
    people.sort(key=lambda p: (SIDE_ORDER.get(p.side, 3), _role_rank(p.role), p.slug))
    records = [
        Record(
            name=typed(p.name),
            slug=p.slug,
            side=p.side,
            role=typed(p.role),
            email=typed(p.email),
        )
        for p in people
    ]

    def owner(side: str) -> Any:
        return next((r for r in records if r.side == side), None)

    return {
        "engagement": Record(
            name=typed(engagement.name),
            slug=engagement.slug,
            client=typed(engagement.client),
            incumbent=typed(engagement.incumbent),
            provider=typed(engagement.provider),
            model=engagement.model,
            location=engagement.location,
            start=engagement.start_date.isoformat(),
        ),
        "system": Record(name=typed(system.name), slug=system.slug, tier=system.tier),
        "incumbent_owner": owner("incumbent"),
        "provider_owner": owner("provider"),
        "escalation": records,
        "generated_on": day.isoformat(),
    }


def _target(out_dir: Path | str, system_slug: str, template: str) -> tuple[Path, Path]:
    """``(out folder resolved, file path)``; refuses anything that would leave the folder."""
    folder_name = slugify(system_slug)
    if not is_slug(folder_name):
        raise BadInput(f"system {system_slug!r} gives no usable folder name")
    if not _SLUG.match(template):
        raise BadInput(f"invalid template name {template!r}")
    base = Path(out_dir).expanduser()
    if base.exists() and not base.is_dir():
        raise BadInput(f"output folder {str(out_dir)!r} exists and is not a folder")
    base = _resolve(base)
    target = base / folder_name / f"{template}.md"
    _inside(base, target)
    return base, target


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop
        raise BadInput(f"cannot use {path}: {getattr(exc, 'strerror', None) or exc}") from None


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BadInput(f"cannot use {path}: {exc.strerror or exc}") from None


def _inside(base: Path, target: Path) -> bool:
    """Refuse ``target`` (``base/<slug>/<slug>.md``, ``base`` resolved) if writing it
    could land outside ``base``. Both names are slugs (no separators, no dots), so only a
    symbolic link can lead out: the system folder as a link is followed and must stay
    inside; the file itself as a link is always refused. True when the folder exists."""
    folder = target.parent
    found = _lstat(folder)
    if found is not None and stat.S_ISLNK(found.st_mode):
        real = _resolve(folder)
        if not real.is_relative_to(base):
            raise BadInput(
                f"refusing to write {target}: it resolves outside the output folder {base} "
                "(through a symbolic link?)"
            )
        found = _lstat(real)
    if found is None:
        return False
    if not stat.S_ISDIR(found.st_mode):
        raise BadInput(f"{folder} exists and is not a folder")
    file = _lstat(target)
    if file is not None and stat.S_ISLNK(file.st_mode):
        raise BadInput(f"{target} is a symbolic link; refusing to write through it")
    if file is not None and not stat.S_ISREG(file.st_mode):
        raise BadInput(f"{target} exists and is not a file")
    return True


def _write(base: Path, target: Path, text: str, *, force: bool) -> None:
    """Write the file through the one atomic writer (``transition.files``), readable by
    the team (runbooks are committed and shared). Without ``force`` an existing one is
    never replaced, not even one that appears meanwhile."""
    from transition.files import SHARED, write_file

    try:
        if not _inside(base, target):
            target.parent.mkdir(parents=True, exist_ok=True)
            _inside(base, target)  # again, now that the folder exists
    except OSError as exc:
        raise BadInput(f"cannot write {target}: {exc.strerror or exc}") from None
    write_file(target, text, mode=SHARED, replace=force)


def _read_existing(path: Path) -> bytes | None:
    """The regular file now at ``path`` (None when there is none)."""
    if _lstat(path) is None:
        return None
    data = _read_regular(path, MAX_READ + 1)
    if data is None:
        raise BadInput(f"cannot read {path}: not a readable regular file")
    return data


def _lines_differ(old: str, new: str) -> int:
    """How many lines an edit changed (added, removed or replaced), as a diff counts."""
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    return sum(
        max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"
    )


def generate(
    session: Session,
    engagement: Engagement,
    *,
    system: str,
    template: str,
    out_dir: Path | str = Path("runbooks"),
    sets: Mapping[str, str] | None = None,
    dry_run: bool = False,
    force: bool = False,
    discard_edits: bool = False,
    template_dirs: Iterable[str | Path] = (),
) -> dict[str, Any]:
    """Render a runbook skeleton for ``system`` from ``template``, write it and record it
    (status drafted) with the skeleton text. ``dry_run`` returns the text and changes
    nothing.

    ``force`` regenerates an existing runbook or file, but never loses work: a file that
    differs from the skeleton it was generated from (people filled it in) is refused
    unless ``discard_edits``, which keeps the old file beside the new one as
    ``NAME.md.orig``. An accepted runbook is never sent back to drafted: regenerating it
    is refused, unless the skeleton is exactly the file there, which is then left as it
    is (status kept). Reviewed and validated ones go back to drafted."""
    from transition import templates

    if discard_edits and not force:
        raise BadInput("--discard-edits goes with --force")
    sets = dict(sets or {})
    name = templates.check_name(template)
    target_system = _system_and_runbook(session, engagement, system, name)
    existing_id = target_system.runbook_id
    base, path = _target(out_dir, target_system.slug, name)
    dirs = templates.search_dirs(template_dirs)
    info = templates.get(name, dirs=dirs)

    clash = sorted(k for k in sets if k in BUILTIN)
    if clash:
        raise BadInput(f"--set {', '.join(clash)}: filled from the database, cannot be set by hand")
    if sets:
        known = set(info.variables) | templates.referenced_variables(info, dirs)
        unknown = sorted(k for k in sets if k not in known)
        if unknown:
            declared = ", ".join(v for v in info.variables if v not in BUILTIN) or "none"
            raise BadInput(
                f"--set {', '.join(unknown)}: template {name} does not use "
                f"{'this variable' if len(unknown) == 1 else 'these variables'} "
                f"(it declares: {declared})"
            )
        for key, value in sets.items():
            no_secrets(clean_text(value, f"--set {key}"), f"--set {key}")

    if existing_id is not None and not force:
        raise Refused(
            f"runbook #{existing_id} ({name} for {target_system.name}, "
            f"{target_system.runbook_status}) already exists at {target_system.runbook_path}; "
            "use --force to regenerate it"
        )
    if path.exists() and not force:
        raise Refused(f"{path} already exists; use --force to overwrite")

    values = context(session, engagement, target_system)
    values["template"] = templates.Record(name=info.name, title=info.title)
    values.update(sets)
    text = templates.render(info, values, dirs, hints=_HINTS, provided=BUILTIN)
    count = templates.count_placeholders(text)
    result: dict[str, Any] = {
        "id": existing_id,
        "system": target_system.name,
        "system_slug": target_system.slug,
        "template": name,
        "title": info.title,
        "path": str(path),
        "status": "drafted",
        "placeholders": count,
        "dry_run": dry_run,
        "regenerated": existing_id is not None,
    }
    if dry_run:
        result["text"] = text
        return result

    on_disk = _read_existing(path) if _inside(base, path) else None
    status = target_system.runbook_status
    if existing_id is not None and status == "accepted":
        if on_disk == text.encode("utf-8") and target_system.runbook_path == str(path):
            result.update(status=status, unchanged=True, id=existing_id)
            return result  # nothing to regenerate: the file is the skeleton, status kept
        raise Refused(
            f"runbook #{existing_id} ({name} for {target_system.name}) is {status}; "
            "regenerating it would send it back to drafted: move it back first with "
            f"`transition runbook status {engagement.slug} {existing_id} drafted --force "
            "--reason TEXT`"
        )
    keep_old = False
    if on_disk is not None:
        # The skeleton this file was generated from: the one recorded with the runbook
        # when it was generated at this path. Rows from before the skeleton was recorded
        # (and files no runbook recorded) have none: the file then counts as edited
        # unless it equals a fresh rendering.
        recorded = None
        if existing_id is not None and target_system.runbook_path == str(path):
            recorded = target_system.runbook_skeleton
        base_text = text if recorded is None else recorded
        if on_disk != base_text.encode("utf-8"):
            if not discard_edits:
                n = _lines_differ(base_text, on_disk.decode("utf-8", errors="replace"))
                raise Refused(
                    f"{path}: the file has been edited: "
                    f"{n} line{'s differ' if n != 1 else ' differs'} "
                    "from its generated skeleton; use --force --discard-edits to "
                    f"overwrite it (the old file is kept as {path.name}.orig)"
                )
            keep_old = True

    if existing_id is None:
        session.flush()
        row_id = (
            session.connection()
            .execute(
                _INSERT,
                {
                    "engagement_id": engagement.id,
                    "system_id": target_system.id,
                    "template": name,
                    "title": info.title,
                    "path": str(path),
                    "status": "drafted",
                    "skeleton_placeholders": count,
                    "skeleton": text,
                    "created_at": utcnow(),
                    "created_by": audit.actor(session),
                    "version": 1,
                },
            )
            .inserted_primary_key[0]
        )
        events = [
            audit.Change(ENTITY, row_id, "create", "template", None, name),
            audit.Change(ENTITY, row_id, "create", "system", None, target_system.slug),
            audit.Change(ENTITY, row_id, "create", "path", None, str(path)),
            audit.Change(ENTITY, row_id, "create", "status", None, "drafted"),
            audit.Change(ENTITY, row_id, "create", "skeleton_placeholders", None, count),
        ]
        title = handover.runbook_item_title(info.title, target_system.name)
        handover.derive_new(session, engagement, "runbook", row_id, title, events=events)
    else:
        row_id = existing_id
        changed = apply_changes(
            session,
            session.get(Runbook, existing_id),
            engagement.id,
            ENTITY,
            {
                "title": info.title,
                "path": str(path),
                "status": "drafted",
                "skeleton_placeholders": count,
            },
            action="regenerate",
        )
        row = session.get(Runbook, existing_id)
        row.skeleton = text  # the text itself is not audited: the regenerate event is
        session.add(row)
        events = [] if changed else [audit.Change(ENTITY, row_id, "regenerate", "path", None, path)]
        handover.reconcile(session, engagement, runbooks=[row_id], events=events)
    if keep_old:
        from transition.files import SHARED, write_file

        orig = path.with_name(path.name + ".orig")
        found = _lstat(orig)  # anything but a regular file is refused by write_file
        if found is not None and stat.S_ISREG(found.st_mode) and _read_existing(orig) != on_disk:
            raise Refused(
                f"{orig} already exists (kept by an earlier --discard-edits); move it away "
                "first so that it is not lost"
            )
        write_file(orig, on_disk, mode=SHARED)
        result["kept"] = str(orig)
    _write(base, path, text, force=force)
    result["id"] = row_id
    return result


def _read_regular(path: str | Path, limit: int) -> bytes | None:
    """Up to ``limit`` bytes of a regular file; None for anything else (a FIFO or device is
    never read, so it cannot block) or when it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            return handle.read(limit)
    except OSError:
        return None
    finally:
        if fd >= 0:
            os.close(fd)


def _count_on_disk(path: str) -> int | None:
    """``[[FILL:`` markers in the file now, or None when it cannot be read."""
    data = _read_regular(path, MAX_READ)
    if data is None:
        return None
    return data.decode("utf-8", errors="replace").count(PLACEHOLDER)


def list_runbooks(session: Session, engagement: Engagement) -> list[dict[str, Any]]:
    """Every runbook of the engagement's systems in scope, with its fill ratio read from
    disk (one query; a missing file is reported, never an error)."""
    rows = session.execute(
        select(
            Runbook.id,
            Runbook.template,
            Runbook.title,
            Runbook.status,
            Runbook.path,
            Runbook.skeleton_placeholders,
            Runbook.created_at,
            Runbook.created_by,
            Runbook.version,
            System.name.label("system"),
            System.slug.label("system_slug"),
            System.tier,
        )
        .join(System, System.id == Runbook.system_id)
        .where(Runbook.engagement_id == engagement.id, System.removed_at.is_(None))
        .order_by(System.tier, System.slug, Runbook.template, Runbook.id)
    ).all()
    out = []
    for r in rows:
        total = r.skeleton_placeholders or 0
        left = _count_on_disk(r.path)
        if left is None:
            ratio = None
        elif total == 0:
            ratio = 1.0
        else:
            ratio = round(min(1.0, max(0.0, 1 - left / total)), 4)
        out.append(
            {
                "id": r.id,
                "system": r.system,
                "system_slug": r.system_slug,
                "tier": r.tier,
                "template": r.template,
                "title": r.title,
                "status": r.status,
                "path": r.path,
                "placeholders_total": total,
                "placeholders_left": left,
                "fill_ratio": ratio,
                "file_missing": left is None,
                "created_at": r.created_at,
                "created_by": r.created_by,
                "version": r.version,
            }
        )
    return out


def _why(old: str, new: str) -> str:
    if old not in STATUSES:
        return f"moving it from {old} to {new} is not a lifecycle step"
    a, b = STATUSES.index(old), STATUSES.index(new)
    if b < a:
        return f"going back to {new} is not allowed"
    return f"moving it to {new} skips {', '.join(STATUSES[a + 1 : b])}"


def _next_step(old: str) -> str:
    nxt = STATUSES[STATUSES.index(old) + 1] if old in STATUSES[:-1] else None
    hint = f"the next step is {nxt}, or " if nxt else ""
    return f"{hint}use --force --reason TEXT to do it anyway"


def set_status(
    session: Session,
    engagement: Engagement,
    runbook_id: int | str,
    status: str,
    *,
    force: bool = False,
    reason: str | None = None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Move a runbook one step along drafted → reviewed → validated → accepted. Skipping
    a step or going back needs ``force`` and a written reason (kept in the audit log)."""
    new = (status or "").strip().lower()
    if new not in STATUSES:
        raise BadInput(f"invalid runbook status {status!r}: choose one of {', '.join(STATUSES)}")
    reason = no_secrets(clean_text(reason or "", "the reason"), "the reason") or None
    if force and not reason:
        raise BadInput("--force needs a written --reason")
    row = get_by_id(session, Runbook, engagement, runbook_id, "runbook")
    check_version(session, row, expected_version, ENTITY, str(row.id))
    old = row.status
    result: dict[str, Any] = {
        "id": row.id,
        "from": old,
        "to": new,
        "changed": old != new,
        "forced": False,
        "reason": reason,
        "version": row.version,
    }
    if old == new:
        return result
    one_step = old in STATUSES and STATUSES.index(new) - STATUSES.index(old) == 1
    if not one_step:
        if not force:
            raise Refused(f"runbook #{row.id} is {old}; {_why(old, new)}; {_next_step(old)}")
        result["forced"] = True
    action = "force-status" if result["forced"] else "status"
    apply_changes(session, row, engagement.id, ENTITY, {"status": new}, action=action)
    if reason:
        audit.record(session, engagement.id, ENTITY, row.id, action, "reason", None, reason)
    handover.reconcile(session, engagement, runbooks=[row.id])
    result["version"] = row.version
    return result
