"""The naive ingest the benchmark compares against (bench code only, never used by the pipeline).

One Prefect task per page, BeautifulSoup(html.parser) over each whole digest
page, and one autocommitted INSERT per row. It shares one HTTP client and one
DuckDB connection across tasks, so the comparison is about those three
choices, not about connection set-up.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import httpx
from bs4 import BeautifulSoup
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

SCHEMA = """CREATE TABLE IF NOT EXISTS papers (arxiv_id VARCHAR PRIMARY KEY, title VARCHAR, abstract VARCHAR);
CREATE TABLE IF NOT EXISTS sightings (arxiv_id VARCHAR, digest_date DATE, rank INTEGER, upvotes INTEGER,
                                      observed_at TIMESTAMP, PRIMARY KEY (arxiv_id, digest_date));"""


@task(cache_policy=NO_CACHE, persist_result=False)
def naive_page(client: httpx.Client, con: duckdb.DuckDBPyConnection, base_url: str, day: date) -> int:
    """Fetch one digest page, parse the whole tree, insert row by row (autocommit)."""
    html = client.get(f"{base_url}/papers/date/{day}").text
    soup = BeautifulSoup(html, "html.parser")
    div = soup.find("div", attrs={"data-target": "DailyPapers"})
    papers = json.loads(div["data-props"])["dailyPapers"] if div else []
    for rank, entry in enumerate(papers, start=1):
        paper = entry["paper"]
        con.execute(
            "INSERT INTO papers VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [paper["id"], paper["title"], paper.get("summary")],
        )
        con.execute(
            "INSERT INTO sightings VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [paper["id"], day, rank, paper.get("upvotes"), datetime.now(UTC)],
        )
    return len(papers)


@flow(name="naive-backfill", validate_parameters=False)
def naive_backfill(base_url: str, start: date, end: date, db: str) -> int:
    """One task per page over [start, end]; returns the number of entries seen."""
    days = [start + timedelta(n) for n in range((end - start).days + 1)]
    with httpx.Client(timeout=30) as client, duckdb.connect(db) as con:
        con.execute(SCHEMA)
        return sum(naive_page(client, con, base_url, day) for day in days)


def run(base_url: str, start: date, end: date, data_dir: Path) -> int:
    """Run the naive backfill into `<data_dir>/naive.duckdb`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return naive_backfill(base_url, start, end, str(data_dir / "naive.duckdb"))
