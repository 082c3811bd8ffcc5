"""Where people's exports may go: never onto a file papertrend keeps, never half-written.

`papertrend sql -o FILE` writes whatever a query returns. A typo in FILE
must not replace the warehouse, its snapshot, a raw page or the config with
a CSV, so every target is checked against what papertrend manages: by
resolved path (a symlink is followed) and by device and inode (a hard link is
the same file under another name). A file is written beside its target and
renamed into place when complete, so an interrupt or a timeout leaves no
partial file; a pipe or a terminal is written directly.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from common.errors import PapertrendError
from common.symlinks import point
from flows.files import SHARED_MODE
from flows.prefect_env import prefect_home
from flows.settings import Settings, config_file
from warehouse.paths import lock_path, snapshot_path, versions_folder


class OutputRefused(PapertrendError):
    """An export would replace something papertrend manages, or an existing file without --overwrite."""


class OutputUnwritable(PapertrendError):
    """An export path cannot be written: a missing folder, a folder, no permission, a full disk."""


class ExportFolderRefused(OutputRefused):
    """`papertrend export` was pointed at or into something papertrend manages."""


class ExportFolderUnwritable(OutputUnwritable):
    """`papertrend export`'s folder cannot be created or written."""


@dataclass(frozen=True)
class Managed:
    """A file or folder papertrend keeps, and what a person calls it."""

    path: Path
    what: str


def check_target(target: Path, managed: Iterable[Managed], *, overwrite: bool) -> None:
    """Raise OutputRefused or OutputUnwritable unless `target` may receive an export."""
    resolved = target.resolve()
    if (item := _managed_at(resolved, managed)) is not None:
        raise OutputRefused(f"{target} is {item.what}, which papertrend manages; export somewhere else")
    if resolved.is_dir():
        raise OutputUnwritable(f"{target} is a folder; name a file in it, e.g. {target / 'result.csv'}")
    if not resolved.parent.is_dir():
        raise OutputUnwritable(f"the folder {resolved.parent} does not exist; create it first")
    if resolved.exists() and _is_regular(resolved) and not overwrite:
        raise OutputRefused(f"{target} exists; pass --overwrite to replace it")


