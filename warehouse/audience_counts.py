"""The analysts' view of the audience: counts copied into the warehouse, never a person.

The warehouse table audience_counts holds subscribers per cadence and status and
messages per period and status, refreshed from the audience store whenever a
snapshot is published (every flow run, every subscriber command).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from warehouse import email_log
from warehouse.audience import connect_audience
from warehouse.db import registered, transaction

COUNT_SCHEMA = {"kind": pl.String, "cadence": pl.String, "period": pl.String, "status": pl.String, "count": pl.Int64}


def refresh_audience_counts(con: duckdb.DuckDBPyConnection, audience: Path) -> int:
    """Replace the warehouse's audience_counts with the store's counts in one transaction; return the rows.
    No store yet (nobody subscribed): the table is emptied."""
    rows = []
    if audience.exists():
        with connect_audience(audience, read_only=True) as store:
            rows = email_log.counts(store)
    frame = pl.DataFrame(rows, schema=COUNT_SCHEMA, orient="row")
    with transaction(con), registered(con, fresh_counts=frame):
        con.execute("DELETE FROM audience_counts")
        con.execute(
            """INSERT INTO audience_counts
               SELECT kind, cadence, period, status, count, now()::TIMESTAMP FROM fresh_counts"""
        )
    return len(rows)
