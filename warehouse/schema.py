"""The warehouse's schema: forward migrations (warehouse/migrations/*.sql), applied once per file per process."""

from __future__ import annotations

import logging
import threading
from importlib import resources
from pathlib import Path

import duckdb

from warehouse.audience import audience_path
from warehouse.audience_counts import audience_counts, write_audience_counts
from warehouse.audience_move import AUDIENCE_VERSION, has_personal_tables, move_to_audience
from warehouse.transactions import transaction

SCHEMA_VERSION_TABLE = "schema_version"
REWRITE_PENDING = "rewrite_pending"  # present while an upgraded file still holds dropped personal data
log = logging.getLogger("papertrend.warehouse")

# What a file looks like on disk: (device, inode, size, mtime) of it and of its WAL.
FileState = tuple[tuple[int, int, int, int], tuple[int, int] | None]
# The warehouse files this process has migrated, each as this process last left it. Opening one again
# skips the migration check; a file another process wrote since, or one put in its place, is checked again.
_migrated: dict[Path, FileState] = {}
_migrated_guard = threading.Lock()


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
    (warehouse.db.rewrite_file), because DuckDB keeps the bytes of dropped tables in free blocks.
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
    if not _has_table(con, SCHEMA_VERSION_TABLE):
        return 0
    return int(con.execute(f"SELECT coalesce(max(version), 0) FROM {SCHEMA_VERSION_TABLE}").fetchall()[0][0])


def rewrite_pending(con: duckdb.DuckDBPyConnection) -> bool:
    """Does the warehouse open on `con` still hold the freed bytes of the personal tables it dropped?"""
    return _has_table(con, REWRITE_PENDING)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = ?", [name]
    ).fetchall()
    return bool(found[0][0])


def database_path(con: duckdb.DuckDBPyConnection) -> Path:
    """The file of the database open on `con`."""
    rows = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return Path(rows[0][0])


def is_migrated(path: Path) -> bool:
    """Has this process migrated the warehouse at `path`, and left it as it is now?

    Asked with the writer lock held, before DuckDB opens the file.
    """
    state = _state(path)
    with _migrated_guard:
        return state is not None and _migrated.get(path.resolve()) == state


def remember_migrated(path: Path) -> None:
    """Note that the warehouse at `path`, as it is now (closed by this process), is migrated."""
    state = _state(path)
    with _migrated_guard:
        if state is not None:
            _migrated[path.resolve()] = state


def _state(path: Path) -> FileState | None:
    try:
        main = path.stat()
    except FileNotFoundError:
        return None
    try:
        wal = path.with_name(path.name + ".wal").stat()
        journal: tuple[int, int] | None = (wal.st_size, wal.st_mtime_ns)
    except FileNotFoundError:
        journal = None
    return (main.st_dev, main.st_ino, main.st_size, main.st_mtime_ns), journal
