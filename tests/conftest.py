"""Shared fixtures: the real captures, a tiny corpus, a real DuckDB file, real replay servers, a clean environment."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Prefect reads these at import time: keep it local, quiet and off the network.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="papertrend-prefect-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import pytest

from digest_replay.server import ReplayServer
from tests.factories import fixtures_or_skip, write_tiny_corpus
from warehouse.db import connect


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return fixtures_or_skip()


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No PAPERTREND_* variable or config file of the developer's leaks into a test."""
    for name in list(os.environ):
        if name.startswith("PAPERTREND_") and name != "PAPERTREND_TEST_FIXTURES":
            monkeypatch.delenv(name)
    empty = tmp_path_factory.mktemp("config") / "papertrend.toml"  # outside the test's own tmp_path
    empty.write_text("# no settings: the defaults, as on a fresh machine\n")
    monkeypatch.setenv("PAPERTREND_CONFIG", str(empty))


@pytest.fixture
def warehouse(tmp_path: Path):
    with connect(tmp_path / "warehouse.duckdb") as con:
        yield con


@pytest.fixture
def fixture_site(fixtures: Path):
    """The real HF archive served over HTTP on 127.0.0.1."""
    with ReplayServer(fixtures) as server:
        yield server


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """A tiny corpus, for fetch, flow and command tests that need no real captures."""
    return write_tiny_corpus(tmp_path / "corpus")


@pytest.fixture
def site(tiny_corpus: Path):
    """A replay server over the tiny corpus; tests arm faults through `site.faults`."""
    with ReplayServer(tiny_corpus) as server:
        yield server
