"""The only module that opens the warehouse. Everything else receives a connection.

A writer takes the writer lock (locks.py), the file is checked (integrity.py)
and migrated once per process (schema.py); readers get a locked-down
connection to the published snapshot.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from warehouse.audience_move import has_personal_tables
from warehouse.errors import WarehouseError, WarehouseLocked, WarehouseMissing
from warehouse.integrity import check_intact, check_length, corrupt, damage_in
from warehouse.locks import WRITER_WAIT_SECONDS, writer_lock
from warehouse.paths import snapshot_path
from warehouse.schema import REWRITE_PENDING, is_migrated, migrate, remember_migrated, rewrite_pending
from warehouse.snapshots import holding_published, publish, remove_unheld

DEFAULT_LOCK_WAIT_SECONDS = 30.0
log = logging.getLogger("papertrend.warehouse")
READER_MEMORY_LIMIT = "2GB"  # a runaway query fails with DuckDB's out-of-memory error, not the machine
READER_THREADS = 2
# A reader sees the warehouse file and nothing else: no other file, no URL, no extension,
# and no way to change these settings once the connection is open (lock_configuration).
READER_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "memory_limit": READER_MEMORY_LIMIT,
    "threads": READER_THREADS,
}


@contextmanager
def connect(
    path: Path | str, *, read_only: bool = False, lock_wait: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse (migrated, if writable) and close it on exit.

    A read-only connection is locked down (READER_CONFIG, then lock_configuration).
    A writer first takes the writer lock (`writer_lock`, waiting up to
    `lock_wait`, default WRITER_WAIT_SECONDS). DuckDB refuses a second process
    outright while a writer holds the file, so opening is also retried with
    backoff for up to `lock_wait` seconds, then raises WarehouseLocked.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseMissing(f"no warehouse at {path}; run `papertrend ingest` or `papertrend demo` first")
    if read_only:
        with _opened(
            path, read_only=True, lock_wait=DEFAULT_LOCK_WAIT_SECONDS if lock_wait is None else lock_wait
        ) as con:
            yield con
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    wait = WRITER_WAIT_SECONDS if lock_wait is None else lock_wait
    with writer_lock(path, wait=wait), _opened(path, read_only=False, lock_wait=wait) as con:
        yield con


@contextmanager
def _opened(path: Path, *, read_only: bool, lock_wait: float) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open, set up and close the file; a damaged one (here or on a later read) is WarehouseCorrupt."""
    check_intact(path)  # never hand DuckDB a file that is not its own: it would write to it
    migrated = read_only or is_migrated(path)  # asked before DuckDB opens (and may touch) the file
    try:
        con = _open_with_retry(path, read_only=read_only, lock_wait=lock_wait)
    except duckdb.Error as exc:
        why = damage_in(exc)
        if why is None:
            raise
        raise corrupt(path, why) from exc
    try:
        # now() and TIMESTAMPTZ casts follow the session zone: make it UTC, as everything we store.
        check_length(con, path)
        con.execute("SET TimeZone = 'UTC'")
        if read_only:
            con.execute("SET lock_configuration = true")
        elif not migrated:
            if _migrate_personal_data_out(con, path):
                con = _open_with_retry(path, read_only=False, lock_wait=lock_wait)
                con.execute("SET TimeZone = 'UTC'")
            migrated = True
        yield con
    except duckdb.Error as exc:
        why = damage_in(exc)
        if why is None:
            raise
        raise corrupt(path, why) from exc
    finally:
        con.close()
        if migrated and not read_only:
            remember_migrated(path)  # as this process leaves it: the next open need not check again


