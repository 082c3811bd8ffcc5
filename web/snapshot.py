"""The published snapshot as the web application reads it: one locked-down connection per published file,
a cursor per request, and answers remembered until the next publication.

A flow publishes a new version file and points the snapshot's symlink at it;
the version a connection holds open never changes under it (it is held:
warehouse/snapshots.py). A request that finds a new inode opens the new file
(warehouse.db.connect_to_published); the old connection is closed one
publication later, when no request can still be using it. What a page computed is kept per file: the
same snapshot gives the same answer.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from warehouse.db import connect_to_published
from warehouse.errors import WarehouseError, WarehouseMissing
from warehouse.paths import snapshot_path

T = TypeVar("T")
CACHED = 2_000  # answers kept per snapshot (pages, stories, papers)


class Snapshot:
    """The newest published snapshot of the warehouse at `warehouse`, reopened when a flow republishes it."""

    def __init__(self, warehouse: Path, warm: Callable[[Snapshot], None] | None = None) -> None:
        self.warehouse = warehouse
        self._warm = warm  # run in a thread of its own on each newly published file: the pages most asked for
        self._lock = threading.Lock()
        self._open: list[tuple[int, ExitStack, duckdb.DuckDBPyConnection]] = []  # newest last, at most two
        self._answers: OrderedDict[tuple, Any] = OrderedDict()
        self._computing: dict[tuple, threading.Event] = {}

    def _connection(self, *, warm_in_thread: bool = True) -> tuple[int, duckdb.DuckDBPyConnection]:
        try:
            inode = os.stat(snapshot_path(self.warehouse)).st_ino
        except FileNotFoundError:
            raise WarehouseMissing(
                f"no snapshot of {self.warehouse} is published yet; run `papertrend demo` or any flow first"
            ) from None
        with self._lock:
            if not self._open or self._open[-1][0] != inode:
                stack = ExitStack()
                inode, con = stack.enter_context(connect_to_published(self.warehouse))
                self._open.append((inode, stack, con))
                self._answers.clear()
                while len(self._open) > 2:
                    self._open.pop(0)[1].close()
                warm = self._warm
            else:
                warm = None
            newest = self._open[-1][0], self._open[-1][2]
        if warm is not None and warm_in_thread:
            threading.Thread(target=warm, args=(self,), name="warm", daemon=True).start()
        elif warm is not None:
            warm(self)
        return newest

    def open_and_warm(self) -> None:
        """Open the published snapshot (if there is one) and compute the warm-up's pages before returning."""
        with suppress(WarehouseError):  # nothing (usable) published yet: each page says so, the server still starts
            self._connection(warm_in_thread=False)

    def read(self, key: tuple, compute: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """`compute` run on a cursor of the newest snapshot, or its answer for `key` from that snapshot. Requests
        for a `key` being computed wait for that answer rather than compute it again at the same time."""
        inode, con = self._connection()
        full = (inode, *key)
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
            for _, stack, _ in self._open:
                with suppress(duckdb.Error):  # a computation that outlived the wait: the process is ending anyway
                    stack.close()
            self._open.clear()
