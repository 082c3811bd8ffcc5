"""The `runs` table: one row per flow run, with its parameters, outcome and counts."""

from __future__ import annotations

import json
import os
import uuid
from datetime import date
from typing import Any

import duckdb

from warehouse.transactions import transaction

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


# A run still 'running' after this long is abandoned even when we cannot see its
# process (another host): no flow of ours takes a day (a full backfill takes minutes).
ABANDON_AFTER_HOURS = 24


def start_run(con: duckdb.DuckDBPyConnection, flow: str, params: dict[str, Any], *, host: str, pid: int) -> str:
    """Record a run as started by process `pid` on `host` and return its id.

    First, runs left 'running' by a process that is gone are marked 'abandoned'.
    """
    run_id = uuid.uuid4().hex
    with transaction(con):
        abandon_dead_runs(con, host=host)
        con.execute(
            """INSERT INTO runs (run_id, flow, params, status, started_at, host, pid)
                       VALUES (?, ?, ?, 'running', now()::TIMESTAMP, ?, ?)""",
            [run_id, flow, json.dumps(params, sort_keys=True, default=str), host, pid],
        )
    return run_id


def abandon_dead_runs(con: duckdb.DuckDBPyConnection, *, host: str) -> int:
    """Mark 'abandoned' the running runs whose process is provably gone; return how many.

    Gone: started on this host by a pid that is no longer alive, or started
    more than ABANDON_AFTER_HOURS ago wherever it ran.
    """
    running = con.execute(
        """SELECT run_id, host, pid, started_at < now()::TIMESTAMP - to_hours(?::INTEGER)
           FROM runs WHERE status = 'running'""",
        [ABANDON_AFTER_HOURS],
    ).fetchall()
    dead = [run_id for run_id, h, pid, old in running if old or (h == host and pid is not None and not _alive(pid))]
    for run_id in dead:
        con.execute(
            """UPDATE runs SET status = 'abandoned', finished_at = now()::TIMESTAMP,
                              error = 'the process running it is gone (killed or crashed)'
               WHERE run_id = ?""",
            [run_id],
        )
    return len(dead)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


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
