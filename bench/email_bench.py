"""Email benchmark: 1,000 subscribers with filters and seeds, composed and sent to a local SMTP server.

Against a naive baseline in the same run: a new SMTP connection per message and
the week's trends (report, period, charts) recomputed per subscriber, timed on
20 subscribers and extrapolated. Prints messages/s, peak RSS and the ratio.
Targets: >= 100 messages/s and >= 10x the baseline.

    python bench/email_bench.py [--subscribers 1000] [--naive 20]
"""

from __future__ import annotations

import argparse
import random
import resource
import smtplib
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET_RATE, TARGET_RATIO = 100.0, 10.0


def build_warehouse(folder: Path) -> tuple[Path, str, list[str]]:
    from digest_replay.synthetic.hf import generate_corpus
    from reports.weeks import iso_week, week_start
    from tests.factories import load_corpus
    from warehouse.db import connect

    summary = generate_corpus(folder / "corpus", days=60, papers_per_day=25, seed=13, arxiv=False)
    path = load_corpus(folder / "corpus", folder / "warehouse.duckdb")
    week = iso_week(summary.last_date - timedelta(days=summary.last_date.weekday() + 1))
    with connect(path, read_only=True) as con:
        ids = [i for (i,) in con.execute("SELECT arxiv_id FROM papers ORDER BY arxiv_id").fetchall()]
    assert week_start(week) <= summary.last_date
    return path, week, ids


def subscribers(count: int, ids: list[str]) -> list:
    from digest_replay.synthetic.papers import BACKGROUND_TOPICS, RISING_TOPICS
    from warehouse.subscribers import Subscriber, valid_subscriber

    rng = random.Random(3)
    terms = [t for group in (*BACKGROUND_TOPICS.values(), *RISING_TOPICS.values()) for t in group]
    topics = list(BACKGROUND_TOPICS) + list(RISING_TOPICS)
    return [
        valid_subscriber(
            Subscriber(
                f"reader{n:04d}@example.org",
                f"Reader {n}",
                keywords=tuple(rng.sample(terms, 2)),
                topics=tuple(rng.sample(topics, 1)),
                seeds=tuple(rng.sample(ids, 2)),
                max_papers=rng.choice((5, 10, 15)),
                only_matches=n % 10 == 0,
            )
        )
        for n in range(count)
    ]


def run_fast(settings, week: str) -> tuple[float, int]:
    """The week's report, its period and charts once, then every message over one connection."""
    from flows.email import deliver  # imported before the clock starts, as in a served flow

    began = time.perf_counter()
    outcome = deliver(settings, "weekly", week)
    assert not outcome.failed, outcome.failed[:3]
    return time.perf_counter() - began, outcome.sent + outcome.skipped


def run_naive(settings, week: str, subs: list) -> tuple[float, int]:
    """Per subscriber: the report, the period and its charts again, then a connection of its own."""
    from flows.email import sender_of
    from mail.digest import personal_digest
    from mail.message import Composer
    from mail.period import build_period
    from reports.trends import build_week_report
    from reports.weeks import week_start
    from warehouse import email_log
    from warehouse.audience import connect_audience
    from warehouse.db import connect
    from warehouse.subscribers import subscribers

    sender = sender_of(settings)
    with connect_audience(settings.audience_path) as store:
        stored = {s.address: s for s in subscribers(store, ids=None)}
    subs = [stored[s.address] for s in subs]  # with their ids, as the flow reads them
    began = time.perf_counter()
    with connect(settings.warehouse_path) as con, connect_audience(settings.audience_path) as store:
        for sub in subs:
            report = build_week_report(con, week_start(week))[0]
            period = build_period(con, "weekly", week, report, seeds=list(sub.seeds))
            message, mid = Composer(period, sender).compose(personal_digest(period, sub))
            email_log.claim(store, week + "-naive", [email_log.Claim(sub.id, mid)])
            with smtplib.SMTP(settings.email_smtp_host, settings.email_smtp_port, timeout=30) as smtp:
                smtp.sendmail(settings.email_from_address, [sub.address], message)
            email_log.mark_done(store, week + "-naive", sub.id, "sent", "250", mid)
    return time.perf_counter() - began, len(subs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--naive", type=int, default=20)
    args = parser.parse_args()
    from digest_replay.smtp_server import free_port
    from flows.settings import Settings
    from warehouse.audience import audience_path, connect_audience
    from warehouse.subscribers import add_subscribers

    with tempfile.TemporaryDirectory(prefix="papertrend-email-bench-") as tmp:
        began = time.perf_counter()
        path, week, ids = build_warehouse(Path(tmp))
        subs = subscribers(args.subscribers, ids)
        with connect_audience(audience_path(path)) as store:
            add_subscribers(store, subs)
        print(
            f"warehouse of {len(ids)} papers, {len(subs)} subscribers, week {week}: {time.perf_counter() - began:.0f} s"
        )
        # The relay runs in a process of its own, as a real one does: it must not share our interpreter.
        port = free_port()
        relay = subprocess.Popen(
            [sys.executable, "-m", "digest_replay.smtp_server", str(port)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert relay.stdout is not None and relay.stdout.readline().strip() == "ready"
        settings = Settings(
            data_dir=Path(tmp),
            email_smtp_host="127.0.0.1",
            email_smtp_port=port,
            email_smtp_security="none",
            email_from_address="papertrend@example.org",
        )
        fast_s, fast_n = run_fast(settings, week)
        fast_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        naive_s, naive_n = run_naive(settings, week, subs[: args.naive])
        received = int(relay.communicate("")[0].strip()) - naive_n
    fast_rate = fast_n / fast_s
    naive_rate = naive_n / naive_s
    print(f"\n{'variant':<8} {'messages':>8} {'wall s':>8} {'msg/s':>8} {'peak RSS MB':>12}")
    print(f"{'batched':<8} {fast_n:>8} {fast_s:>8.2f} {fast_rate:>8.1f} {fast_rss:>12.0f}")
    print(f"{'naive':<8} {naive_n:>8} {naive_s:>8.2f} {naive_rate:>8.2f} {'-':>12}")
    print(f"naive for {fast_n} (extrapolated): {naive_s / naive_n * fast_n:.0f} s; ratio {fast_rate / naive_rate:.0f}x")
    print(f"the relay received {received} (the rest skipped: only-matches subscribers with no match)")
    print(f"targets: >= {TARGET_RATE:.0f} messages/s, >= {TARGET_RATIO:.0f}x the naive baseline")


if __name__ == "__main__":
    main()
