"""`papertrend demo`: the real pipeline end to end against a local replay of a corpus."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from common.errors import PapertrendError
from common.sources import ARXIV_LISTING_FOLDER, HF_API_FOLDER
from digest_replay.arxiv_corpus import ArxivCorpus
from digest_replay.corpus import Corpus
from digest_replay.server import ReplayServer
from digest_replay.smtp_server import LocalSmtpServer
from digest_replay.synthetic.hf import generate_corpus
from flows.ingest import backfill
from flows.run import RunIncomplete, RunSummary
from flows.settings import Settings, settings_in_use
from reports.locations import index_path, report_path
from warehouse import queries
from warehouse.db import connect_for_reading

DEMO_SEED = 7
DEMO_FROM = "papertrend@example.org"
# Two example subscribers with different interests: their "your topics" sections differ.
DEMO_SUBSCRIBERS = (
    ("ada@example.org", ("test-time compute", "reasoning budget")),
    ("bob@example.org", ("diffusion models", "vision-language models")),
)


class CorpusEmpty(PapertrendError):
    """The corpus to replay holds no captures of any source."""


def replay_overrides(settings: Settings, base_url: str, corpus: Path | None = None) -> dict[str, Any]:
    """Settings that point every source at a local replay server, with no politeness delay.

    arXiv is followed only when the corpus has arXiv listings, through the
    replay's dated listing path (the real /new page has no date).
    """
    arxiv = ArxivCorpus(corpus) if corpus is not None else None
    return {
        "data_dir": str(settings.data_dir),
        "warehouse": str(settings.warehouse_path),
        "hf_base_url": base_url,
        "hf_api_interval": 0.0,
        "hf_page_interval": 0.0,
        "arxiv_enabled": bool(arxiv and arxiv.days()),
        "arxiv_base_url": base_url,
        "arxiv_api_url": base_url,
        "arxiv_interval": 0.0,
        "arxiv_listing_path": "/list/{category}/new?date={date}",
    }


def captured_days(corpus: Path) -> tuple[list[date], list[date]]:
    """The HF and arXiv days `corpus` holds captures of; raises CorpusEmpty when it holds none."""
    hf_days = [date.fromisoformat(d) for d in Corpus(corpus).days()]
    arxiv_days = ArxivCorpus(corpus).days()
    if not hf_days and not arxiv_days:
        raise CorpusEmpty(f"{corpus} holds neither {HF_API_FOLDER}/ nor {ARXIV_LISTING_FOLDER}/ captures")
    return hf_days, arxiv_days


def run_demo(settings: Settings, *, corpus: Path | None, days: int, papers_per_day: int) -> tuple[str, RunSummary]:
    """Generate (or take) a corpus, replay it over HTTP, backfill it; return a description and the run's summary."""
    if corpus is None:
        corpus = settings.data_dir / "demo-corpus"
        generate_corpus(corpus, days=days, papers_per_day=papers_per_day, seed=DEMO_SEED)
    hf_days, arxiv_days = captured_days(corpus)
    began, summary = time.monotonic(), RunSummary()
    with ReplayServer(corpus) as server:
        overrides = replay_overrides(settings, server.base_url, corpus)
        # One pass per source: the HF days as a range, arXiv only on the days it was crawled.
        passes = (
            [(hf_days, {"arxiv_enabled": False}, None), (arxiv_days, {"hf_enabled": False}, arxiv_days)]
            if overrides["arxiv_enabled"]
            else [(hf_days, {}, None)]
        )
        for pass_days, switch, only in passes:
            if pass_days:
                summary.add(_backfill_quietly(min(pass_days), max(pass_days), {**overrides, **switch}, only))
    end = max(hf_days + arxiv_days)
    description = _describe(settings, summary, min(hf_days + arxiv_days), end, time.monotonic() - began, corpus)
    from flows.weekly import weekly_report  # topics and charts (sklearn, matplotlib): only when reporting

    _subscribe_examples(settings)
    # The week's emails go to a local SMTP server of the demo's own; what it receives is saved as .eml.
    with LocalSmtpServer() as smtp:
        email: dict[str, Any] = {
            "email_smtp_host": "127.0.0.1",
            "email_smtp_port": smtp.port,
            "email_smtp_security": "none",
            "email_from_address": DEMO_FROM,
            # The emails' manage and unsubscribe links point at `papertrend web` as the demo suggests running it.
            "web_base_url": settings.web_base_url or f"http://127.0.0.1:{settings.web_port}",
        }
        with settings_in_use(Settings.load(**replay_overrides(settings, "http://127.0.0.1:9"), **email)):
            report = weekly_report()
    inbox = (settings.data_dir / "demo-inbox").resolve()
    saved = smtp.save(inbox)
    html = report_path(settings.data_dir, report.week).resolve()
    description += (
        f"\nweekly report {report.week}: {report.papers} papers, top stories: "
        f"{'; '.join(s.label for s in report.stories[:3]) or 'nothing rose clearly'}"
        f"\n  {html}  (Markdown: report.md; all weeks: {index_path(settings.data_dir).resolve()})"
        f"\nemail: {len(saved)} message(s) to {', '.join(a for a, _ in DEMO_SUBSCRIBERS)} received by a local SMTP "
        f"server, saved in {inbox}"
        + ("" if saved else " (already sent for this week: each subscriber gets a week's email once)")
        + f"\nbrowse it: make web (papertrend web --data-dir {settings.data_dir}), then open "
        f"http://127.0.0.1:{settings.web_port}: weeks, stories, papers, search, feeds, subscribe; the emails' "
        "manage and unsubscribe links work there"
    )
    return description, summary


