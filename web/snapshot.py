"""The published snapshot as the web application reads it: one locked-down connection per published file,
a cursor per request, and answers remembered until the next publication.

A flow publishes by renaming a new file over the snapshot, so the file a
connection holds open never changes under it; a request that finds a new inode
opens the new file (warehouse.db.connect_to_published) (the old connection is closed one publication later, when no
request can still be using it). What a page computed is kept per file: the
same snapshot gives the same answer.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from warehouse.db import connect_to_published
from warehouse.errors import WarehouseMissing
from warehouse.paths import snapshot_path

T = TypeVar("T")
CACHED = 2_000  # answers kept per snapshot (pages, stories, papers)


class Snapshot:
    """The newest published snapshot of the warehouse at `warehouse`, reopened when a flow republishes it."""

    def __init__(self, warehouse: Path) -> None:
        self.warehouse = warehouse
        self._lock = threading.Lock()
        self._open: list[tuple[int, ExitStack, duckdb.DuckDBPyConnection]] = []  # newest last, at most two
        self._answers: OrderedDict[tuple, Any] = OrderedDict()

    def _connection(self) -> tuple[int, duckdb.DuckDBPyConnection]:
        try:
            inode = os.stat(snapshot_path(self.warehouse)).st_ino
        except FileNotFoundError:
            raise WarehouseMissing(
                f"no snapshot of {self.warehouse} is published yet; run `papertrend demo` or any flow first"
            ) from None
        with self._lock:
            if not self._open or self._open[-1][0] != inode:
                stack = ExitStack()
                opened, con = stack.enter_context(connect_to_published(self.warehouse))
                self._open.append((opened, stack, con))
                self._answers.clear()
                while len(self._open) > 2:
                    self._open.pop(0)[1].close()
            return self._open[-1][0], self._open[-1][2]

    def read(self, key: tuple, compute: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """`compute` run on a cursor of the newest snapshot, or its answer for `key` from that snapshot."""
        inode, con = self._connection()
        with self._lock:
            if (inode, *key) in self._answers:
                self._answers.move_to_end((inode, *key))
                return self._answers[(inode, *key)]
        cursor = con.cursor()
        try:
            answer = compute(cursor)
        finally:
            cursor.close()
        with self._lock:
            self._answers[(inode, *key)] = answer
            while len(self._answers) > CACHED:
                self._answers.popitem(last=False)
        return answer

    def close(self) -> None:
        with self._lock:
            for _, stack, _ in self._open:
                stack.close()
            self._open.clear()
