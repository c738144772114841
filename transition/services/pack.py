"""The hand-back pack: everything an exit needs, as files, with a manifest of hashes.

``write_pack`` builds the files of every part (``pack_parts.PARTS``: the access ledger,
runbooks with their text, the KT record, the exit checklist, the status report, the full
export) and a ``manifest.json`` naming the engagement, when the pack was generated, the
program and schema versions and the SHA-256 and size of every file. The pack is a folder
(mode 0700, files 0600) or, for a target ending in ``.zip``, one zip file (0600) whose
entries are sorted and carry a fixed timestamp: the same state gives the same files, only
the manifest's ``generated_at`` differs (times in the files are the state's own,
``state_at``: the engagement's newest audit event).

Writing is atomic: the folder is built beside the target under a temporary name and
renamed into place (the zip through ``files.write_file``), so a failure leaves the target
as it was. An existing target that is not empty is refused without ``force``; with it, a
folder is replaced only when it holds a pack (never a folder of other files).

``verify_pack`` recomputes every hash and refuses (exit 1) naming each file that changed,
is missing or was added. Reading the state is a fixed number of queries whatever the row
count (each part's own, plus one).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from transition.errors import BadInput, Refused, about
from transition.files import no_folder
from transition.services.common import EngagementRef, engagement_of
from transition.services.pack_parts import PARTS, Files, PackContext, state_at
from transition.services.pack_raid import raid_log
from transition.services.views.pack import PackFile, PackVerified, PackWritten

__all__ = ["MANIFEST", "PARTS", "PackVerified", "PackWritten", "build", "verify_pack", "write_pack"]

FORMAT = "transition-handover-pack"
MANIFEST = "manifest.json"
FILE_MODE = 0o600
DIR_MODE = 0o700
#: Zip entries' timestamp: the earliest a zip can hold, the same for every pack.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CHUNK = 1 << 20


def is_zip(target: Path | str) -> bool:
    """A target ending in ``.zip`` is written as one zip file, anything else a folder."""
    return str(target).lower().endswith(".zip")


# --------------------------------------------------------------------------- building


def build(session: Session, engagement: EngagementRef) -> tuple[Files, datetime]:
    """Every file of the pack but the manifest (sorted by path), and ``state_at``."""
    eng = engagement_of(session, engagement, writable=False)
    ctx = PackContext(session=session, engagement=eng, state_at=state_at(session, eng))
    files: Files = {}
    for part in (*PARTS, raid_log):
        for name, data in part(ctx).items():
            _check_name(name)
            if name in files or name == MANIFEST:
                raise ValueError(f"pack part {part.__name__} writes {name} a second time")
            files[name] = data
    return dict(sorted(files.items())), ctx.state_at


def _check_name(name: str) -> None:
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"pack file name {name!r} is not a plain relative path")


def _manifest(slug: str, name: str, files: Files, generated_at: datetime, at: datetime) -> bytes:
    from transition import __version__
    from transition.db import SCHEMA_HEAD
    from transition.services.transfer import SCHEMA_VERSION

    listing = [
        {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        for path, data in files.items()
    ]
    document: dict[str, object] = {
        "format": FORMAT,
        "engagement": {"slug": slug, "name": name},
        "generated_at": generated_at.isoformat(),
        "state_at": at.isoformat(),
        "program_version": __version__,
        "schema_version": SCHEMA_HEAD,
        "export_schema_version": SCHEMA_VERSION,
        "files": listing,
    }
    document["manifest_sha256"] = _self_hash(document)
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _self_hash(document: dict[str, object]) -> str:
    """The manifest's own hash: of its content without this key, in a canonical form."""
    body = {k: v for k, v in document.items() if k != "manifest_sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- writing


def write_pack(
    session: Session, engagement: EngagementRef, target: Path | str, *, force: bool = False
) -> PackWritten:
    """Write the engagement's pack to ``target`` (a folder, or a ``.zip`` file)."""
    from transition.dates import utcnow

    path = Path(target).expanduser()
    _check_target(path, force)
    eng = engagement_of(session, engagement, writable=False)
    files, at = build(session, eng)
    generated = utcnow()
    all_files = {MANIFEST: _manifest(eng.slug, eng.name, files, generated, at), **files}
    if is_zip(path):
        _write_zip(path, all_files, force)
    else:
        _write_folder(path, all_files, force)
    listed = [
        PackFile(path=name, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
        for name, data in files.items()
    ]
    return PackWritten(path=str(path), engagement=eng.slug, generated_at=generated, files=listed)


def _check_target(path: Path, force: bool) -> None:
    """Refuse a target that cannot be written before any work is done."""
    with about("target"):
        no_folder(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise BadInput(f"cannot write {path}: {exc.strerror or exc}", field="target") from None
    if stat.S_ISLNK(info.st_mode):
        raise BadInput(f"{path} is a symbolic link; refusing to write through it", field="target")
    if is_zip(path):
        if not stat.S_ISREG(info.st_mode):
            raise BadInput(f"{path} exists and is not a regular file", field="target")
        if info.st_size and not force:
            raise Refused(f"{path} already exists; use --force to replace it", field="target")
        return
    if not stat.S_ISDIR(info.st_mode):
        raise BadInput(f"{path} exists and is not a folder", field="target")
    if any(os.scandir(path)):
        if not force:
            raise Refused(f"{path} is not empty; use --force to replace it", field="target")
        manifest = _read_manifest(path, path / MANIFEST) if (path / MANIFEST).is_file() else None
        if manifest is None:
            raise Refused(
                f"{path} holds files that are not a hand-back pack; refusing to replace "
                "them (give an empty or new folder)",
                field="target",
            )
        # An earlier pack, and only it: a file added beside it would go with it.
        listed = {MANIFEST, *(f["path"] for f in manifest["files"])}  # type: ignore[attr-defined]
        extra = [rel for rel, _ in _folder_entries(path) if rel not in listed]
        if extra:
            raise Refused(
                f"{path} holds files that are not part of its pack ({', '.join(extra[:3])}"
                f"{', …' if len(extra) > 3 else ''}); refusing to replace them (move them "
                "out, or give an empty or new folder)",
                field="target",
            )


def _write_zip(path: Path, files: Files, force: bool) -> None:
    import io

    from transition.files import PRIVATE, write_file

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in sorted(files.items()):
            entry = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # Unix, so the mode below is read
            entry.external_attr = (stat.S_IFREG | FILE_MODE) << 16
            archive.writestr(entry, data, compresslevel=6)
    existing = path.exists()
    write_file(path, buffer.getvalue(), mode=PRIVATE, replace=force or existing)


def _write_folder(path: Path, files: Files, force: bool) -> None:
    """Build the folder under a temporary name beside ``path``, then rename it into
    place (an earlier pack there, with ``force``, is moved aside first and removed)."""
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    except OSError as exc:
        raise BadInput(f"cannot write {path}: {exc.strerror or exc}") from None
    old: Path | None = None
    try:
        os.chmod(staging, DIR_MODE)
        for name, data in files.items():
            dest = staging / name
            for folder in reversed(dest.relative_to(staging).parents[:-1]):
                (staging / folder).mkdir(mode=DIR_MODE, exist_ok=True)
                os.chmod(staging / folder, DIR_MODE)
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            try:
                os.fchmod(fd, FILE_MODE)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)  # the data on disk before the rename makes the pack visible
            finally:
                os.close(fd)
        if path.exists() and any(os.scandir(path)):
            if not force:
                raise Refused(f"{path} is not empty; use --force to replace it")
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.rename(path, old / "pack")
        os.replace(staging, path)
    except OSError as exc:
        if old is not None and not path.exists():
            os.rename(old / "pack", path)  # put the earlier pack back
        raise BadInput(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- verifying


def verify_pack(target: Path | str) -> PackVerified:
    """Check every file of a pack against its manifest; refuses (exit 1) naming each file
    that changed, is missing or is not in the manifest."""
    path = Path(target).expanduser()
    if not path.exists():
        raise BadInput(f"{path}: no such pack", field="target")
    if is_zip(path) and path.is_file():
        try:
            with zipfile.ZipFile(path) as archive:
                return _verify(path, dict(_zip_hashes(archive)), _zip_manifest(path, archive))
        except (zipfile.BadZipFile, OSError) as exc:
            raise BadInput(f"{path}: not a readable zip file ({exc})", field="target") from None
    if not path.is_dir() or path.is_symlink():
        raise BadInput(f"{path}: not a pack folder or .zip file", field="target")
    hashes = dict(_folder_hashes(path))
    manifest = _read_manifest(path, path / MANIFEST) if MANIFEST in hashes else None
    return _verify(path, hashes, manifest)


def _verify(path: Path, hashes: dict[str, str], manifest: dict[str, object] | None) -> PackVerified:
    if MANIFEST not in hashes:
        raise BadInput(f"{path}: not a hand-back pack (no {MANIFEST})", field="target")
    if manifest is None:
        raise Refused(
            f"{path}: the pack does not match its manifest (1 problem(s))",
            details=[f"changed: {MANIFEST} (no longer a manifest this program reads)"],
        )
    manifest_hash = hashes.pop(MANIFEST, None)
    expected = {f["path"]: f["sha256"] for f in manifest["files"]}  # type: ignore[attr-defined]
    problems = []
    if manifest.get("manifest_sha256") != _self_hash(manifest) or manifest_hash == _TWICE:
        problems.append(f"changed: {MANIFEST}")
    problems += [f"changed: {p}" for p in expected if p in hashes and hashes[p] != expected[p]]
    problems += [f"missing: {p}" for p in expected if p not in hashes]
    problems += [f"extra: {p}" for p in sorted(hashes) if p not in expected]
    if problems:
        raise Refused(
            f"{path}: the pack does not match its manifest ({len(problems)} problem(s))",
            details=problems,
        )
    engagement = manifest.get("engagement")
    return PackVerified(
        path=str(path),
        engagement=str(engagement.get("slug", "")) if isinstance(engagement, dict) else "",
        generated_at=str(manifest.get("generated_at", "")),
        files=len(expected),
    )


def _parse_manifest(path: Path, raw: bytes) -> dict[str, object] | None:
    """The manifest if it is one this program writes (format, a list of files with
    their hashes), else None."""
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return None
    listing = document.get("files")
    if not isinstance(listing, list) or not all(
        isinstance(f, dict) and isinstance(f.get("path"), str) and isinstance(f.get("sha256"), str)
        for f in listing
    ):
        return None
    return document


def _read_manifest(pack: Path, file: Path) -> dict[str, object] | None:
    from transition.files import Unreadable, read_input

    try:
        raw = read_input(file, 64 * 1024 * 1024, kind="manifest")
    except Unreadable:
        return None
    return _parse_manifest(pack, raw)


def _folder_entries(root: Path) -> Iterator[tuple[str, Path]]:
    """``(relative path, path)`` of every entry under ``root`` but its folders (links are
    not followed: a link to a folder is an entry)."""
    for folder, dirs, names in os.walk(root, followlinks=False):
        for name in sorted(names) + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            full = Path(folder) / name
            yield full.relative_to(root).as_posix(), full


def _folder_hashes(root: Path) -> Iterator[tuple[str, str]]:
    """``(relative path, sha256)`` of every entry under ``root`` (links are not followed:
    anything but a regular file gets a hash no file has)."""
    for rel, full in _folder_entries(root):
        if full.is_symlink() or not full.is_file():
            yield rel, "(not a regular file)"
            continue
        digest = hashlib.sha256()
        with open(full, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        yield rel, digest.hexdigest()


_TWICE = "(stored twice in the zip)"


def _zip_hashes(archive: zipfile.ZipFile) -> Iterator[tuple[str, str]]:
    """``(name, sha256)`` of every member; a name stored twice (readers disagree on which
    copy they extract) gets a hash no file has, so it never verifies."""
    seen: set[str] = set()
    for info in archive.infolist():
        if info.is_dir():
            continue
        if info.filename in seen:
            yield info.filename, _TWICE
            continue
        seen.add(info.filename)
        digest = hashlib.sha256()
        try:
            with archive.open(info) as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError):
            yield info.filename, "(damaged in the zip)"
            continue
        yield info.filename, digest.hexdigest()


def _zip_manifest(path: Path, archive: zipfile.ZipFile) -> dict[str, object] | None:
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        return None
    if info.file_size > 64 * 1024 * 1024:
        return None
    return _parse_manifest(path, archive.read(info))
