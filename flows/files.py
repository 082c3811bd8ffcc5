"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

# Reports and snapshots are read by other users (a web server, an analyst): not mkstemp's 0600.
SHARED_MODE = 0o644


@contextmanager
def replacing(path: Path, *, mode: int = SHARED_MODE, durable: bool = False) -> Iterator[BinaryIO]:
    """Yield a handle on a temporary file beside `path` that replaces `path` when the block ends.

    An error in the block leaves `path` untouched and removes the temporary file.
    With `durable`, the data reaches the disk before the rename (the raw archive).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: bytes, *, mode: int = SHARED_MODE, durable: bool = False) -> Path:
    """Write `data` to `path` atomically; returns `path`."""
    with replacing(path, mode=mode, durable=durable) as handle:
        handle.write(data)
    return path


def copy_atomically(source: Path, target: Path, *, mode: int | None = None) -> Path:
    """Copy `source` over `target` atomically (mode: the source's unless given); returns `target`."""
    mode = source.stat().st_mode & 0o777 if mode is None else mode
    with open(source, "rb") as src, replacing(target, mode=mode) as handle:
        shutil.copyfileobj(src, handle, length=1 << 20)
    return target
