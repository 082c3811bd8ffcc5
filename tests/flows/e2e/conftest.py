"""Prefect's real test harness, started once per session and only for the flow tests in this folder."""

from __future__ import annotations

import pytest
from prefect.settings import temporary_settings
from prefect.testing.utilities import prefect_test_harness


@pytest.fixture(autouse=True, scope="session")
def prefect_harness():
    # No heartbeats: their thread sleeps in 1-s steps and holds every flow run up to a second at its end.
    with prefect_test_harness(server_startup_timeout=120), temporary_settings({"flows.heartbeat_frequency": None}):
        yield