@contextmanager
def exported(target: Path) -> Iterator[BinaryIO]:
    """A handle whose bytes become `target` when the block ends normally, and nothing otherwise.

    A regular file (or a new one) is written to a temporary file beside it and
    renamed into place; a pipe, a terminal or a device is written directly.
    Raises OutputUnwritable for the operating system's refusals.
    """
    resolved = target.resolve()
    try:
        if resolved.exists() and not _is_regular(resolved):
            with open(resolved, "wb") as handle:
                yield handle
            return
        mode = resolved.stat().st_mode & 0o777 if resolved.exists() else SHARED_MODE
        fd, temp = tempfile.mkstemp(dir=resolved.parent, prefix=f".{resolved.name}.", suffix=".partial")
    except OSError as exc:
        raise _unwritable(target, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.chmod(temp, mode)
        os.replace(temp, resolved)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        if exc.errno is None:  # not the system's refusal (pyarrow reports an interrupted query as one)
            raise
        raise _unwritable(target, exc) from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _unwritable(target: Path, exc: OSError) -> OutputUnwritable:
    return OutputUnwritable(f"cannot write {target}: {exc.strerror or exc}")


def _is_regular(path: Path) -> bool:
    return stat.S_ISREG(path.stat().st_mode)


def _managed_at(resolved: Path, managed: Iterable[Managed]) -> Managed | None:
    """The first of `managed` that the resolved target is, or lies inside, if any."""
    identities = _identities(resolved)
    return next((item for item in managed if _is_within(resolved, identities, item.path)), None)


def _identities(resolved: Path) -> set[tuple[int, int]]:
    """(device, inode) of the target and every folder above it that exists."""
    found = set()
    for path in (resolved, *resolved.parents):
        try:
            info = path.stat()
        except OSError:
            continue
        found.add((info.st_dev, info.st_ino))
    return found


def _is_within(resolved: Path, identities: set[tuple[int, int]], managed: Path) -> bool:
    """Is `resolved` the managed file or folder, or inside it, by name or by device and inode?"""
    where = managed.resolve()
    if resolved == where or where in resolved.parents:
        return True
    try:
        info = where.stat()
    except OSError:
        return False
    return (info.st_dev, info.st_ino) in identities


def managed_paths(settings: Settings) -> list[Managed]:
    """Everything papertrend keeps for `settings`: no export may land on or inside any of it."""
    warehouse = settings.warehouse_path
    snapshot = snapshot_path(warehouse)
    kept = [
        Managed(settings.data_dir, f"inside the data folder {settings.data_dir}"),
        Managed(warehouse, "the warehouse"),
        Managed(warehouse.with_name(warehouse.name + ".wal"), "the warehouse's write-ahead log"),
        Managed(lock_path(warehouse), "the warehouse's writer lock"),
        Managed(snapshot, "the warehouse's published snapshot"),
        Managed(snapshot.with_name(snapshot.name + ".wal"), "the snapshot's write-ahead log"),
        Managed(versions_folder(snapshot), "inside the snapshots' folder"),
        Managed(config_file(), "the config file"),
    ]
    # The audience store lives beside the warehouse, so outside the data folder when the warehouse is.
    audience = settings.audience_path
    for suffix, what in (
        ("", "the audience store"),
        ("-wal", "the audience store's log"),
        ("-shm", "the audience store's shared memory"),
        (".sending", "the sending lock"),
    ):
        kept.append(Managed(audience.with_name(audience.name + suffix), what))
    home = prefect_home()
    if home is not None:
        kept.append(Managed(home, "inside Prefect's home folder"))
    return kept


KEPT_EXPORTS = 2  # versions kept: the current one, and the one a reader may still be reading
CURRENT = "current"


@dataclass(frozen=True)
class ParquetExport:
    """What `papertrend export` wrote: the version folder `current` now points at, rows per relation."""

    folder: Path
    rows: dict[str, int]


def export_parquet(settings: Settings, root: Path) -> ParquetExport:
    """Every analyst table and view of the published snapshot as Parquet under `root`/v-<time>/ (sightings and
    observations one file per digest month, hive style), with manifest.json (rows and a content hash per
    relation); then `root`/current is switched to it by renaming a symlink over it, so a reader sees the
    previous complete export or this one, never a half. Older versions than the last KEPT_EXPORTS are removed.
    No personal data: the snapshot holds none (docs/web.md)."""
    import pyarrow.parquet as pq  # only when exporting: `sql` stays quick to start

    from warehouse import parquet_export
    from warehouse.db import connect_for_reading

    if (item := _managed_at(root.resolve(), managed_paths(settings))) is not None:
        raise ExportFolderRefused(f"{root} is {item.what}, which papertrend manages; export somewhere else")
    if root.exists() and not root.is_dir():
        raise ExportFolderUnwritable(f"{root} is a file, not a folder; name a folder for the exports")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportFolderUnwritable(f"cannot create {root}: {exc.strerror or exc}") from None
    version = "v-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    work = root / f".{version}.partial"
    rows: dict[str, int] = {}
    manifest: dict[str, object] = {"version": version, "snapshot": str(snapshot_path(settings.warehouse_path))}
    relations: dict[str, object] = {}
    try:
        with connect_for_reading(settings.warehouse_path) as con:
            for name, kind in parquet_export.relations(con):
                parts = (
                    [
                        (month, work / name / f"month={month}" / "part-0.parquet")
                        for month in parquet_export.months(con, name)
                    ]
                    if name in parquet_export.BY_MONTH
                    else [(None, work / f"{name}.parquet")]
                )
                for month, path in parts or [(None, work / name / "empty.parquet")]:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    cursor = con.cursor()  # a streamed result of its own: the connection stays free
                    try:
                        reader = parquet_export.batches(cursor, name, month)
                        with pq.ParquetWriter(path, reader.schema) as writer:
                            for batch in reader:
                                writer.write_batch(batch)
                    finally:
                        cursor.close()
                count, digest = parquet_export.relation_fingerprint(con, name)
                rows[name] = count
                relations[name] = {
                    "kind": kind,
                    "rows": count,
                    "hash": digest,
                    "by_month": name in parquet_export.BY_MONTH,
                }
        manifest["relations"] = relations
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        final = root / version
        os.replace(work, final)
        point(root / CURRENT, final)  # atomic: `current` names the old version or the new one
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise ExportFolderUnwritable(f"cannot write the export under {root}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    for old in sorted(p for p in root.glob("v-*") if p.is_dir())[:-KEPT_EXPORTS]:
        shutil.rmtree(old, ignore_errors=True)
    return ParquetExport(final, rows)
