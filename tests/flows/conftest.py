"""A tiny corpus and a replay server over it, for fetch and flow tests that need no real captures."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest_replay.server import ReplayServer
from tests.factories import write_tiny_corpus


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    return write_tiny_corpus(tmp_path / "corpus")


@pytest.fixture
def site(tiny_corpus: Path):
    """A replay server over the tiny corpus; tests arm faults through `site.faults`."""
    with ReplayServer(tiny_corpus) as server:
        yield server
