"""The only module that opens the warehouse. Everything else receives a connection."""

from __future__ import annotations

import fcntl
import logging
import os
import random
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from extractors.errors import PapertrendError
from warehouse.audience import audience_path
from warehouse.audience_counts import audience_counts, write_audience_counts
from warehouse.audience_move import AUDIENCE_VERSION, has_personal_tables, move_to_audience

SCHEMA_VERSION_TABLE = "schema_version"
REWRITE_PENDING = "rewrite_pending"  # present while an upgraded file still holds dropped personal data
DEFAULT_LOCK_WAIT_SECONDS = 30.0
# Writers take turns: a flow holds the write connection only to load or commit
# (seconds), so another writer waits its turn rather than failing.
WRITER_WAIT_SECONDS = 120.0
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


class WarehouseError(PapertrendError):
    """The warehouse cannot be opened or used as asked."""


class WarehouseLocked(WarehouseError):
    """Another process holds the warehouse file open for writing."""


class WarehouseMissing(WarehouseError, FileNotFoundError):
    """A read-only connection was asked for a warehouse that does not exist yet."""


class WarehouseCorrupt(WarehouseError):
    """The warehouse or its snapshot is damaged: truncated, overwritten, or not a DuckDB file at all."""


DUCKDB_MAGIC = b"DUCK"  # every DuckDB file says so at byte 8
# What DuckDB says of a damaged file, when it is opened or when a damaged block is read.
DAMAGE_SIGNS = (
    "not a valid duckdb database file",
    "could not read enough bytes",
    "corrupt database file",
    "checksum",
    "failure while replaying wal",
)


HEADERS_SIZE = 3 * 4096  # DuckDB's main header, then two database headers


def damage(path: Path | str) -> str | None:
    """Why the existing file at `path` cannot be a DuckDB database, or None when it may be one.

    Reads only the header, so it is safe on a file another process is writing.
    A truncated file keeps its header: `connect` finds that one (`_check_length`).
    """
    try:
        with open(path, "rb") as file:
            header = file.read(HEADERS_SIZE)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    if not header:
        return "empty: 0 bytes"
    if header[8:12] != DUCKDB_MAGIC:
        return "its header is not DuckDB's"
    if len(header) < HEADERS_SIZE:
        return f"truncated: {len(header)} bytes, shorter than DuckDB's headers"
    return None


