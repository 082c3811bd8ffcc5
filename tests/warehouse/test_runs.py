import os
import subprocess
import sys

from warehouse.runs import ABANDON_AFTER_HOURS, RunCounts, finish_run, start_run

HOST = "this-host"


def statuses(con):
    return dict(con.execute("SELECT run_id, status FROM runs").fetchall())


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_run_whose_process_died_is_abandoned_by_the_next_run(warehouse):
    killed = start_run(warehouse, "backfill", {}, host=HOST, pid=dead_pid())
    alive = start_run(warehouse, "ingest", {}, host=HOST, pid=os.getpid())
    elsewhere = start_run(warehouse, "ingest", {}, host="another-host", pid=dead_pid())
    assert statuses(warehouse)[killed] == "abandoned"
    assert statuses(warehouse)[alive] == "running"  # still going: left alone
    assert statuses(warehouse)[elsewhere] == "running"  # its pid means nothing here
    error, finished = warehouse.execute("SELECT error, finished_at FROM runs WHERE run_id = ?", [killed]).fetchall()[0]
    assert "gone" in error and finished is not None


def test_a_run_older_than_the_limit_is_abandoned_wherever_it_ran(warehouse):
    stale = start_run(warehouse, "ingest", {}, host="another-host", pid=1)
    warehouse.execute(
        f"UPDATE runs SET started_at = started_at - INTERVAL {ABANDON_AFTER_HOURS + 1} HOUR WHERE run_id = ?", [stale]
    )
    done = start_run(warehouse, "ingest", {}, host=HOST, pid=dead_pid())
    finish_run(warehouse, done, status="completed", counts=RunCounts())
    start_run(warehouse, "ingest", {}, host=HOST, pid=os.getpid())
    assert statuses(warehouse)[stale] == "abandoned"
    assert statuses(warehouse)[done] == "completed"  # a finished run is never touched
