"""The `runs` table: one row per flow run, with its parameters, outcome and counts."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import duckdb

from warehouse.db import transaction

RUN_COUNTERS = (
    "pages_fetched",
    "pages_not_modified",
    "pages_failed",
    "pages_quarantined",
    "pages_fallback",
    "days_unfetched",
    "new_papers",
    "new_sightings",
    "updated_sightings",
)


def start_run(con: duckdb.DuckDBPyConnection, flow: str, params: dict[str, Any]) -> str:
    """Record a run as started and return its id."""
    run_id = uuid.uuid4().hex
    with transaction(con):
        con.execute(
            """INSERT INTO runs (run_id, flow, params, status, started_at)
                       VALUES (?, ?, ?, 'running', now()::TIMESTAMP)""",
            [run_id, flow, json.dumps(params, sort_keys=True, default=str)],
        )
    return run_id


def finish_run(
    con: duckdb.DuckDBPyConnection, run_id: str, *, status: str, counts: dict[str, int], error: str | None = None
) -> None:
    """Record a run's outcome and counts."""
    values = [int(counts.get(name, 0)) for name in RUN_COUNTERS]
    assignments = ", ".join(f"{name} = ?" for name in RUN_COUNTERS)
    with transaction(con):
        con.execute(
            f"""UPDATE runs SET status = ?, finished_at = now()::TIMESTAMP, error = ?, {assignments}
                        WHERE run_id = ?""",
            [status, error, *values, run_id],
        )


def record_api_window(
    con: duckdb.DuckDBPyConnection, *, listing: str, window_date: date, total: int, loaded: int, complete: bool
) -> None:
    """Note how much of an API query window (category x submission day) came in."""
    with transaction(con):
        con.execute(
            """INSERT INTO api_windows VALUES ('arxiv-api', ?, ?, ?, ?, ?, now()::TIMESTAMP)
                       ON CONFLICT DO UPDATE SET total = excluded.total, loaded = excluded.loaded,
                           complete = excluded.complete, fetched_at = excluded.fetched_at""",
            [listing, window_date, total, loaded, complete],
        )
