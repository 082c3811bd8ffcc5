"""Readers and a writer in different processes: SQL keeps answering while a backfill loads."""

import os
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from digest_replay.server import ReplayServer
from papertrend.cli import app

runner = CliRunner()


@pytest.mark.slow
@pytest.mark.fixtures
def test_sql_answers_throughout_a_backfill_first_load_included(fixtures, tmp_path):
    data = tmp_path / "data"
    with ReplayServer(fixtures) as server:
        env = {
            **os.environ,
            "PAPERTREND_DATA_DIR": str(data),
            "PAPERTREND_HF_BASE_URL": server.base_url,
            "PAPERTREND_HF_API_INTERVAL": "0",
            "PAPERTREND_ARXIV_ENABLED": "false",
            "PREFECT_HOME": str(tmp_path / "prefect"),
        }
        writer = subprocess.Popen(
            [sys.executable, "-m", "papertrend.cli", "backfill", "2024-05-27", "2025-06-30", "--large"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            while not (data / "warehouse.snapshot.duckdb").exists():  # published as the first run starts
                assert writer.poll() is None, writer.stderr.read() if writer.stderr else ""
                time.sleep(0.1)
            answers = []
            for _ in range(60):
                result = runner.invoke(
                    app, ["sql", "SELECT count(*) FROM papers", "-f", "csv", "--data-dir", str(data)]
                )
                answers.append((result.exit_code, result.stderr.strip()))
            still_loading = writer.poll() is None
        finally:
            _, errors = writer.communicate(timeout=600)
    assert writer.returncode == 0, errors
    assert [a for a in answers if a[0] != 0] == []
    assert still_loading  # the readers really overlapped the load


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
