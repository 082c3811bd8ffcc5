import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.run import publish_snapshot
from flows.settings import Settings
from papertrend.cli import app
from tests.factories import PageResult, load_pages, page, record
from warehouse.db import connect
from warehouse.paths import lock_path, snapshot_path

runner = CliRunner()
BIG = "SELECT n, repeat('x', 200) AS pad FROM range(100000000) t(n)"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    with connect(data / "warehouse.duckdb") as con:
        load_pages(con, [PageResult(page(), [record()])], run_id="r1")
    publish_snapshot(Settings.load(data_dir=data))
    (data / "raw" / "2026-04-10").mkdir(parents=True)
    (data / "raw" / "2026-04-10" / "hf-api.json").write_bytes(b'{"kept": true}')
    return data


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sql(data: Path, *args: str, query: str = "SELECT 1 AS one"):
    return runner.invoke(app, ["sql", query, "-f", "csv", "--data-dir", str(data), *args])


def _one_line(result) -> str:
    assert "Traceback" not in result.output
    return result.stderr.splitlines()[0]


def test_output_onto_any_managed_file_is_refused_and_leaves_it_unchanged(data, tmp_path, monkeypatch):
    config = tmp_path / "papertrend.toml"
    config.write_text("[fetch]\nattempts = 4\n")
    monkeypatch.setenv("PAPERTREND_CONFIG", str(config))
    warehouse = data / "warehouse.duckdb"
    lock_path(warehouse).write_text("")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "link.duckdb").symlink_to(warehouse)
    os.link(warehouse, outside / "hardlink.duckdb")
    targets = [
        warehouse,
        snapshot_path(warehouse),
        lock_path(warehouse),
        data / "raw" / "2026-04-10" / "hf-api.json",
        data / "reports" / "new.csv",  # a file papertrend would write later is refused too
        config,
        outside / "link.duckdb",
        outside / "hardlink.duckdb",
        Path(os.environ["PREFECT_HOME"]) / "prefect.db",
    ]
    before = {path: _sha(path) for path in targets if path.exists()}
    for target in targets:
        result = _sql(data, "-o", str(target), "--overwrite")
        assert result.exit_code == 2, target
        assert "papertrend manages" in _one_line(result)
    assert {path: _sha(path) for path in before} == before
    assert not (data / "reports" / "new.csv").exists()


def test_an_existing_file_is_replaced_only_with_overwrite(data, tmp_path):
    mine = tmp_path / "mine.csv"
    mine.write_text("precious\n")
    refused = _sql(data, "-o", str(mine))
    assert refused.exit_code == 2 and "--overwrite" in _one_line(refused)
    assert mine.read_text() == "precious\n"
    replaced = _sql(data, "-o", str(mine), "--overwrite")
    assert replaced.exit_code == 0 and mine.read_text() == "one\n1\n"


def test_path_problems_are_one_line_and_exit_2(data, tmp_path):
    cases = {
        str(tmp_path / "missing" / "out.csv"): "does not exist",
        str(tmp_path): "is a folder",
        "/dev/full": "No space left",
    }
    for target, said in cases.items():
        result = _sql(data, "-o", target, "--overwrite")
        assert result.exit_code == 2, target
        assert said in _one_line(result)
    assert not list((tmp_path / "missing").parent.glob("missing"))


@pytest.mark.slow  # over 1 s: make test-fast stays under a minute
def test_a_timeout_while_streaming_leaves_no_file(data, tmp_path):
    out = tmp_path / "big.csv"
    result = _sql(data, "-o", str(out), "--timeout", "1", query=BIG)
    assert result.exit_code == 1 and "longer than 1 s" in _one_line(result)
    assert list(tmp_path.glob("*big.csv*")) == []


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, -signal.SIGTERM)])
def test_an_interrupted_export_leaves_no_file(data, tmp_path, sig, code):
    out = tmp_path / "big.csv"
    command = [sys.executable, "-m", "papertrend.cli", "sql", BIG, "-f", "csv", "-o", str(out), "--data-dir", str(data)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not any(p.stat().st_size > 1_000_000 for p in tmp_path.glob(".big.csv.*")):
            assert process.poll() is None and time.monotonic() < deadline, process.stderr
            time.sleep(0.05)
        process.send_signal(sig)
        assert process.wait(timeout=30) in (code, 128 + sig)
    finally:
        process.kill()
        process.communicate()
    assert list(tmp_path.glob("*big.csv*")) == []


def test_a_pipe_is_written_directly(data, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = _sql(data, "-o", str(fifo))
    reader.join(timeout=30)
    assert result.exit_code == 0 and received == [b"one\n1\n"]


def test_several_statements_are_refused_and_run_none(data):
    result = _sql(data, query="SELECT 1; SELECT 2")
    assert result.exit_code == 1 and "2 statements" in _one_line(result)
    assert result.stdout == ""


def test_a_query_may_start_with_a_comment(data):
    result = _sql(data, query="-- how many papers?\nSELECT count(*) AS n FROM papers")
    assert result.exit_code == 0 and result.stdout == "n\n1\n"


def test_the_audience_store_beside_a_warehouse_outside_the_data_folder_is_refused(tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    warehouse = elsewhere / "warehouse.duckdb"
    monkeypatch.setenv("PAPERTREND_WAREHOUSE", str(warehouse))
    data = tmp_path / "data"
    with connect(warehouse) as con:
        load_pages(con, [PageResult(page(), [record()])], run_id="r1")
    publish_snapshot(Settings.load(data_dir=data))
    store = Settings.load(data_dir=data).audience_path
    assert store.parent == elsewhere
    for target in (store, Path(f"{store}-wal"), Path(f"{store}.sending")):
        result = _sql(data, "-o", str(target), "--overwrite")
        assert result.exit_code == 2, target
        assert "papertrend manages" in _one_line(result)
        assert not target.exists()