def _subscribe_examples(settings: Settings) -> None:
    from warehouse.audience import connect_audience
    from warehouse.subscribers import Subscriber, add_subscribers, subscribers, valid_subscriber

    with connect_audience(settings.audience_path) as store:
        known = {s.address for s in subscribers(store, active_only=False)}  # one who unsubscribed stays so
        fresh = [Subscriber(a, keywords=k) for a, k in DEMO_SUBSCRIBERS if a not in known]
        if fresh:
            add_subscribers(store, [valid_subscriber(s) for s in fresh])


def _backfill_quietly(start: date, end: date, overrides: dict, only: list[date] | None) -> RunSummary:
    try:
        with settings_in_use(Settings.load(**overrides)):
            return backfill(start, end, only_days=only)
    except RunIncomplete as exc:
        return exc.summary


def _describe(settings: Settings, summary: RunSummary, start: date, end: date, seconds: float, corpus: Path) -> str:
    with connect_for_reading(settings.warehouse_path) as con:
        counts = queries.table_counts(con)
        counts_by_source = queries.digests_by_source(con)
        top = queries.top_papers(con, end - timedelta(6), end, limit=5)
    lines = [
        f"replayed {corpus} ({start} -> {end}) through HTTP in {seconds:.1f}s",
        f"sources: {', '.join(f'{source} {n} digests' for source, n in counts_by_source.items())}",
        f"this run: {summary.pages_fetched} pages fetched, {summary.days_skipped} days already loaded, "
        f"{summary.new_papers} new papers, {summary.new_sightings} new sightings, "
        f"{summary.pages_quarantined} quarantined, {summary.pages_failed} failed",
        f"warehouse: {counts['papers']} papers, {counts['sightings']} sightings, {counts['raw_pages']} raw pages",
        f"top papers of the week ending {end}:",
        *[f"  {row['upvotes'] or 0:>4}  {row['arxiv_id']}  {row['title'][:80]}" for row in top.iter_rows(named=True)],
        f'warehouse at {settings.warehouse_path.resolve()}  (try: papertrend sql "SELECT count(*) FROM papers")',
        f"raw archive at {settings.raw_dir.resolve()}",
    ]
    return "\n".join(lines)
