"""The analysts' view of the audience: counts copied into the warehouse, never a person.

The warehouse table audience_counts holds subscribers per cadence and status and
messages per period and status. It is filled when an old warehouse is upgraded
and refreshed by whatever changes the audience (the email flow, the subscriber
commands) when it publishes the snapshot; other runs never open the store.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse import email_log
from warehouse.audience import connect_audience


def audience_counts(audience: Path) -> list[tuple]:
    """The store's counts (email_log.counts), or none when there is no store yet."""
    if not audience.exists():
        return []
    with connect_audience(audience, read_only=True) as store:
        return email_log.counts(store)


def write_audience_counts(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    """Replace audience_counts with `rows` (kind, cadence, period, status, count) in the caller's transaction."""
    con.execute("DELETE FROM audience_counts")
    if rows:
        con.executemany("INSERT INTO audience_counts VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP)", rows)


def refresh_audience_counts(con: duckdb.DuckDBPyConnection, audience: Path) -> int:
    """Replace the warehouse's audience_counts with the store's counts in one transaction; return the rows."""
    rows = audience_counts(audience)
    con.begin()
    try:
        write_audience_counts(con, rows)
    except BaseException:
        con.rollback()
        raise
    con.commit()
    return len(rows)
