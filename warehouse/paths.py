"""Where the files that live beside a warehouse are: its published snapshot (and its versions), its writer lock."""

from __future__ import annotations

from pathlib import Path


def snapshot_path(path: Path | str) -> Path:
    """Where the read-only snapshot of the warehouse at `path` is published."""
    path = Path(path)
    return path.with_name(path.stem + ".snapshot" + path.suffix)


def lock_path(path: Path | str) -> Path:
    """The writer lock file beside the warehouse at `path`."""
    path = Path(path)
    return path.with_name(path.name + ".lock")


def search_index_path(path: Path | str) -> Path:
    """The full-text search index of the warehouse at `path` (SQLite FTS5), beside it."""
    return Path(path).with_name("search.sqlite3")


VERSIONS = "snapshots"  # the folder of the snapshot's versions, beside it (warehouse/snapshots.py)


def versions_folder(published: Path) -> Path:
    """Where the versions behind the snapshot symlink `published` live."""
    return published.parent / VERSIONS


def published_as(path: Path) -> Path | None:
    """The snapshot name (W.snapshot.duckdb) a version file `path` is published under, or None for other files."""
    if path.parent.name != VERSIONS or not path.stem.rpartition(".")[2].isdigit():
        return None
    stem = path.stem.rpartition(".")[0]
    return path.parent.parent / f"{stem}.snapshot{path.suffix}"