def _check_length(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    # A file cut short still opens (its header and catalog come first) and DuckDB would write
    # into the hole; the blocks in use must fit in the file. Asked before anything is written.
    row = con.execute(
        "SELECT block_size, used_blocks FROM pragma_database_size() WHERE database_name = current_database()"
    ).fetchone()
    size = path.stat().st_size
    if row is not None and size < HEADERS_SIZE + row[0] * row[1]:
        raise corrupt(path, f"truncated: {size} bytes, less than its {row[1]} blocks in use take")


def check_intact(path: Path | str) -> None:
    """Raise WarehouseCorrupt when the file at `path` exists but cannot be a whole DuckDB database."""
    why = damage(path)
    if why is not None:
        raise corrupt(path, why)


def corrupt(path: Path | str, why: str) -> WarehouseCorrupt:
    """The error for a damaged warehouse or snapshot at `path`, saying how to get it back."""
    path = Path(path)
    if path.stem.endswith(".snapshot"):
        return WarehouseCorrupt(
            f"the snapshot {path} is damaged ({why}); publish it again from the warehouse with "
            "`papertrend index-terms` (every flow run does too)"
        )
    snapshot = snapshot_path(path)
    wal = path.with_name(path.name + ".wal")
    restore = (
        f"restore it from the snapshot (`cp {snapshot} {path} && rm -f {wal}`), then `papertrend backfill` the days "
        "since, or `papertrend reextract` to rebuild its extracted tables from the raw archive"
        if snapshot.exists() and damage(snapshot) is None
        else "restore it from a backup (docs/operations.md: A damaged warehouse)"
    )
    return WarehouseCorrupt(f"warehouse {path} is damaged ({why}); {restore}")


def _damage_in(exc: duckdb.Error) -> str | None:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if any(sign in text.lower() for sign in DAMAGE_SIGNS) else None


def migrations() -> list[tuple[int, str]]:
    """Return (version, SQL) for every migration shipped in warehouse/migrations, in order."""
    folder = resources.files("warehouse") / "migrations"
    found = []
    for item in folder.iterdir():
        if item.name.endswith(".sql"):
            found.append((int(item.name.split("_", 1)[0]), item.read_text()))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply pending forward migrations, each in its own transaction; return the version.

    Before migration 012 drops a warehouse's subscribers and email log, their rows move to the
    audience store beside it (warehouse/audience_move.py); the caller then rewrites the file
    (rewrite_file), because DuckDB keeps the bytes of dropped tables in free blocks.
    """
    con.execute(f"""CREATE TABLE IF NOT EXISTS {SCHEMA_VERSION_TABLE} (
        version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)""")
    current = schema_version(con)
    upgrading = has_personal_tables(con)  # a warehouse from before the audience store, not one being created
    for version, sql in migrations():
        if version <= current:
            continue
        moved = (0, 0)
        if version == AUDIENCE_VERSION and upgrading:
            moved = move_to_audience(con, audience_path(database_path(con)))
            if any(moved):
                log.warning(
                    "warehouse upgrade: %d subscriber(s) and %d email log row(s) moved to the audience store", *moved
                )
        with transaction(con):
            con.execute(sql)
            con.execute(f"INSERT INTO {SCHEMA_VERSION_TABLE} VALUES (?, now()::TIMESTAMP)", [version])
            if version == AUDIENCE_VERSION and upgrading:
                # Durable until rewrite_file succeeds: a failed rewrite is retried on the next open.
                con.execute(f"CREATE TABLE {REWRITE_PENDING} (since TIMESTAMP)")
            if any(moved):  # analysts see the moved audience as counts at once
                write_audience_counts(con, audience_counts(audience_path(database_path(con))))
        current = version
    return current


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The newest migration applied to the warehouse open on `con` (0 for a new file)."""
    tables = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = ?",
        [SCHEMA_VERSION_TABLE],
    ).fetchall()[0][0]
    if not tables:
        return 0
    return int(con.execute(f"SELECT coalesce(max(version), 0) FROM {SCHEMA_VERSION_TABLE}").fetchall()[0][0])


def database_path(con: duckdb.DuckDBPyConnection) -> Path:
    """The file of the database open on `con`."""
    rows = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return Path(rows[0][0])


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
    try:
        con = _open_with_retry(path, read_only=read_only, lock_wait=lock_wait)
    except duckdb.Error as exc:
        why = _damage_in(exc)
        if why is None:
            raise
        raise corrupt(path, why) from exc
    try:
        # now() and TIMESTAMPTZ casts follow the session zone: make it UTC, as everything we store.
        _check_length(con, path)
        con.execute("SET TimeZone = 'UTC'")
        if read_only:
            con.execute("SET lock_configuration = true")
        elif _migrate_personal_data_out(con, path):
            con = _open_with_retry(path, read_only=False, lock_wait=lock_wait)
            con.execute("SET TimeZone = 'UTC'")
        yield con
    except duckdb.Error as exc:
        why = _damage_in(exc)
        if why is None:
            raise
        raise corrupt(path, why) from exc
    finally:
        con.close()


def _migrate_personal_data_out(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """Migrate; when personal tables were taken out and the file not yet rewritten, rewrite it (and its
    snapshot) and return True."""
    migrate(con)
    pending = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = ?",
        [REWRITE_PENDING],
    ).fetchall()[0][0]
    if not pending:
        return False
    con.close()
    rewrite_file(path)
    snapshot = snapshot_path(path)
    if snapshot.exists():  # the old snapshot is a copy of the old bytes: replace it with the new file's
        copy = snapshot.with_name(snapshot.name + ".tmp")
        shutil.copyfile(path, copy)
        os.replace(copy, snapshot)
    log.warning("warehouse upgrade: %s rewritten without the personal data", path)
    return True


