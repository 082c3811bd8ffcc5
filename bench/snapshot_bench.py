"""Snapshot publication on the 1.3M-paper bench warehouse: versioned publication against the naive full copy.

Every flow run ends by publishing the warehouse for readers. The naive way
(papertrend before issue 20) copies the whole file to a temporary name and
renames it over the snapshot. The versioned way (warehouse/snapshots.py)
brings a version no reader holds up to the warehouse's bytes, block by block.
On a copy of the bench warehouse this publishes once (the first publication is
a copy either way), then for each of --days days loads a day of 1,000 new
papers with their sightings and phrase index (a daily run's change), then
publishes both ways and prints seconds and bytes written (counted by the code,
and by the kernel: /proc/self/io write_bytes) side by side; finally a
publication with no new papers. The first three publications are copies
either way (the rotation fills: the current version and two spare bases); the
base a later one brings up to date is the newest free version, which lags
the current one by one or two runs, so it writes what those runs changed.
On the last day a reader holds the current version across two publications
(an ingest, then its daily email's), as the web application may. One reader holds the current version
throughout the last day, as the web application does.

    python bench/snapshot_bench.py [--warehouse .bench/report/warehouse.duckdb] [--days 3]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report_bench import END, lexicon, week_frames  # noqa: E402
from flows.files import replacing  # noqa: E402
from flows.indexing import refresh_phrase_index  # noqa: E402
from warehouse.db import checkpoint, connect, registered  # noqa: E402
from warehouse.snapshots import SPARES, holding_published, publish  # noqa: E402
from warehouse.transactions import transaction  # noqa: E402

PAPERS_A_DAY = 1_000


def kernel_writes() -> int:
    """Bytes this process caused to be written to storage so far (Linux /proc/self/io)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def naive_publish(source: Path, target: Path) -> int:
    """The old publication: the whole file copied beside the snapshot, then renamed over it (made durable, as
    the versioned publication is)."""
    with open(source, "rb") as src, replacing(target, durable=True) as dst:
        shutil.copyfileobj(src, dst, length=1 << 20)
    return source.stat().st_size


def add_day(path: Path, day: int, rng: random.Random) -> float:
    """A daily run's change: PAPERS_A_DAY new papers, their sightings and observations, the phrase index."""
    began = time.perf_counter()
    monday = END + timedelta(days=7 * (day + 1))
    months = {f"{monday + timedelta(days=d):%y%m}": 90_000 + day * PAPERS_A_DAY for d in range(7)}
    frames = week_frames(rng, lexicon(random.Random(1)), [monday], PAPERS_A_DAY, months)
    with connect(path) as con:
        with transaction(con), registered(con, **dict(zip(("new_p", "new_s", "new_o"), frames, strict=True))):
            for table, name in (("papers", "new_p"), ("sightings", "new_s"), ("observations", "new_o")):
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {name}")
        refresh_phrase_index(con)
        checkpoint(con)
    return time.perf_counter() - began


def timed(step) -> tuple[float, int, object]:
    writes, began = kernel_writes(), time.perf_counter()
    result = step()
    os.sync()  # what the kernel wrote back for this step is counted against it
    return time.perf_counter() - began, kernel_writes() - writes, result


def line(label: str, seconds: float, counted: int, kernel: int) -> str:
    return f"  {label:<34} {seconds:7.2f} s  {counted / 1e6:9,.1f} MB written  (kernel: {kernel / 1e6:9,.1f} MB)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=ROOT / ".bench/report/warehouse.duckdb")
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: beside the warehouse)")
    args = parser.parse_args()
    if not args.warehouse.exists():
        sys.exit(f"error: no bench warehouse at {args.warehouse}; build it with `make bench-report` first")
    work = Path(tempfile.mkdtemp(prefix="snapshot-bench-", dir=args.work or args.warehouse.parent))
    try:
        run(args.warehouse, work, args.days)
    finally:
        shutil.rmtree(work)


def run(original: Path, work: Path, days: int) -> None:
    source = work / "warehouse.duckdb"
    print(f"copying {original} ({original.stat().st_size / 1e9:.2f} GB) to {work} ...", flush=True)
    shutil.copyfile(original, source)
    with connect(source, read_only=True) as con:
        papers = con.execute("SELECT count(*) FROM papers").fetchall()[0][0]
    print(f"{papers:,} papers, {source.stat().st_size / 1e9:.2f} GB; {PAPERS_A_DAY:,} new papers a day\n")
    published, naive_target = work / "warehouse.snapshot.duckdb", work / "naive.snapshot.duckdb"
    seconds, kernel, first = timed(lambda: publish(source, published))
    print(line("first publication (a copy)", seconds, first.bytes_written, kernel))
    for n in range(2, 2 + SPARES):
        seconds, kernel, filling = timed(lambda: publish(source, published))
        print(line(f"publication {n} (a copy: the rotation fills)", seconds, filling.bytes_written, kernel))
    rng = random.Random(20)
    totals = {"naive": [0.0, 0], "versioned": [0.0, 0]}
    for day in range(days):
        loading = add_day(source, day, rng)
        held = holding_published(published) if day == days - 1 else None
        with held or nullcontext():
            print(
                f"day {day + 1}: loaded in {loading:.1f} s" + (" (a reader holds the current version)" if held else "")
            )
            seconds, kernel, counted = timed(lambda: naive_publish(source, naive_target))
            print(line("naive: full copy and rename", seconds, counted, kernel))
            totals["naive"][0] += seconds
            totals["naive"][1] += counted
            seconds, kernel, done = timed(lambda: publish(source, published))
            label = "versioned" + (" (full copy: none free)" if done.full_copy else ": changed blocks")
            print(line(label, seconds, done.bytes_written, kernel))
            totals["versioned"][0] += seconds
            totals["versioned"][1] += done.bytes_written
            if held:
                seconds, kernel, again = timed(lambda: publish(source, published))
                label = "  and again (the email's)" + (" (full copy: none free)" if again.full_copy else "")
                print(line(label, seconds, again.bytes_written, kernel))
    seconds, kernel, same = timed(lambda: publish(source, published))
    print(line("versioned, no new papers", seconds, same.bytes_written, kernel))
    (naive_s, naive_b), (new_s, new_b) = totals["naive"], totals["versioned"]
    print(
        f"\nper daily publication: naive {naive_s / days:.2f} s, {naive_b / days / 1e6:,.0f} MB; "
        f"versioned {new_s / days:.2f} s, {new_b / days / 1e6:,.1f} MB "
        f"({naive_s / max(new_s, 1e-9):.1f}x faster, {naive_b / max(new_b, 1):.0f}x fewer bytes)"
    )
    kept = sorted((work / "snapshots").iterdir())
    print(f"versions on disk: {len(kept)} ({sum(p.stat().st_size for p in kept) / 1e9:.2f} GB)")


if __name__ == "__main__":
    main()
