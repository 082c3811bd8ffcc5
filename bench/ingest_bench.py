"""Ingest benchmark: replay the real 501-day HF archive over local HTTP and time the flows.

Prints wall time, pages/s, papers/s and peak RSS for the default (API) path,
the digest-page path and a naive baseline, each in its own process against one
shared Prefect server (whose start-up is reported separately), plus the
digest-page extractor's throughput alone. Figures are ratios against the
baseline measured in the same run, since this machine is noisy.

    python bench/ingest_bench.py [--corpus ../shared/fixtures] [--skip-naive]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "fixtures"
START, END = date(2024, 5, 27), date(2026, 4, 30)


def child(variant: str, corpus: Path, data_dir: Path) -> None:
    """Run one variant in this process and print its figures as JSON."""
    sys.path.insert(0, str(ROOT))
    from digest_replay.server import ReplayServer
    from flows.ingest import backfill
    from flows.settings import Settings, settings_in_use
    from papertrend.demo import replay_overrides
    from warehouse.db import connect

    with ReplayServer(corpus) as server:
        began = time.perf_counter()
        if variant == "naive":
            from bench.naive_baseline import run

            papers = run(server.base_url, START, END, data_dir)
            pages = (END - START).days + 1
        else:
            overrides = replay_overrides(Settings.load(data_dir=data_dir), server.base_url)
            with settings_in_use(Settings.load(**{**overrides, "hf_mode": variant})):
                summary = backfill(START, END)
            pages, papers = summary.pages_fetched, summary.new_sightings
        wall = time.perf_counter() - began
    if variant != "naive":
        with connect(data_dir / "warehouse.duckdb", read_only=True) as con:
            papers = con.execute("SELECT count(*) FROM sightings").fetchall()[0][0]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"variant": variant, "wall": wall, "pages": pages, "papers": papers, "peak_rss_mb": peak_mb}))


def page_extractor_throughput(corpus: Path) -> dict:
    """MB/s of the digest-page extractor alone over every day rendered as an HF page."""
    sys.path.insert(0, str(ROOT))
    from digest_replay.corpus import Corpus
    from digest_replay.hf_pages import render_daily_page
    from extractors.hf_daily_html import parse_daily_page

    replay = Corpus(corpus)
    pages = [(d, replay.captured_page(d) or render_daily_page(replay.api_body(d) or b"[]", d)) for d in replay.days()]
    size = sum(len(body) for _, body in pages)
    observed = datetime.now(UTC)
    began = time.perf_counter()
    entries = sum(
        len(parse_daily_page(body, digest_date=date.fromisoformat(d), observed_at=observed)) for d, body in pages
    )
    seconds = time.perf_counter() - began
    from bs4 import BeautifulSoup

    began = time.perf_counter()
    for _, body in pages[:50]:
        BeautifulSoup(body, "html.parser")
    naive_mb_s = sum(len(b) for _, b in pages[:50]) / 1e6 / (time.perf_counter() - began)
    return {
        "pages": len(pages),
        "mb": size / 1e6,
        "entries": entries,
        "mb_s": size / 1e6 / seconds,
        "naive_full_parse_mb_s": naive_mb_s,
    }


def start_prefect_server(home: Path) -> tuple[object, float]:
    os.environ.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_LOGGING_LEVEL="WARNING",
    )
    home.mkdir(parents=True, exist_ok=True)
    from prefect.server.api.server import SubprocessASGIServer

    began = time.perf_counter()
    server = SubprocessASGIServer()
    server.start()
    return server, time.perf_counter() - began


def run_variant(variant: str, corpus: Path, work: Path, api_url: str) -> dict:
    env = {**os.environ, "PREFECT_API_URL": api_url}
    out = subprocess.run(
        [sys.executable, __file__, "--child", variant, "--corpus", str(corpus), "--data-dir", str(work / variant)],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--child")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.corpus, args.data_dir)
    if not (args.corpus / "hf-daily-api").is_dir():
        raise SystemExit(f"no HF archive at {args.corpus}/hf-daily-api (pass --corpus)")
    work = Path(tempfile.mkdtemp(prefix="papertrend-bench-"))
    server, startup = start_prefect_server(work / "prefect")
    print(f"corpus {args.corpus}  range {START} -> {END}  (machine: {os.cpu_count()} cores)")
    print(f"prefect server start-up: {startup:.1f} s (not counted below)")
    try:
        results = [
            run_variant(v, args.corpus, work, server.api_url)
            for v in ("api", "page", *(() if args.skip_naive else ("naive",)))
        ]
    finally:
        server.stop()
    naive = next((r for r in results if r["variant"] == "naive"), None)
    print(f"\n{'variant':<8}{'wall s':>8}{'pages':>7}{'pages/s':>9}{'papers/s':>10}{'peak RSS MB':>13}{'vs naive':>10}")
    for r in results:
        ratio = f"{naive['wall'] / r['wall']:.1f}x" if naive else "-"
        print(
            f"{r['variant']:<8}{r['wall']:>8.1f}{r['pages']:>7}{r['pages'] / r['wall']:>9.0f}"
            f"{r['papers'] / r['wall']:>10.0f}{r['peak_rss_mb']:>13.0f}{ratio:>10}"
        )
    t = page_extractor_throughput(args.corpus)
    print(
        f"\ndigest-page extractor alone: {t['mb_s']:.0f} MB/s over {t['pages']} pages ({t['mb']:.0f} MB, "
        f"{t['entries']} entries); full-tree bs4 html.parser: {t['naive_full_parse_mb_s']:.1f} MB/s "
        f"({t['mb_s'] / t['naive_full_parse_mb_s']:.0f}x)"
    )
    print("targets: api wall <= 15 s, >= 4x naive, peak RSS <= 400 MB")


if __name__ == "__main__":
    main()
