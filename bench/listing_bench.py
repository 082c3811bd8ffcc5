"""arXiv listing benchmark: extraction throughput on a busy /new page, and reextract of the arXiv archive.

1. Builds a listing page of >= 2,000 entries (~6 MB, like busy cs.* /new days)
   from the real listing content in ../shared/fixtures, rendered in arXiv's
   structure, and times our extractor (selectolax) against the naive
   full-tree BeautifulSoup(html.parser) extraction, in the same run.
2. Backfills every arXiv crawl day of the fixtures through the replay server
   (all primary categories) and times `reextract` over the archive it made.

    python bench/listing_bench.py [--corpus ../shared/fixtures] [--skip-reextract]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_CORPUS = ROOT.parent / "shared" / "fixtures"
TARGET_BYTES = 6_000_000


def busy_page(corpus: Path) -> tuple[bytes, int]:
    """A >= 2,000-entry, ~6 MB /new page rendered from the real listing content."""
    from digest_replay.arxiv_corpus import ArxivCorpus
    from digest_replay.arxiv_pages import render_listing

    arxiv = ArxivCorpus(corpus)
    rows, seen, size = [], set(), 0
    for day in arxiv.days():
        for row in arxiv.rows(day):
            if row["id"] not in seen and size < TARGET_BYTES * 0.74:
                seen.add(row["id"])
                rows.append((row, "new"))
                size += len(row["title"]) + len(row.get("summary") or "") + 400
    page = render_listing("cs.LG", date(2026, 3, 10), rows)
    return page, len(rows)


def naive_extract(page: bytes) -> int:
    """The naive way: parse the whole tree with bs4's html.parser, walk dt/dd pairs."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    entries = 0
    for dl in soup.find_all("dl", id="articles"):
        for dd in dl.find_all("dd"):
            title = dd.find("div", class_="list-title")
            authors = [a.get_text() for a in dd.select("div.list-authors a")]
            subjects = dd.find("div", class_="list-subjects")
            entries += bool(title and authors is not None and subjects)
    return entries


def timed(fn, *args, repeat: int = 3) -> tuple[float, object]:
    """Best wall time of `repeat` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - began)
    return best, result


def extraction(corpus: Path) -> None:
    """Print our extractor's throughput next to the naive one's."""
    from extractors.arxiv_listing import parse_listing

    page, entries = busy_page(corpus)
    observed = datetime.now(UTC)
    ours, records = timed(lambda: parse_listing(page, digest_date=date(2026, 3, 10), observed_at=observed))
    naive, counted = timed(naive_extract, page, repeat=1)
    mb = len(page) / 1e6
    assert len(records) == entries == counted, (len(records), entries, counted)
    print(f"listing page: {entries} entries, {mb:.1f} MB")
    print(f"  ours (selectolax):        {ours:6.2f} s  {mb / ours:6.1f} MB/s  {entries / ours:8.0f} entries/s")
    print(f"  naive (bs4 html.parser):  {naive:6.2f} s  {mb / naive:6.1f} MB/s  {entries / naive:8.0f} entries/s")
    print(f"  ratio: {naive / ours:.1f}x   (target >= 5x and >= 15 MB/s)")


def reextract_archive(corpus: Path) -> None:
    """Backfill every arXiv crawl day through the replay, then time reextract."""
    work = Path(tempfile.mkdtemp(prefix="papertrend-listing-bench-"))
    os.environ.update(
        PREFECT_HOME=str(work / "prefect"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_LOGGING_LEVEL="WARNING",
    )
    (work / "prefect").mkdir()
    from digest_replay.arxiv_corpus import ArxivCorpus
    from digest_replay.server import ReplayServer
    from flows.ingest import backfill
    from flows.reextract import reextract
    from flows.settings import Settings, settings_in_use
    from papertrend.demo import replay_overrides
    from warehouse.db import connect
    from warehouse.queries import archive_size

    arxiv = ArxivCorpus(corpus)
    primaries = sorted({row["categories"][0] for day in arxiv.days() for row in arxiv.rows(day)})
    with ReplayServer(corpus) as server:
        overrides = {
            **replay_overrides(Settings.load(data_dir=work / "data"), server.base_url, corpus),
            "hf_enabled": False,
            "arxiv_categories": ",".join(primaries),
        }
        began = time.perf_counter()
        with settings_in_use(Settings.load(**overrides)):
            for day in arxiv.days():
                backfill(day, day)
        loaded = time.perf_counter() - began
    settings = Settings.load(**overrides)
    with connect(settings.warehouse_path, read_only=True) as con:
        pages, mb = archive_size(con)
    began = time.perf_counter()
    with settings_in_use(settings):
        result = reextract()
    seconds = time.perf_counter() - began
    print(
        f"arXiv archive: {pages} raw listing pages, {mb:.0f} MB, {len(arxiv.days())} crawl days x "
        f"{len(primaries)} categories (backfill through HTTP took {loaded:.1f} s incl. Prefect start-up)"
    )
    print(
        f"  reextract: {seconds:.2f} s, {pages / seconds:.0f} pages/s, {mb / seconds:.1f} MB/s, "
        f"{result.counts.new_sightings} sightings rebuilt"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--skip-reextract", action="store_true")
    args = parser.parse_args()
    if not (args.corpus / "arxiv-listing-jsonl").is_dir():
        raise SystemExit(f"no arXiv listings at {args.corpus}/arxiv-listing-jsonl (pass --corpus)")
    extraction(args.corpus)
    if not args.skip_reextract:
        reextract_archive(args.corpus)


if __name__ == "__main__":
    main()
