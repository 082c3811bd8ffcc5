"""A tiny corpus and a replay server over it, for fetch and flow tests that need no real captures."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.replay import Fault, ReplayServer

DAYS = ["2026-04-06", "2026-04-07", "2026-04-08"]


def entry(arxiv_id: str, title: str, upvotes: int) -> dict:
    return {"paper": {"id": arxiv_id, "title": title, "summary": f"We study {title.lower()}.",
                      "authors": [{"_id": "x", "name": "Søren Müller", "hidden": False}],
                      "publishedAt": "2026-04-05T00:00:00.000Z", "upvotes": upvotes},
            "publishedAt": "2026-04-05T20:00:00.000Z", "title": title, "numComments": 1}


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "hf-daily-api").mkdir(parents=True)
    for n, day in enumerate(DAYS):
        entries = [entry(f"2604.0{n}00{i}", f"Paper {n}-{i} on test-time compute", 10 - i) for i in range(3)]
        (root / "hf-daily-api" / f"{day}.json").write_text(json.dumps(entries))
    return root


@pytest.fixture
def site(tiny_corpus: Path):
    """A replay server over the tiny corpus; tests arm faults through `site.faults`."""
    with ReplayServer(tiny_corpus) as server:
        yield server


def arm(server: ReplayServer, spec: str) -> Fault:
    fault = Fault.parse(spec)
    server.faults.append(fault)
    return fault
