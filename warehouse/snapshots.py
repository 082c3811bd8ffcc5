"""Published snapshots: versioned read-only copies of the warehouse, swapped by rename, never changed under a reader.

Readers (`papertrend sql`, the web application, `export`) never open the
warehouse itself: a DuckDB reader in one process blocks the writer in another.
A flow publishes what it wrote as a snapshot instead. The layout, beside the
warehouse `W.duckdb`:

    W.snapshot.duckdb         a symlink to the current version, replaced by rename
    snapshots/W.<n>.duckdb    the versions: complete files only, each name used once

A reader opens the version the symlink names and holds a shared `flock` on it
for as long as its connection lives. Publishing writes into a version nobody
holds (an exclusive, non-blocking `flock` proves it): it is renamed to a
`.partial` name, brought up to the warehouse's bytes, renamed to a new version
name and only then made current. So a reader sees a complete file that does
not change while it is open, and a publication after a small change writes
only the 256 KiB blocks that differ from that version (what DuckDB rewrote),
not gigabytes. Versions that are neither current nor held are removed, except
one kept as the next publication's base.

`flock` is per host: readers on other machines over a network share are not
seen (docs/operations.md). A DuckDB that opens a version file by itself (an
analyst's own client) holds DuckDB's POSIX read lock, which publishing also
respects; `papertrend export` (Parquet) is the better way to take data out.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import struct
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from common.symlinks import fsync_folder, point
from warehouse.errors import WarehouseError, WarehouseMissing
from warehouse.integrity import corrupt
from warehouse.paths import published_as, versions_folder

log = logging.getLogger(__name__)

BLOCK = 1 << 18  # DuckDB's block size: what a checkpoint rewrites
SHARED_MODE = 0o644  # read by other users (a web server, an analyst)
FOLDER_MODE = 0o755
# Free versions kept as bases for the next publications: two, so that two publications in a row (an ingest,
# then its daily email's) while a reader (the web) still holds the one before both write changed blocks only.
SPARES = 2
OPEN_ATTEMPTS = 50  # a reader that loses the race with a publication this often in a row gives up


_publishing = threading.Lock()


class SnapshotPathTaken(WarehouseError):
    """Something else stands where the snapshot's link or its versions' folder must go (a folder, a file)."""


class SnapshotLocksUnsupported(WarehouseError):
    """The data folder's file system has no file locks (e.g. NFS without a lock service): readers and publishing
    could not keep out of each other's way."""


@dataclass(frozen=True)
class Publication:
    """What publishing cost: the version now current, bytes written into it and whether it was a full copy."""

    path: Path
    bytes_written: int
    size: int
    full_copy: bool


def _stem(published: Path) -> str:
    return published.name.removesuffix(published.suffix).removesuffix(".snapshot")


def _versions(published: Path) -> list[Path]:
    """The complete versions of `published`, oldest first."""
    folder = versions_folder(published)
    if not folder.is_dir():
        return []
    stem = _stem(published)
    numbered = {p: p.name[len(stem) + 1 : -len(published.suffix)] for p in folder.glob(f"{stem}.*{published.suffix}")}
    return sorted((p for p, n in numbered.items() if n.isdigit()), key=lambda p: int(numbered[p]))


def current_version(published: Path) -> Path | None:
    """The file the snapshot `published` names now (itself, in the layout before versions), or None."""
    try:
        return published.parent / os.readlink(published)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno != errno.EINVAL:  # EINVAL: not a symlink, the layout before versions
            raise
        return published


def publish(source: Path, published: Path) -> Publication:
    """Make the bytes of `source` (checkpointed, held open by the caller: unchanging) the snapshot `published`.

    Brings a version no reader holds up to `source`'s bytes, block by block,
    or copies `source` whole while the rotation fills or when every older
    version is held; then points the symlink at it by rename and removes
    unused versions.
    One publication at a time per process (the warehouse's writer lock keeps
    other processes out); raises SnapshotLocksUnsupported on a file system
    without file locks.
    """
    with _publishing:
        folder = versions_folder(published)
        for taken, what in ((folder, "keeps the snapshot's versions"), (published, "publishes the snapshot's link")):
            if taken.is_dir() != (taken == folder) and os.path.lexists(taken) and not taken.is_symlink():
                kind = "a folder" if taken.is_dir() else "a file"
                raise SnapshotPathTaken(
                    f"{taken} is {kind}, where papertrend {what}; move it away, then run any flow again"
                )
        if not folder.is_dir():
            folder.mkdir()
            os.chmod(folder, FOLDER_MODE)  # readers of other users reach the versions whatever the umask
        current, versions = current_version(published), _versions(published)
        # The first publications fill the rotation (the current version and SPARES bases) with copies; after that
        # each brings a free one up to date.
        filling = len(versions) < 1 + SPARES
        base, fd = (None, None) if filling else _claim_unheld(v for v in reversed(versions) if v != current)
        partial = folder / f".{_stem(published)}.{time.time_ns()}.partial"
        try:
            if fd is None:
                fd = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_EXCL, SHARED_MODE)
                _lock(fd, fcntl.LOCK_EX, partial)
            else:
                assert base is not None
                os.rename(base, partial)  # no longer a version: no reader can start on it
            written = _bring_up_to(fd, source, full=base is None)
            os.fsync(fd)
            os.fchmod(fd, SHARED_MODE)
            os.utime(fd)  # its age is the publication's, even when no block differed (`status` reads it)
            version = folder / f"{_stem(published)}.{time.time_ns()}{published.suffix}"
            os.rename(partial, version)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        finally:
            if fd is not None:
                os.close(fd)  # complete under a version's name: a reader may hold it from now on
        fsync_folder(folder)  # the version's name is on disk before the symlink names it
        point(published, version)
        _prune(published, keep=version)
        return Publication(version, written, source.stat().st_size, base is None)


