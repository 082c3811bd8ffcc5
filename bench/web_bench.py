"""Web benchmark: `papertrend web` on the 1.3M-paper bench warehouse under an open-loop load on loopback.

A generator in its own process sends requests at a fixed rate (default 40/s for
30 s) whatever the answers' pace (open loop: a slow answer does not delay the
next request; latency counts from the moment a request was due). The mix is
home, a week, a paper (random ids: the snapshot is really read), a story and a
search (random two-word queries from titles). Prints p50/p95/max and errors per
kind against the targets (p95 <= 200 ms for pages, <= 500 ms for search, no
errors), and the naive search (ILIKE over abstracts in DuckDB) against the
FTS5 index on the same queries in the same run.

    python bench/web_bench.py [--warehouse .bench/report/warehouse.duckdb] [--rate 40] [--seconds 30]

The warehouse is the one `make bench-report` builds (bench/report_bench.py --keep);
the first run publishes its snapshot and builds the search index (minutes).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
KINDS = ("home", "week", "paper", "story", "search")
TARGETS = {"search": 0.5} | {k: 0.2 for k in KINDS if k != "search"}


def prepare(warehouse: Path) -> tuple[list[str], list[str], list[str], str]:
    """Publish the snapshot (and search index); sample paper ids and queries; the stored week and its stories."""
    from flows.run import publish_snapshot
    from flows.settings import Settings
    from warehouse.db import connect_for_reading

    settings = Settings(data_dir=warehouse.parent, warehouse=warehouse)
    started = time.perf_counter()
    publish_snapshot(settings)
    print(f"snapshot and search index published in {time.perf_counter() - started:.1f} s")
    with connect_for_reading(warehouse) as con:
        ids = [r[0] for r in con.execute("SELECT arxiv_id FROM papers USING SAMPLE 2000 ROWS").fetchall()]
        titles = [r[0] for r in con.execute("SELECT title FROM papers USING SAMPLE 400 ROWS").fetchall()]
        week = con.execute("SELECT max(week) FROM reports").fetchone()[0]
        stories = [r[0] for r in con.execute("SELECT story_id FROM stories WHERE week = ?", [week]).fetchall()]
    rng = random.Random(7)
    queries = []
    for title in titles:
        words = [w.strip(":,.()").lower() for w in title.split() if len(w.strip(":,.()")) >= 5]
        if len(words) >= 2:
            queries.append(" ".join(rng.sample(words, 2)))
    return ids, queries, stories, week


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def generate(base: str, urls: list[tuple[str, str]], rate: float, results: multiprocessing.Queue) -> None:
    """The load generator's process: request urls[i] at start + i/rate, each from a thread of its own."""
    import httpx

    client = httpx.Client(base_url=base, timeout=30, limits=httpx.Limits(max_connections=256))

    def one(kind: str, url: str, due: float) -> tuple[str, float, int]:
        try:
            status = client.get(url).status_code
        except httpx.HTTPError:
            status = 0
        return kind, time.perf_counter() - due, status

    start = time.perf_counter() + 0.5
    futures = []
    with ThreadPoolExecutor(max_workers=256) as pool:
        for i, (kind, url) in enumerate(urls):
            due = start + i / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            futures.append(pool.submit(one, kind, url, due))
        results.put([f.result() for f in futures])
    client.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def naive_against_index(warehouse: Path, queries: list[str]) -> tuple[list[float], list[float]]:
    """Each query through the naive ILIKE search and the FTS5 index, one after the other, unloaded."""
    from warehouse import web_queries
    from warehouse.db import connect_for_reading
    from warehouse.paths import search_index_path
    from warehouse.search_index import SearchIndex

    index = SearchIndex(search_index_path(warehouse))
    naive, fts = [], []
    with connect_for_reading(warehouse) as con:
        for query in queries:
            started = time.perf_counter()
            web_queries.naive_search(con, query.split(), 20)
            naive.append(time.perf_counter() - started)
            started = time.perf_counter()
            index.search(query, limit=20, timeout=30)
            fts.append(time.perf_counter() - started)
    return naive, fts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=ROOT / ".bench/report/warehouse.duckdb")
    parser.add_argument("--rate", type=float, default=40.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--naive-queries", type=int, default=20)
    args = parser.parse_args()
    if not args.warehouse.exists():
        sys.exit(f"no warehouse at {args.warehouse}: build it with `make bench-report` (bench/report_bench.py --keep)")
    ids, queries, stories, week = prepare(args.warehouse)
    rng = random.Random(11)
    total = int(args.rate * args.seconds)
    urls = []
    for i in range(total):
        kind = KINDS[i % len(KINDS)]
        url = {
            "home": "/",
            "week": f"/weeks/{week}",
            "paper": f"/papers/{rng.choice(ids)}",
            "story": f"/stories/{rng.choice(stories)}" if stories else f"/weeks/{week}",
            "search": f"/search?q={rng.choice(queries).replace(' ', '+')}",
        }[kind]
        urls.append((kind, url))
    port = _free_port()
    env = os.environ | {
        "PAPERTREND_WAREHOUSE": str(args.warehouse),
        "PAPERTREND_DATA_DIR": str(args.warehouse.parent),
        "PAPERTREND_WEB_PORT": str(port),
    }
    server = subprocess.Popen([sys.executable, "-m", "papertrend.cli", "web"], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(300):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        results: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
        generator = multiprocessing.get_context("spawn").Process(target=generate, args=(base, urls, args.rate, results))
        generator.start()
        measured = results.get()
        generator.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"\nopen-loop load: {args.rate:g} requests/s for {args.seconds:g} s ({total} requests) on {base}")
    print(f"{'kind':8} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>6}  target p95")
    passed = True
    for kind in KINDS:
        rows = [(lat, status) for k, lat, status in measured if k == kind]
        latencies = [lat for lat, _ in rows]
        errors = sum(status != 200 for _, status in rows)
        p95 = percentile(latencies, 0.95)
        ok = p95 <= TARGETS[kind] and errors == 0
        passed &= ok
        print(
            f"{kind:8} {len(rows):5d} {percentile(latencies, 0.5) * 1000:8.1f} {p95 * 1000:8.1f} "
            f"{max(latencies) * 1000:8.1f} {errors:6d}  <= {TARGETS[kind] * 1000:.0f} ms {'ok' if ok else 'MISSED'}"
        )
    naive, fts = naive_against_index(args.warehouse, queries[: args.naive_queries])
    print(
        f"\nsearch, {len(naive)} queries one at a time: naive ILIKE over abstracts p50 {statistics.median(naive) * 1000:.0f} ms "
        f"(p95 {percentile(naive, 0.95) * 1000:.0f}), FTS5 p50 {statistics.median(fts) * 1000:.1f} ms "
        f"(p95 {percentile(fts, 0.95) * 1000:.1f}): {statistics.median(naive) / statistics.median(fts):.0f}x faster"
    )
    print("all targets met" if passed else "TARGETS MISSED")


if __name__ == "__main__":
    main()
