"""A symlink swapped atomically: readers that follow it find the old target or the new one, never neither."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def point(link: Path, target: Path) -> None:
    """Make `link` a symlink to `target` (relative: the folder may move) by renaming a new link over it, then
    make the rename durable."""
    temporary = link.with_name(f".{link.name}.{os.getpid()}.link")
    temporary.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target, link.parent), temporary)
    os.replace(temporary, link)
    fsync_folder(link.parent)


def fsync_folder(folder: Path) -> None:
    """Make the names in `folder` (a rename, a new file) durable, where the file system allows it."""
    with contextlib.suppress(OSError):  # where a folder cannot be fsynced, the rename is as durable as it gets
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
