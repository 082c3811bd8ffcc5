import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.factories import PageResult, load_pages, page, record
from warehouse import queries
from warehouse.db import connect

LOADER = Path(__file__).with_name("crash_loader.py")
ROOT = Path(__file__).resolve().parents[2]


def start_loader(path: Path) -> subprocess.Popen:
    """A loader whose load has begun: its transaction is open."""
    process = subprocess.Popen([sys.executable, str(LOADER), str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "loading"
    return process


def load_seconds(path: Path) -> float:
    """How long the load itself takes, from its transaction opening to its commit."""
    process = start_loader(path)
    began = time.monotonic()
    assert process.stdout.readline().strip() == "loaded"
    took = time.monotonic() - began
    assert finish(process).strip() == "done"
    return took


def finish(process: subprocess.Popen) -> str:
    out = process.stdout.read()
    process.stdout.close()
    process.wait()
    return out


def state(path: Path) -> str:
    with connect(path) as con:  # opening read-write replays or discards the WAL
        return queries.content_hash(con)


@pytest.mark.slow
def test_sigkill_mid_load_leaves_the_warehouse_before_or_after_never_between(tmp_path):
    base = tmp_path / "base.duckdb"
    with connect(base) as con:
        load_pages(con, [PageResult(page(), [record()])], run_id="seed")
    before = state(base)

    calibration = tmp_path / "calibration.duckdb"
    shutil.copy(base, calibration)
    seconds = load_seconds(calibration)
    after = state(calibration)
    assert after != before

    rng, killed_mid_load = random.Random(20261126), 0
    for trial in range(10):
        path = tmp_path / f"trial-{trial}.duckdb"
        shutil.copy(base, path)
        process = start_loader(path)
        time.sleep(rng.uniform(0.05, 0.9) * seconds)  # from the load's start, as it was timed
        process.send_signal(signal.SIGKILL)
        killed_mid_load += "loaded" not in finish(process)
        assert state(path) in (before, after), f"trial {trial}: the warehouse holds a partial load"
    # Otherwise this test could pass without ever interrupting a load.
    assert killed_mid_load >= 5
