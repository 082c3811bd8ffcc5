"""The `runs` table: one row per flow run, with its parameters, outcome and counts."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import duckdb

from common.sources import ARXIV_API
from warehouse.transactions import transaction


@dataclass
class RunCounts:
    """What a flow run counted: the one list of run counters, each stored in its `runs` column."""

    days_requested: int = 0  # days (or ids) the run was asked for
    days_skipped: int = 0  # of those, already loaded: not fetched
    pages_fetched: int = 0
    pages_not_modified: int = 0
    pages_failed: int = 0  # days that could not be fetched
    pages_quarantined: int = 0  # days whose only pages did not extract
    pages_fallback: int = 0  # days loaded through the digest page after the API failed
    days_unfetched: int = 0  # left when a host rate-limited us
    new_papers: int = 0
    new_sightings: int = 0
    updated_sightings: int = 0

    def counters(self) -> dict[str, int]:
        """The counts by column name, in RUN_COUNTERS order."""
        return {name: getattr(self, name) for name in RUN_COUNTERS}


RUN_COUNTERS = tuple(f.name for f in fields(RunCounts))


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
    con: duckdb.DuckDBPyConnection, run_id: str, *, status: str, counts: RunCounts, error: str | None = None
) -> None:
    """Record a run's outcome and counts."""
    values = [int(value) for value in counts.counters().values()]
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
            """INSERT INTO api_windows VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP)
                       ON CONFLICT DO UPDATE SET total = excluded.total, loaded = excluded.loaded,
                           complete = excluded.complete, fetched_at = excluded.fetched_at""",
            [ARXIV_API, listing, window_date, total, loaded, complete],
        )
