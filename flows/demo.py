"""`papertrend demo`: the real pipeline end to end against a local replay of a corpus."""
from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

from flows.ingest import backfill
from flows.summary import IngestIncomplete, IngestSummary
from flows.replay import Corpus, ReplayServer
from flows.settings import Settings
from flows.synthetic import generate_corpus
from warehouse import queries
from warehouse.db import connect

DEMO_SEED = 7


def replay_overrides(settings: Settings, base_url: str) -> dict[str, object]:
    """Settings that point HF at a local replay server with no politeness delay."""
    return {"data_dir": str(settings.data_dir), "warehouse": str(settings.warehouse_path),
            "hf_base_url": base_url, "hf_api_interval": 0.0, "hf_page_interval": 0.0}


def run_demo(settings: Settings, *, corpus: Path | None, days: int,
             papers_per_day: int) -> tuple[str, IngestSummary]:
    """Generate (or take) a corpus, replay it over HTTP, backfill it; return a description and the run's summary."""
    if corpus is None:
        corpus = settings.data_dir / "demo-corpus"
        generate_corpus(corpus, days=days, papers_per_day=papers_per_day, seed=DEMO_SEED)
    dates = Corpus(corpus).days()
    if not dates:
        raise FileNotFoundError(f"{corpus} holds no hf-daily-api/YYYY-MM-DD.json[.gz] files")
    start, end = date.fromisoformat(dates[0]), date.fromisoformat(dates[-1])
    began = time.monotonic()
    with ReplayServer(corpus) as server:
        try:
            summary = backfill(start, end, overrides=replay_overrides(settings, server.base_url))
        except IngestIncomplete as exc:
            summary = exc.summary
    return _describe(settings, summary, start, end, time.monotonic() - began, corpus), summary


def _describe(settings: Settings, summary: IngestSummary, start: date, end: date,
              seconds: float, corpus: Path) -> str:
    with connect(settings.warehouse_path, read_only=True) as con:
        counts = queries.table_counts(con)
        top = queries.top_papers(con, end - timedelta(6), end, limit=5)
    lines = [
        f"replayed {corpus} ({start} -> {end}) through HTTP in {seconds:.1f}s",
        f"this run: {summary.pages_fetched} pages fetched, {summary.days_skipped} days already loaded, "
        f"{summary.new_papers} new papers, {summary.new_sightings} new sightings, "
        f"{summary.pages_quarantined} quarantined, {summary.pages_failed} failed",
        f"warehouse: {counts['papers']} papers, {counts['sightings']} sightings, {counts['raw_pages']} raw pages",
        f"top papers of the week ending {end}:",
        *[f"  {row['upvotes'] or 0:>4}  {row['arxiv_id']}  {row['title'][:80]}" for row in top.iter_rows(named=True)],
        f"warehouse at {settings.warehouse_path.resolve()}  (try: papertrend sql \"SELECT count(*) FROM papers\")",
        f"raw archive at {settings.raw_dir.resolve()}",
    ]
    return "\n".join(lines)
