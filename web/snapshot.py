"""The published snapshot as the web application reads it: one locked-down connection per published file,
a cursor per request, and answers remembered until the next publication.

A flow publishes a new version file and points the snapshot's symlink at it;
the version a connection holds open never changes under it (it is held:
warehouse/snapshots.py). A request that finds a new inode opens the new file
(warehouse.db.connect_to_published); the old connection is closed as soon as
no request uses it, which lets the next publication reuse that file. What a page computed is kept per file: the
same snapshot gives the same answer.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from warehouse.db import connect_to_published
from warehouse.errors import WarehouseError, WarehouseMissing
from warehouse.paths import snapshot_path

T = TypeVar("T")
CACHED = 2_000  # answers kept per snapshot (pages, stories, papers)


@dataclass
class _Opened:
    """One published file open: its inode, what closes it, its connection, and the requests using it now."""

    inode: int
    stack: ExitStack
    con: duckdb.DuckDBPyConnection
    users: int = 0


class Snapshot:
    """The newest published snapshot of the warehouse at `warehouse`, reopened when a flow republishes it.

    An older file stays open only while requests still use it: a file held
    open is one a publication cannot reuse (warehouse/snapshots.py), so
    letting go at once keeps publications to the changed blocks.
    """

    def __init__(self, warehouse: Path, warm: Callable[[], None] | None = None) -> None:
        self.warehouse = warehouse
        self._published = snapshot_path(warehouse)
        self._warm = warm  # run in a thread of its own on each newly published file: the pages most asked for
        self._lock = threading.Lock()
        self._open: list[_Opened] = []  # newest last; older ones only while a request uses them
        self._answers: OrderedDict[tuple, Any] = OrderedDict()
        self._computing: dict[tuple, threading.Event] = {}

    def _acquire(self, *, warm_in_thread: bool = True) -> _Opened:
        """The newest published file, open, counted as used until `_release`."""
        try:
            inode = os.stat(self._published).st_ino
        except FileNotFoundError:
            raise WarehouseMissing(
                f"no snapshot of {self.warehouse} is published yet; run `papertrend demo` or any flow first"
            ) from None
        with self._lock:
            if not self._open or self._open[-1].inode != inode:
                stack = ExitStack()
                inode, con = stack.enter_context(connect_to_published(self.warehouse))
                self._open.append(_Opened(inode, stack, con))
                self._answers.clear()
                unused = self._take_unused()
                warm = self._warm
            else:
                unused, warm = [], None
            newest = self._open[-1]
            newest.users += 1
        _close(unused)
        if warm is not None and warm_in_thread:
            threading.Thread(target=warm, name="warm", daemon=True).start()
        elif warm is not None:
            warm()
        return newest

    def _release(self, opened: _Opened) -> None:
        with self._lock:
            opened.users -= 1
            unused = self._take_unused()
        _close(unused)

    def _take_unused(self) -> list[_Opened]:
        """The older files no request uses, taken off the list (the caller holds the lock; closes them after)."""
        if not self._open:  # closed for good (the server stops)
            return []
        *older, newest = self._open
        unused = [opened for opened in older if opened.users == 0]
        self._open = [opened for opened in older if opened.users] + [newest]
        return unused

    def open_and_warm(self) -> None:
        """Open the published snapshot (if there is one) and compute the warm-up's pages before returning."""
        with suppress(WarehouseError):  # nothing (usable) published yet: each page says so, the server still starts
            self._release(self._acquire(warm_in_thread=False))

    def read(self, key: tuple, compute: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """`compute` run on a cursor of the newest snapshot, or its answer for `key` from that snapshot. Requests
        for a `key` being computed wait for that answer rather than compute it again at the same time."""
        opened = self._acquire()
        try:
            return self._answer(opened, key, compute)
        finally:
            self._release(opened)

    def _answer(self, opened: _Opened, key: tuple, compute: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        con, full = opened.con, (opened.inode, *key)
        while True:
            with self._lock:
                if full in self._answers:
                    self._answers.move_to_end(full)
                    return self._answers[full]
                running = self._computing.get(full)
                if running is None:
                    self._computing[full] = threading.Event()
                    break
            running.wait()  # then the answer is kept, or its computation failed and this request tries
        try:
            with self._lock:  # the parent connection refuses two calls at once, even cursor()
                cursor = con.cursor()
            try:
                answer = compute(cursor)
            finally:
                with self._lock:
                    cursor.close()
            with self._lock:
                self._answers[full] = answer
                while len(self._answers) > CACHED:
                    self._answers.popitem(last=False)
        finally:
            with self._lock:
                self._computing.pop(full).set()
        return answer

    def close(self) -> None:
        """Close every connection, once the answers being computed (a warm-up's too) are done."""
        with self._lock:
            running = list(self._computing.values())
        for event in running:
            event.wait(timeout=30)
        with self._lock:
            for opened in self._open:
                with suppress(duckdb.Error):  # a computation that outlived the wait: the process is ending anyway
                    opened.stack.close()
            self._open.clear()


def _close(unused: list[_Opened]) -> None:
    for opened in unused:  # outside the lock: closing a DuckDB file must not hold up other requests
        opened.stack.close()
