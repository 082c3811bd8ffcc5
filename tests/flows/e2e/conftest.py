"""Prefect's real test harness, started once per session and only for the flow tests in this folder."""
from __future__ import annotations

from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness

from flows.demo import replay_overrides
from flows.settings import Settings


@pytest.fixture(autouse=True, scope="session")
def prefect_harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def overrides_for(data_dir: Path, base_url: str, **extra) -> dict:
    """Settings that point the flows at a replay server and keep retries quick."""
    settings = Settings.load(data_dir=data_dir)
    return {**replay_overrides(settings, base_url), "fetch_backoff": 0.01, "fetch_attempts": 2, **extra}
