"""Shared fixtures: the real captures, a real DuckDB file, a real replay server, a clean environment."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

# Prefect reads these at import time: keep it local, quiet and off the network.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="papertrend-prefect-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import pytest  # noqa: E402

from flows.replay import ReplayServer  # noqa: E402
from warehouse.db import connect  # noqa: E402

FIXTURES = (Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures").resolve()
FIXTURES = Path(os.environ.get("PAPERTREND_TEST_FIXTURES", FIXTURES))


def fixtures_or_skip() -> Path:
    """The real captures; skipped when absent on a user's clone, an error in CI."""
    if (FIXTURES / "hf-daily-api").is_dir():
        return FIXTURES
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but the real captures are missing at {FIXTURES}")
    pytest.skip(f"real captures not found at {FIXTURES} (they live in ../shared/fixtures, outside the repo)")


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return fixtures_or_skip()


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No PAPERTREND_* variable or config file of the developer's leaks into a test."""
    for name in list(os.environ):
        if name.startswith("PAPERTREND_") and name != "PAPERTREND_TEST_FIXTURES":
            monkeypatch.delenv(name)
    monkeypatch.setenv("PAPERTREND_CONFIG", str(tmp_path / "absent.toml"))


@pytest.fixture
def warehouse(tmp_path: Path):
    with connect(tmp_path / "warehouse.duckdb") as con:
        yield con


@pytest.fixture
def fixture_site(fixtures: Path):
    """The real HF archive served over HTTP on 127.0.0.1."""
    with ReplayServer(fixtures) as server:
        yield server


@contextmanager
def held_by_another_process(path: Path):
    """Keep `path` open read-write in a second process (DuckDB then refuses every other process)."""
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); time.sleep(60)", str(path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
