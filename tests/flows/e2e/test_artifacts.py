"""Prefect-native visibility: an ingest run's table artifact and a weekly run's Markdown artifact, read back
through Prefect's API as the UI reads them."""

from __future__ import annotations

import json

import pytest
from prefect.client.orchestration import get_client

from digest_replay.server import ReplayServer
from digest_replay.synthetic.hf import generate_corpus
from flows.artifacts import INGEST_KEY, REPORT_KEY
from flows.ingest import backfill
from flows.settings import Settings
from flows.weekly import weekly_report
from papertrend.demo import replay_overrides
from reports.weeks import last_complete_week_in_data
from tests.factories import run_flow


def artifacts(key: str) -> list:
    with get_client(sync_client=True) as client:
        return [a for a in client.read_artifacts() if a.key == key]


@pytest.mark.slow
def test_ingest_and_weekly_runs_publish_artifacts_through_the_api(tmp_path):
    summary = generate_corpus(tmp_path / "corpus", days=30, papers_per_day=12, arxiv=False)
    settings = Settings.load(data_dir=tmp_path / "data")
    with ReplayServer(tmp_path / "corpus") as server:
        loaded = run_flow(replay_overrides(settings, server.base_url), backfill, summary.first_date, summary.last_date)
    expected = {
        "sources": "hf",
        "pages fetched": loaded.pages_fetched,
        "new papers": loaded.new_papers,
        "new sightings": loaded.new_sightings,
        "updated sightings": loaded.updated_sightings,
        "quarantined": 0,
    }
    # Other flow tests of the session publish artifacts too: this run's is the one with its counts.
    tables = [a for a in artifacts(INGEST_KEY) if a.type == "table" and a.flow_run_id is not None]
    assert [expected] in [_rows(a.data) for a in tables] and loaded.new_papers > 0
    week = last_complete_week_in_data(summary.last_date)
    overrides = replay_overrides(settings, "http://127.0.0.1:9") | {"web_base_url": "https://papers.example.org"}
    report = run_flow(overrides, weekly_report, week)
    ours = [a for a in artifacts(REPORT_KEY) if "https://papers.example.org/weeks/" in str(a.data)]
    assert len(ours) == 1 and ours[0].type == "markdown" and ours[0].flow_run_id is not None
    assert f"# papertrend {week}" in ours[0].data and f"{report.papers} papers." in ours[0].data
    assert f"https://papers.example.org/weeks/{week}" in ours[0].data


def _rows(data: object) -> object:
    return json.loads(data) if isinstance(data, str) else data
