"""The naive ingest the benchmark compares against (bench code only, never used by the pipeline).

One Prefect task per page, BeautifulSoup(html.parser) over each whole digest
page, and one autocommitted INSERT per row.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
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
def naive_page(base_url: str, day: date, db: str) -> int:
    html = httpx.get(f"{base_url}/papers/date/{day}", timeout=30).text
    soup = BeautifulSoup(html, "html.parser")
    div = soup.find("div", attrs={"data-target": "DailyPapers"})
    papers = json.loads(div["data-props"])["dailyPapers"] if div else []
    con = duckdb.connect(db)
    try:
        for rank, entry in enumerate(papers, start=1):
            paper = entry["paper"]
            con.execute("INSERT INTO papers VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                        [paper["id"], paper["title"], paper.get("summary")])
            con.execute("INSERT INTO sightings VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        [paper["id"], day, rank, paper.get("upvotes"), datetime.now(timezone.utc)])
    finally:
        con.close()
    return len(papers)


@flow(name="naive-backfill", validate_parameters=False)
def naive_backfill(base_url: str, start: date, end: date, db: str) -> int:
    con = duckdb.connect(db)
    con.execute(SCHEMA)
    con.close()
    days = [start + timedelta(n) for n in range((end - start).days + 1)]
    return sum(naive_page(base_url, day, db) for day in days)


def run(base_url: str, start: date, end: date, data_dir: Path) -> int:
    data_dir.mkdir(parents=True, exist_ok=True)
    return naive_backfill(base_url, start, end, str(data_dir / "naive.duckdb"))
