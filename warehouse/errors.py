"""The warehouse's errors: it cannot be opened, is held by another writer, is not there yet, or is damaged."""

from __future__ import annotations

from common.errors import PapertrendError


class WarehouseError(PapertrendError):
    """The warehouse cannot be opened or used as asked."""


class WarehouseLocked(WarehouseError):
    """Another process holds the warehouse file open for writing."""


class WarehouseMissing(WarehouseError, FileNotFoundError):
    """A read-only connection was asked for a warehouse that does not exist yet."""


class WarehouseCorrupt(WarehouseError):
    """The warehouse or its snapshot is damaged: truncated, overwritten, or not a DuckDB file at all."""
