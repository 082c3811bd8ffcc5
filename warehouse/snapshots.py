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

import contextlib
import fcntl
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from warehouse.errors import WarehouseMissing

BLOCK = 1 << 18  # DuckDB's block size: what a checkpoint rewrites
VERSIONS = "snapshots"
SHARED_MODE = 0o644  # read by other users (a web server, an analyst)
OPEN_ATTEMPTS = 50  # a reader that loses the race with a publication this often in a row gives up


@dataclass(frozen=True)
class Publication:
    """What publishing cost: the version now current, bytes written into it and whether it was a full copy."""

    path: Path
    bytes_written: int
    size: int
    full_copy: bool


def versions_folder(published: Path) -> Path:
    """Where the versions behind the snapshot symlink `published` live."""
    return published.parent / VERSIONS


def published_as(path: Path) -> Path | None:
    """The snapshot name (W.snapshot.duckdb) a version file `path` is published under, or None for other files."""
    if path.parent.name != VERSIONS or not path.stem.rpartition(".")[2].isdigit():
        return None
    stem = path.stem.rpartition(".")[0]
    return path.parent.parent / f"{stem}.snapshot{path.suffix}"


def _stem(published: Path) -> str:
    return published.name.removesuffix(published.suffix).removesuffix(".snapshot")


def _versions(published: Path) -> list[Path]:
    """The complete versions of `published`, oldest first."""
    folder = versions_folder(published)
    if not folder.is_dir():
        return []
    stem = _stem(published)
    found = [
        p
        for p in folder.glob(f"{stem}.*{published.suffix}")
        if p.name[len(stem) + 1 : -len(published.suffix)].isdigit()
    ]
    return sorted(found, key=lambda p: int(p.name[len(stem) + 1 : -len(published.suffix)]))


def current_version(published: Path) -> Path | None:
    """The file the snapshot `published` names now (itself, in the layout before versions), or None."""
    if published.is_symlink():
        return published.parent / os.readlink(published)
    return published if published.exists() else None


def publish(source: Path, published: Path) -> Publication:
    """Make the bytes of `source` (checkpointed, held open by the caller: unchanging) the snapshot `published`.

    Brings a version no reader holds up to `source`'s bytes, block by block,
    or copies `source` whole when every older version is held (or there is
    none); then points the symlink at it by rename and removes unused versions.
    """
    folder = versions_folder(published)
    folder.mkdir(exist_ok=True)
    current = current_version(published)
    base, fd = _claim_unheld(v for v in reversed(_versions(published)) if v != current)
    try:
        partial = folder / f".{_stem(published)}.{time.time_ns()}.partial"
        if fd is None:
            fd = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_EXCL, SHARED_MODE)
            fcntl.flock(fd, fcntl.LOCK_EX)
        else:
            assert base is not None
            os.rename(base, partial)  # no longer a version: no reader can start on it
        try:
            written = _bring_up_to(fd, source, full=base is None)
            os.fsync(fd)
            os.fchmod(fd, SHARED_MODE)
            version = folder / f"{_stem(published)}.{time.time_ns()}{published.suffix}"
            os.rename(partial, version)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        _point(published, version)
    finally:
        if fd is not None:
            os.close(fd)  # releases the exclusive flock: readers may open it now
    _prune(published, keep=version)
    return Publication(version, written, source.stat().st_size, base is None)


def _claim_unheld(candidates: Iterable[Path]) -> tuple[Path | None, int | None]:
    """The first of `candidates` no reader holds, and an fd with its exclusive flock; (None, None) if none.

    Our readers hold a shared flock; a DuckDB opened on the file by anyone else
    holds a POSIX read lock, which the lockf probe sees (from other processes).
    """
    for path in candidates:
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.lockf(fd, fcntl.LOCK_UN)
        except OSError:  # BlockingIOError for flock; EACCES or EAGAIN for lockf
            os.close(fd)
            continue
        return path, fd
    return None, None


def _bring_up_to(fd: int, source: Path, *, full: bool) -> int:
    """Make the file open on `fd` hold `source`'s bytes, writing only the blocks that differ (all when `full`);
    returns the bytes written."""
    written = 0
    with open(source, "rb", buffering=0) as src, open(fd, "r+b", buffering=0, closefd=False) as dst:
        offset = 0
        while True:
            block = src.read(BLOCK)
            if not block:
                break
            if full or dst.read(len(block)) != block:
                dst.seek(offset)
                dst.write(block)
                written += len(block)
            offset += len(block)
            if not full:
                dst.seek(offset)
        dst.truncate(offset)
    return written


def _point(published: Path, version: Path) -> None:
    """Make the symlink `published` name `version` (relative: the data folder may move), atomically."""
    link = published.with_name(f".{published.name}.{os.getpid()}.link")
    link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(version, published.parent), link)
    os.replace(link, published)
    with contextlib.suppress(OSError):  # make the rename durable where the folder can be fsynced
        folder = os.open(published.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _prune(published: Path, *, keep: Path) -> None:
    """Remove the versions neither current (`keep`) nor held by a reader, except the newest such (the base of
    the next publication), and `.partial` files a killed publication left."""
    spare_kept = False
    for version in reversed(_versions(published)):
        if version == keep:
            continue
        _, fd = _claim_unheld([version])
        if fd is None:
            continue  # a reader holds it: removed by a later publication
        try:
            if spare_kept:
                version.unlink(missing_ok=True)
            spare_kept = True
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
    """The current version of the snapshot `published`, held (shared flock) for the block: no publication
    changes or removes it meanwhile. Raises WarehouseMissing when nothing is published."""
    for _ in range(OPEN_ATTEMPTS):
        version = current_version(published)
        if version is None:
            raise WarehouseMissing(f"no snapshot {published} is published yet")
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
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                time.sleep(0.01)  # a publication is claiming it: it will not be this version's bytes
                continue
            # Held now. Still under a version's name? Then it is complete and stays so until we let go.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(version))
            except FileNotFoundError:
                same = False
            if same:
                yield version
                return
        finally:
            os.close(fd)
    raise WarehouseMissing(f"the snapshot {published} kept changing while it was opened; try again")
