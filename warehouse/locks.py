"""The writer lock: one process at a time writes a warehouse, and the others wait their turn."""

from __future__ import annotations

import fcntl
import logging
import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from warehouse.errors import WarehouseLocked
from warehouse.paths import lock_path

# Writers take turns: a flow holds the write connection only to load or commit
# (seconds), so another writer waits its turn rather than failing.
WRITER_WAIT_SECONDS = 120.0
log = logging.getLogger("papertrend.warehouse")

# Per warehouse: (lock file descriptor, connections open) held by this process.
# Threads of one process share the lock, as they share DuckDB's database instance.
_writers: dict[Path, list[int]] = {}
_writers_guard = threading.Lock()


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
