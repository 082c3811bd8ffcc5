"""Atomic file writes (a reader sees the old file or the new one, never half of one) and bounded reads."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from common.errors import PapertrendError

GZIP_WBITS = 16 + zlib.MAX_WBITS  # a gzip header and trailer around deflate
READ_CHUNK = 1 << 20


class NotARegularFile(PapertrendError, ValueError):
    """The path names a device, pipe, socket or directory, not a file to read."""


class InputTooLarge(PapertrendError, ValueError):
    """A file, or what it decompresses to, is larger than the cap ([fetch] max_bytes)."""


class GzipUnreadable(PapertrendError, ValueError):
    """A .gz file is truncated or not gzip at all."""


class FolderUnwritable(PapertrendError, ValueError):
    """A folder we are to write into cannot be created or written (a file, /proc, no permission)."""


def check_writable_folder(path: Path, *, what: str) -> None:
    """Raise FolderUnwritable, naming `what` it is for, unless the folder `path` can be created and written.

    Tried for real (the kernel's word, also under /proc or as root), then undone:
    a folder created only to find out is removed again, so a check changes nothing.
    """
    if path.exists() and not path.is_dir():
        raise FolderUnwritable(f"{what} {path} is a file, not a folder")
    missing = [p for p in (path, *path.parents) if not p.exists()]
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".papertrend-probe-"):
            pass  # created and removed: the folder takes files
    except OSError as exc:
        raise FolderUnwritable(f"{what} {path} cannot be created or written: {exc.strerror}") from None
    finally:
        for folder in missing:  # deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()


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


def read_capped(path: Path, max_bytes: int) -> bytes:
    """The bytes of the regular file at `path`, gunzipped when it ends in .gz, never more than `max_bytes`.

    Reads at most `max_bytes` + 1 bytes and inflates at most as many, so
    /dev/zero or a gzip bomb costs a bounded read, not the machine's memory.
    Raises NotARegularFile, InputTooLarge or GzipUnreadable.
    """
    with open(path, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise NotARegularFile(f"{path} is not a regular file (a device, pipe or directory)")
        body = file.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise InputTooLarge(f"{path} is larger than {max_bytes} bytes ([fetch] max_bytes)")
    return gunzip_capped(body, max_bytes, where=str(path)) if path.suffix == ".gz" else body


def gunzip_capped(data: bytes, max_bytes: int, *, where: str) -> bytes:
    """Inflate gzip `data` (every member) to at most `max_bytes`; raises InputTooLarge or GzipUnreadable."""
    out, rest = bytearray(), data
    while rest:
        inflater = zlib.decompressobj(GZIP_WBITS)
        try:
            out += inflater.decompress(rest, max_bytes + 1 - len(out))
        except zlib.error as exc:
            raise GzipUnreadable(f"{where} is not a readable gzip file ({exc})") from None
        if len(out) > max_bytes:
            raise InputTooLarge(f"{where} inflates to more than {max_bytes} bytes ([fetch] max_bytes)")
        if not inflater.eof:
            raise GzipUnreadable(f"{where} is not a readable gzip file (it ends mid-stream: truncated)")
        rest = inflater.unused_data.lstrip(b"\0")  # members may follow; gzip pads with zeros
    return bytes(out)


def data_dir_problem(path: Path) -> str | None:
    """Why `path` cannot hold papertrend's files (the data_dir setting), or None."""
    if path.exists() and not path.is_dir():
        return f"data_dir {path} cannot hold papertrend's files: it is a file"
    # /proc and /sys look writable to root, yet hold no files of ours.
    parts = path.resolve().parts
    if len(parts) > 1 and parts[1] in ("proc", "sys"):
        return f"data_dir {path} cannot hold papertrend's files: it is under /proc or /sys"
    return None