# Per warehouse: (lock file descriptor, connections open) held by this process.
# Threads of one process share the lock, as they share DuckDB's database instance.
_writers: dict[Path, list[int]] = {}
_writers_guard = threading.Lock()


def lock_path(path: Path | str) -> Path:
    """The writer lock file beside the warehouse at `path`."""
    path = Path(path)
    return path.with_name(path.name + ".lock")


@contextmanager
def writer_lock(path: Path | str, *, wait: float = WRITER_WAIT_SECONDS) -> Iterator[None]:
    """Be the only process writing the warehouse at `path` for the block.

    An flock on a file beside it, which the kernel drops when the process dies
    (a killed run never leaves it stuck). Another writer waits its turn with a
    log line naming the holder, for up to `wait` seconds, then WarehouseLocked.
    """
    key = Path(path).resolve()
    with _writers_guard:
        held = _writers.get(key)
        if held is not None:
            held[1] += 1
        else:
            _writers[key] = [_acquire(key, wait), 1]
    try:
        yield
    finally:
        with _writers_guard:
            held = _writers[key]
            held[1] -= 1
            if held[1] == 0:
                del _writers[key]
                os.close(held[0])  # closing the descriptor releases the flock


def _acquire(path: Path, wait: float) -> int:
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    announced = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            holder = _holder(fd)
            if time.monotonic() >= deadline:
                os.close(fd)
                raise WarehouseLocked(
                    f"{path} is being written by another papertrend process{holder} for over {wait:.0f} s; "
                    "retry when it finishes (`papertrend status` shows running runs)"
                ) from None
            if not announced:
                log.warning("warehouse busy: waiting up to %.0f s for another writer%s", wait, holder)
                announced = True
            time.sleep(0.1 + 0.2 * random.random())
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    if announced:
        log.warning("warehouse free: writing")
    return fd


def _holder(fd: int) -> str:
    pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return f" (pid {pid})" if pid.isdigit() else ""


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


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block in one transaction: all of it commits, or none of it does."""
    con.begin()
    try:
        yield con
    except BaseException:
        con.rollback()
        raise
    con.commit()


def snapshot_path(path: Path | str) -> Path:
    """Where the read-only snapshot of the warehouse at `path` is published."""
    path = Path(path)
    return path.with_name(path.stem + ".snapshot" + path.suffix)


@contextmanager
def checkpointed(path: Path | str) -> Iterator[Path]:
    """Hold the warehouse at `path` still, all of it in the file, while the block copies it.

    DuckDB lets no other process open a file a writer holds, so holding a write
    connection (after a checkpoint) means nobody changes the file mid-copy.
    """
    with connect(path) as con:
        con.execute("CHECKPOINT")
        yield Path(path)


@contextmanager
def connect_for_reading(path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the published snapshot of the warehouse at `path`, locked down, for people's queries.

    Readers never open the main file: in DuckDB a read-only connection in one
    process blocks a writer in another. Every flow run publishes the snapshot
    (the first one as soon as it starts). Raises WarehouseMissing when there is none.
    """
    snapshot = snapshot_path(path)
    if not snapshot.exists() and not Path(path).exists():
        raise WarehouseMissing(f"no warehouse at {path}; run `papertrend ingest` or `papertrend demo` first")
    if not snapshot.exists():
        raise WarehouseMissing(
            f"no snapshot of {path} is published yet; every flow run publishes one (`papertrend index-terms` too)"
        )
    with connect(snapshot, read_only=True) as con:
        if has_personal_tables(con):  # a snapshot published before the upgrade: never shown
            raise WarehouseError(
                f"the snapshot {snapshot} predates the audience store and holds personal data; run any flow "
                "(e.g. `papertrend index-terms`) to upgrade the warehouse and republish it"
            )
        yield con
