"""The only module that opens the warehouse. Everything else receives a connection."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from extractors.errors import PapertrendError

SCHEMA_VERSION_TABLE = "schema_version"
DEFAULT_LOCK_WAIT_SECONDS = 30.0
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


def migrations() -> list[tuple[int, str]]:
    """Return (version, SQL) for every migration shipped in warehouse/migrations, in order."""
    folder = resources.files("warehouse") / "migrations"
    found = []
    for item in folder.iterdir():
        if item.name.endswith(".sql"):
            found.append((int(item.name.split("_", 1)[0]), item.read_text()))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply pending forward migrations, each in its own transaction; return the version."""
    con.execute(f"""CREATE TABLE IF NOT EXISTS {SCHEMA_VERSION_TABLE} (
        version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)""")
    current = con.execute(f"SELECT coalesce(max(version), 0) FROM {SCHEMA_VERSION_TABLE}").fetchall()[0][0]
    for version, sql in migrations():
        if version <= current:
            continue
        with transaction(con):
            con.execute(sql)
            con.execute(f"INSERT INTO {SCHEMA_VERSION_TABLE} VALUES (?, now()::TIMESTAMP)", [version])
        current = version
    return current


@contextmanager
def connect(
    path: Path | str, *, read_only: bool = False, lock_wait: float = DEFAULT_LOCK_WAIT_SECONDS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse (migrated, if writable) and close it on exit.

    A read-only connection is locked down (READER_CONFIG, then lock_configuration).
    DuckDB refuses a second process outright while a writer holds the file, so
    we retry with backoff for up to `lock_wait` seconds, then raise WarehouseLocked.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseMissing(f"no warehouse at {path}; run `papertrend ingest` or `papertrend demo` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _open_with_retry(path, read_only=read_only, lock_wait=lock_wait)
    try:
        # now() and TIMESTAMPTZ casts follow the session zone: make it UTC, as everything we store.
        con.execute("SET TimeZone = 'UTC'")
        if read_only:
            con.execute("SET lock_configuration = true")
        else:
            migrate(con)
        yield con
    finally:
        con.close()


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
        yield con