def _lock(fd: int, how: int, path: Path) -> bool:
    """flock `fd` (`how`, non-blocking when asked); False when another holder prevents it. Raises
    SnapshotLocksUnsupported when the file system has no locks, which this design needs (docs/operations.md)."""
    try:
        fcntl.flock(fd, how)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise SnapshotLocksUnsupported(
            f"cannot lock {path} ({exc.strerror}): published snapshots need file locks; keep the data folder on "
            "a local disk"
        ) from exc
    return True


def _foreign_duckdb(fd: int) -> bool:
    """True when a process has a POSIX lock on the file (a DuckDB opened on it by something else than papertrend).

    Asks (F_OFD_GETLK), taking and releasing nothing. Other processes only: a
    process loses its own POSIX locks on a file when it closes any descriptor
    of it, so papertrend's readers rely on their flock, never on DuckDB's lock.
    """
    probe = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
    answer = fcntl.fcntl(fd, getattr(fcntl, "F_OFD_GETLK", fcntl.F_GETLK), probe)
    return struct.unpack("hhqqi4x", answer)[0] != fcntl.F_UNLCK


def _claim_unheld(candidates: Iterable[Path]) -> tuple[Path | None, int | None]:
    """The first of `candidates` no reader holds, and an fd with its exclusive flock; (None, None) if none.

    Our readers hold a shared flock; a DuckDB opened on the file by anyone else
    holds a POSIX read lock, which the probe sees. A version this user cannot
    write (left by a run as another user) is skipped with a warning.
    """
    for path in candidates:
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue
        except PermissionError:
            log.warning("snapshot version %s is not writable by this user: left as it is", path)
            continue
        try:
            if _lock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, path) and not _foreign_duckdb(fd):
                return path, fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    return None, None


def _bring_up_to(fd: int, source: Path, *, full: bool) -> int:
    """Make the file open on `fd` hold `source`'s bytes, writing only the blocks that differ (all when `full`);
    returns the bytes written."""
    written = offset = 0
    with open(source, "rb", buffering=0) as src:
        while block := src.read(BLOCK):
            if full or os.pread(fd, len(block), offset) != block:
                view = memoryview(block)
                while view:  # a short write (a nearly full disk) is finished or raises, never published
                    view = view[os.pwrite(fd, view, offset + len(block) - len(view)) :]
                written += len(block)
            offset += len(block)
    os.ftruncate(fd, offset)
    return written


def _prune(published: Path, *, keep: Path) -> None:
    """Remove the versions neither current (`keep`) nor held by a reader, except the SPARES newest such (the
    bases of the next publications), and `.partial` files a killed publication left."""
    spares = 0
    for version in reversed(_versions(published)):
        if version == keep:
            continue
        _, fd = _claim_unheld([version])
        if fd is None:
            continue  # a reader holds it: removed by a later publication
        try:
            if spares >= SPARES:
                version.unlink(missing_ok=True)
            spares += 1
        finally:
            os.close(fd)
    for partial in versions_folder(published).glob(".*.partial"):
        _, fd = _claim_unheld([partial])
        if fd is not None:  # not a publication in progress (it holds its partial exclusively)
            try:
                partial.unlink(missing_ok=True)
            finally:
                os.close(fd)


def remove_unheld(published: Path) -> None:
    """Remove every version except the current one and those readers hold (after a rewrite that must leave no
    older bytes behind, e.g. the personal-data upgrade)."""
    current = current_version(published)
    for version in _versions(published):
        if version == current:
            continue
        _, fd = _claim_unheld([version])
        if fd is not None:
            try:
                version.unlink(missing_ok=True)
            finally:
                os.close(fd)


@contextmanager
def holding_published(published: Path) -> Iterator[Path]:
    """A path to the current version of the snapshot `published`, held (shared flock) for the block: no
    publication changes or removes it meanwhile. Raises WarehouseMissing when nothing is published."""
    for _ in range(OPEN_ATTEMPTS):
        version = current_version(published)
        if version is None:
            raise WarehouseMissing(f"no snapshot {published} is published yet")
        if version == published and published.is_dir():
            raise corrupt(published, "a folder stands in its place: move it away")
        if version != published and published_as(version) != published:
            raise corrupt(published, f"it names {version}, which is not one of its versions")
        try:
            fd = os.open(version, os.O_RDONLY)
        except FileNotFoundError:
            if current_version(published) == version:  # not a race: the file it names is gone
                raise WarehouseMissing(
                    f"the snapshot {published} names {version}, which is missing; publish it again from the "
                    "warehouse with `papertrend index-terms` (every flow run does too)"
                ) from None
            continue  # superseded and removed between the two steps: look again
        try:
            if not _lock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, version):
                time.sleep(0.01)  # a publication is claiming it: it is no longer current, look again
                continue
            # Held now. Still under a version's name? Then it is complete and stays so until we let go.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(version))
            except FileNotFoundError:
                same = False
            if same:
                # The layout before versions: its name may become the symlink any moment, so the file held is
                # opened through this process's descriptor of it.
                yield Path(f"/proc/self/fd/{fd}") if version == published else version
                return
        finally:
            os.close(fd)
    raise WarehouseMissing(f"the snapshot {published} kept changing while it was opened; try again")
