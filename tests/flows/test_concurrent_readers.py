"""Readers and a writer in different processes: SQL keeps answering, from the last published snapshot, while a
backfill loads."""

import os
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from papertrend.cli import app
from tests.factories import HOLD_LIMIT, HoldingReplay
from warehouse.db import connect

runner = CliRunner()
FIRST, LAST = "2024-05-27", "2024-07-07"  # six weeks, loaded a week per batch
HELD_DAY = "2024-06-10"  # the first day of the third batch: two batches are loaded when it is asked for


def _papers_in_snapshot(data):
    result = runner.invoke(app, ["sql", "SELECT count(*) AS n FROM papers", "-f", "csv", "--data-dir", str(data)])
    return result.stdout.splitlines()[1:] if result.exit_code == 0 else (result.exit_code, result.stderr)


@pytest.mark.slow
@pytest.mark.fixtures
def test_sql_answers_from_the_last_snapshot_throughout_a_backfill_first_load_included(fixtures, tmp_path):
    data = tmp_path / "data"
    with HoldingReplay(fixtures, HELD_DAY) as server:
        env = {
            **os.environ,
            "PAPERTREND_DATA_DIR": str(data),
            "PAPERTREND_HF_BASE_URL": server.base_url,
            "PAPERTREND_HF_API_INTERVAL": "0",
            "PAPERTREND_ARXIV_ENABLED": "false",
            "PAPERTREND_BATCH_DAYS": "7",
            "PAPERTREND_FETCH_READ_TIMEOUT": str(HOLD_LIMIT),  # the held request is waited for, not retried
            "PAPERTREND_FETCH_DEADLINE": str(HOLD_LIMIT),
            "PREFECT_HOME": str(tmp_path / "prefect"),
        }
        writer = subprocess.Popen(
            [sys.executable, "-m", "papertrend.cli", "backfill", FIRST, LAST],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            while not (data / "warehouse.snapshot.duckdb").exists():  # published as the first run starts
                assert writer.poll() is None, writer.stderr.read() if writer.stderr else ""
                time.sleep(0.1)
            while_loading = []  # every read from the first publication until the writer is held: the first loads
            while not server.reached.is_set():
                assert writer.poll() is None, writer.stderr.read() if writer.stderr else ""
                while_loading.append(_papers_in_snapshot(data))
            with connect(data / "warehouse.duckdb", read_only=True) as con:  # the writer waits on its request
                loaded_so_far = con.execute("SELECT count(*) FROM papers").fetchall()[0][0]
            while_held = [_papers_in_snapshot(data) for _ in range(5)]
        finally:
            server.released.set()
            _, errors = writer.communicate(timeout=600)
    assert writer.returncode == 0, errors
    with connect(data / "warehouse.duckdb", read_only=True) as con:
        loaded = con.execute("SELECT count(*) FROM papers").fetchall()[0][0]
    # Two batches were in the warehouse, yet every reader saw the snapshot the run published before loading.
    assert loaded_so_far > 0
    assert [a for a in while_loading + while_held if a != ["0"]] == []
    assert _papers_in_snapshot(data) == [str(loaded)] and loaded > loaded_so_far  # the run ends by publishing


READER_LOOP = """
import sys, pathlib
from warehouse.db import connect_for_reading
stop, errors, reads = pathlib.Path(sys.argv[2]), 0, 0
while not stop.exists():
    try:
        with connect_for_reading(sys.argv[1]) as con:
            con.execute("SELECT count(*) FROM papers").fetchall()
        reads += 1
    except Exception as exc:
        errors += 1
        print(type(exc).__name__, exc, file=sys.stderr)
print(reads, errors)
"""


@pytest.mark.slow
def test_fifty_snapshot_publications_while_two_readers_loop_give_no_reader_error(tmp_path):
    from flows.run import publish_snapshot
    from flows.settings import Settings
    from tests.factories import PageResult, load_pages, page, record
    from warehouse.db import connect

    settings = Settings.load(data_dir=tmp_path)
    with connect(settings.warehouse_path) as con:
        load_pages(con, [PageResult(page(), [record()])], run_id="r1")
    publish_snapshot(settings)
    stop = tmp_path / "stop"
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER_LOOP, str(settings.warehouse_path), str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for n in range(50):
        with connect(settings.warehouse_path) as con:
            load_pages(con, [PageResult(page(sha=f"{n:064d}"), [record(f"2604.{n:05d}")])], run_id=f"r{n}")
        publish_snapshot(settings)
    stop.touch()
    outcomes = [reader.communicate(timeout=60) for reader in readers]
    counts = [tuple(int(x) for x in out.split()) for out, _ in outcomes]
    assert [errors for _, errors in counts] == [0, 0], [err for _, err in outcomes]
    assert all(reads > 0 for reads, _ in counts)
