import os
import subprocess
import sys
from datetime import timedelta

from flows.health import deployment_periods
from flows.settings import Settings
from flows.sweeper import runs_in_child_processes


def test_the_runs_of_our_child_processes_are_known_by_their_flow_run_id():
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        env=os.environ | {"PREFECT__FLOW_RUN_ID": "0f6c9d1e-run"},
    )
    try:
        assert "0f6c9d1e-run" in runs_in_child_processes()
    finally:
        child.kill()
        child.wait()
    assert "0f6c9d1e-run" not in runs_in_child_processes()


def test_a_deployment_period_is_the_longest_gap_between_its_runs():
    periods = deployment_periods(Settings.load(env={}))
    assert periods["hf-daily"] == timedelta(days=1)
    assert periods["weekly-report"] == timedelta(days=7)
    assert periods["arxiv-daily"] == timedelta(days=3)  # Thursday's run to Sunday's


def test_a_run_stopped_by_sigint_or_sigterm_is_recorded_interrupted_and_a_crash_failed(tmp_path):
    import pytest

    from flows.run import Terminated, recorded_run
    from warehouse.db import connect

    settings = Settings.load(data_dir=tmp_path)
    for stop in (KeyboardInterrupt(), Terminated(), RuntimeError("boom")):
        with pytest.raises(type(stop)), recorded_run(settings, "ingest", {}, loads=False):
            raise stop
    with connect(settings.warehouse_path) as con:
        rows = con.execute("SELECT status, error FROM runs").fetchall()
    assert sorted(rows) == [("failed", "RuntimeError('boom')"), ("interrupted", "SIGINT"), ("interrupted", "SIGTERM")]
