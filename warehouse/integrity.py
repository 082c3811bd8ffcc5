"""Is a file a whole DuckDB database? Header and length checks, damage named with the way back.

The warehouse's own rule for its file: settings call `named_file_problem`,
`connect` calls `check_intact` and `check_length`, `status` calls `damage`.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from warehouse.errors import WarehouseCorrupt
from warehouse.paths import published_as, snapshot_path

DUCKDB_MAGIC = b"DUCK"  # every DuckDB file says so at byte 8
HEADERS_SIZE = 3 * 4096  # DuckDB's main header, then two database headers
# What DuckDB says of a damaged file, when it is opened or when a damaged block is read.
DAMAGE_SIGNS = (
    "not a valid duckdb database file",
    "could not read enough bytes",
    "corrupt database file",
    "checksum",
    "failure while replaying wal",
)


def damage(path: Path | str) -> str | None:
    """Why the existing file at `path` cannot be a DuckDB database, or None when it may be one.

    Reads only the header, so it is safe on a file another process is writing.
    A truncated file keeps its header: `connect` finds that one (`check_length`).
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


def named_file_problem(path: Path, *, named: bool) -> str | None:
    """What is wrong with `path` as the warehouse setting, or None; `named`: the user set the path.

    A `warehouse` set to some other file (a typo, the config) is a settings
    problem. Damage to papertrend's own file at the default path is
    WarehouseCorrupt when it is opened, with the way back.
    """
    if not path.exists():
        return None
    if not path.is_file():
        return f"warehouse {path} is not a file"
    try:
        with path.open("rb") as file:
            header = file.read(12)
    except OSError as exc:
        return f"warehouse {path} cannot be read: {exc.strerror}"
    if named and header and damage(path):
        return (
            f"warehouse {path} is not a DuckDB file; point warehouse at a new path or at papertrend's own file "
            "(if it is that file, it is damaged: docs/operations.md, A damaged warehouse)"
        )
    return None


def check_length(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Raise WarehouseCorrupt when the file open on `con` is shorter than the blocks it uses."""
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
    if str(path).startswith("/proc/self/fd/"):  # a file read through the descriptor that holds it: its own name
        path = Path(os.readlink(path).removesuffix(" (deleted)"))
    path = published_as(path) or path  # a version file is known to people by the snapshot's name
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


def damage_in(exc: duckdb.Error) -> str | None:
    """The first line of a DuckDB error that says the file is damaged, or None for any other error."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if any(sign in text.lower() for sign in DAMAGE_SIGNS) else None