def _migrate_personal_data_out(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """Migrate; when personal tables were taken out and the file not yet rewritten, rewrite it (and its
    snapshot) and return True."""
    migrate(con)
    if not rewrite_pending(con):
        return False
    con.close()
    rewrite_file(path)
    snapshot = snapshot_path(path)
    if snapshot.exists():  # the old snapshots are copies of the old bytes: publish the new file, drop the rest
        publish(path, snapshot)
        remove_unheld(snapshot)
    log.warning("warehouse upgrade: %s rewritten without the personal data", path)
    return True


def rewrite_file(path: Path) -> None:
    """Copy the warehouse at `path` into a fresh file and rename it over the old one, so no freed block of
    the old file (a dropped table's rows) survives; the caller holds the writer lock and no connection.

    CHECKPOINT alone only marks blocks free; only a copy leaves their bytes behind for good.
    """
    fresh = path.with_name(path.name + ".rewrite")
    fresh.unlink(missing_ok=True)
    con = duckdb.connect(str(fresh))
    try:
        con.execute("ATTACH ? AS old (READ_ONLY)", [str(path)])
        name = con.execute("SELECT current_database()").fetchall()[0][0]
        con.execute(f"COPY FROM DATABASE old TO {_quoted(name)}")
        con.execute("DETACH old")
        con.execute(f"DROP TABLE IF EXISTS {REWRITE_PENDING}")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    with open(fresh, "rb") as file:
        os.fsync(file.fileno())
    os.replace(fresh, path)
    Path(str(path) + ".wal").unlink(missing_ok=True)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _open_with_retry(path: Path, *, read_only: bool, lock_wait: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + lock_wait
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=READER_CONFIG if read_only else {})
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseLocked(
                    f"{path} is locked by another papertrend process (a flow is writing); "
                    "retry when it finishes, or query the published snapshot"
                ) from exc
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 2.0)


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **frames: pl.DataFrame) -> Iterator[None]:
    """Expose polars frames to SQL by name for the block (zero-copy through Arrow)."""
    for name, frame in frames.items():
        con.register(name, frame)
    yield
    # Not in a finally: an aborted transaction refuses unregister, and a later
    # register of the same name replaces the view anyway.
    for name in frames:
        con.unregister(name)


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Write everything of the warehouse open on `con` (read-write) into its file.

    DuckDB lets no other process open a file a writer holds, so while `con`
    stays open after this, nobody changes the file: it may be copied whole.
    """
    con.execute("CHECKPOINT")


@contextmanager
def connect_for_reading(path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the published snapshot of the warehouse at `path`, locked down, for people's queries.

    Readers never open the main file: in DuckDB a read-only connection in one
    process blocks a writer in another. Every flow run publishes the snapshot
    (the first one as soon as it starts). Raises WarehouseMissing when there is none.
    """
    snapshot = snapshot_path(path)
    published = os.path.lexists(snapshot)  # a symlink to a version file that is gone: holding_published says so
    if not published and not Path(path).exists():
        raise WarehouseMissing(f"no warehouse at {path}; run `papertrend ingest` or `papertrend demo` first")
    if not published:
        raise WarehouseMissing(
            f"no snapshot of {path} is published yet; every flow run publishes one (`papertrend index-terms` too)"
        )
    with _snapshot_reader(snapshot) as (_, con):
        yield con


@contextmanager
def connect_to_published(path: Path | str) -> Iterator[tuple[int, duckdb.DuckDBPyConnection]]:
    """The snapshot of the warehouse at `path` published now, as (its file's inode, a locked-down connection),
    for a long-lived reader that reopens when a flow publishes again (the web application).

    The version file is held for as long as the connection is open (warehouse/snapshots.py): a publication
    neither changes nor removes it meanwhile, so an inode held names the same bytes throughout.
    """
    snapshot = snapshot_path(path)
    if not os.path.lexists(snapshot):
        raise WarehouseMissing(
            f"no snapshot of {path} is published yet; every flow run publishes one (`papertrend index-terms` too)"
        )
    with _snapshot_reader(snapshot) as (version, con):
        yield version.stat().st_ino, con


@contextmanager
def _snapshot_reader(snapshot: Path) -> Iterator[tuple[Path, duckdb.DuckDBPyConnection]]:
    # Each version file has a name of its own, used once: DuckDB's one-database-per-path cache in a process
    # can only hand back the same bytes.
    with holding_published(snapshot) as version, connect(version, read_only=True) as con:
        if has_personal_tables(con):  # a snapshot published before the upgrade: never shown
            raise WarehouseError(
                f"the snapshot {snapshot} predates the audience store and holds personal data; run any flow "
                "(e.g. `papertrend index-terms`) to upgrade the warehouse and republish it"
            )
        yield version, con
