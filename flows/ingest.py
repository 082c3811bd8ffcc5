"""Prefect flows that fetch digests (HF Daily Papers, arXiv /new listings) into the warehouse.

`ingest` fetches a day and its refresh window; `backfill` a date range,
resumably. Tasks work on batches of days (a Prefect task costs ~40 ms, so
never one per paper, nor one per page); each batch loads in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import duckdb
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from common.names import Cadence
from common.sources import ARXIV, HF, enabled_sources
from flows import progress
from flows.alerts import alert_ops
from flows.archive import RawArchive
from flows.artifacts import publish_ingest_counts
from flows.bounds import check_day, refresh_window
from flows.calendar import missing_announcements
from flows.day import DayOutcome, Validators, collect_day
from flows.digests import WorkItem, work_items
from flows.http import shared_fetcher
from flows.run import RunIncomplete, RunSummary, recorded_run, run_name
from flows.settings import Settings, run_settings
from warehouse import queries
from warehouse.db import connect
from warehouse.load import load_pages
from warehouse.queries import DigestKey


@task(name="ingest-days", cache_policy=NO_CACHE, persist_result=False)
def ingest_items(
    items: list[WorkItem], settings: Settings, run_id: str, known: dict[DigestKey, Validators], stopped_hosts: set[str]
) -> RunSummary:
    """Fetch, archive and extract a batch of digests, then load them in one transaction.

    Items on a host that rate-limited us (here or in an earlier batch) are not fetched.
    """
    archive = RawArchive(settings.raw_dir)
    fetchers = {kind: shared_fetcher(settings.fetch_policy(kind)) for kind in ("api", "page", "listing")}
    outcomes, stopped, unfetched = [], set(stopped_hosts), 0
    for item in items:
        host = urlsplit(item.kinds[0].base_url).netloc
        if host in stopped:
            unfetched += 1
        else:
            outcome = collect_day(item, fetchers=fetchers, archive=archive, known=known)
            outcomes.append(outcome)
            if outcome.rate_limited:
                stopped.add(host)
                unfetched += 1
        progress.advance(1)
    with connect(settings.warehouse_path) as con:
        counts = load_pages(con, [r for o in outcomes for r in o.results], run_id=run_id)
    summary = _summarise(outcomes)
    summary.add_load(counts)
    summary.days_unfetched, summary.stopped_hosts = unfetched, stopped
    return summary


def _summarise(outcomes: list[DayOutcome]) -> RunSummary:
    # Counted per day, not per page: an API page that failed on a day the digest
    # page then loaded is a fallback (kept in quarantine for the record), not a failure.
    unloaded = [o for o in outcomes if not o.loaded and not o.rate_limited]
    quarantined = [r for o in unloaded for r in o.quarantined]
    return RunSummary(
        pages_fetched=sum(o.fetched for o in outcomes),
        pages_not_modified=sum(o.not_modified for o in outcomes),
        pages_failed=sum(1 for o in unloaded if not o.quarantined),
        pages_quarantined=len(quarantined),
        pages_fallback=sum(o.fell_back for o in outcomes),
        quarantined=[f"{r.page.url} ({r.error})" for r in quarantined],
        failed=[f for o in unloaded if not o.quarantined for f in o.failures],
        stopped=next((o.rate_limited for o in outcomes if o.rate_limited), None),
    )


def run_days(
    flow_name: str,
    items: list[WorkItem],
    settings: Settings,
    params: dict[str, Any],
    *,
    skip_loaded: bool,
    live_at: datetime | None = None,
) -> RunSummary:
    """Run the work in batches of `batch_days` days, recorded as one run; raises RunIncomplete if needed.

    With `skip_loaded`, items whose digest is already loaded are not fetched.
    With `live_at` (a scheduled run for "now"), arXiv listings older than the
    calendar says they should be are reported as missing announcements.
    The warehouse is opened for writing once to start, once per batch, once to finish.
    """
    plan = DayPlan(items, skip_loaded, settings.refresh_days)
    check = None
    if live_at is not None and settings.arxiv_enabled:
        check = partial(_check_announcements, settings=settings, now=live_at)
    with recorded_run(
        settings, flow_name, params, on_start=plan.settle, on_finish=check, raise_incomplete=False
    ) as summary:
        progress.begin(len(plan.items), f"{flow_name}: fetching {len(plan.items)} digest(s)")
        for batch in _batches(plan.items, settings.batch_days):
            summary.add(ingest_items(batch, settings, summary.run_id, plan.known, summary.stopped_hosts))
    publish_ingest_counts(
        flow_name, enabled_sources(hf=settings.hf_enabled, arxiv=settings.arxiv_enabled), summary
    )  # an incomplete run's pages count too
    if summary.incomplete:
        raise RunIncomplete(summary)
    return summary


@dataclass
class DayPlan:
    """The days a run asked for, and, once settled against the warehouse, those it fetches and what it knows."""

    items: list[WorkItem]
    skip_loaded: bool
    settle_days: int
    known: dict[DigestKey, Validators] = field(default_factory=dict)

    def settle(self, con: duckdb.DuckDBPyConnection, summary: RunSummary) -> None:
        """Drop the items already loaded (with skip_loaded), note the pages loaded for the rest, count both."""
        requested = len(self.items)
        keys = [kind.key(item.day) for item in self.items for kind in item.kinds]
        if self.skip_loaded and self.items:
            loaded = queries.loaded_digests(con, keys, settle_days=self.settle_days)
            self.items = [i for i in self.items if not any(k.key(i.day) in loaded for k in i.kinds)]
        self.known = queries.digest_validators(con, keys) if self.items else {}
        summary.days_requested, summary.days_skipped = requested, requested - len(self.items)


def _check_announcements(
    con: duckdb.DuckDBPyConnection, summary: RunSummary, *, settings: Settings, now: datetime
) -> None:
    shown = queries.latest_listing_dates(con, settings.categories)
    alerts = missing_announcements(shown, now, settings.holidays)
    summary.failed += alerts
    summary.pages_failed += len(alerts)


def _batches(items: list[WorkItem], days_per_batch: int) -> list[list[WorkItem]]:
    # Whole days per batch, so a day's HF page and its arXiv listings load together.
    days = sorted({item.day for item in items})
    groups = [set(days[n : n + days_per_batch]) for n in range(0, len(days), days_per_batch)]
    return [[item for item in items if item.day in group] for group in groups]


@flow(name="backfill", validate_parameters=False, flow_run_name=run_name("backfill {start}..{end}"))
def backfill(start: date, end: date, force: bool = False, only_days: list[date] | None = None) -> RunSummary:
    """Load every digest day in [start, end] (or just `only_days` of it); loaded days are skipped unless `force`."""
    settings = run_settings()
    days = [
        d
        for d in (start + timedelta(n) for n in range((end - start).days + 1))
        if only_days is None or d in set(only_days)
    ]
    # The real /new page shows only today's listing: history comes from the API (arxiv_history).
    items = work_items(settings, days, with_arxiv="{date}" in settings.arxiv_listing_path)
    return run_days("backfill", items, settings, {"start": start, "end": end, "force": force}, skip_loaded=not force)


@flow(
    name="ingest",
    validate_parameters=False,
    flow_run_name=run_name("ingest {day}", day=lambda: str(_today(run_settings()))),
    on_failure=[alert_ops],
)
def ingest(
    day: date | None = None,
    refresh_days: int | None = None,
    as_of: datetime | None = None,
    sources: list[str] | None = None,
    send_daily: bool = False,
) -> RunSummary:
    """Fetch one digest day (default: today in the configured zone) and re-fetch the days before it.

    Re-fetching lets upvote counts mature; unchanged pages cost a conditional GET and change nothing.
    A run for "today" is live: it checks arXiv's calendar as of `as_of` (default: the clock).
    With `send_daily` (the hf-daily deployment), the day's summaries go to daily subscribers when
    HF published a digest that day.
    """
    settings = run_settings()
    if sources is not None:  # a deployment for one source (hf-daily, arxiv-daily)
        settings = replace(
            settings,
            hf_enabled=settings.hf_enabled and HF in sources,
            arxiv_enabled=settings.arxiv_enabled and ARXIV in sources,
        )
    now = as_of or datetime.now(UTC)
    live_at = now if day is None else None
    day = check_day(day, settings, what="day") if day else _today(settings, now)
    window = settings.refresh_days if refresh_days is None else refresh_days
    days = refresh_window(day, window)
    summary = run_days(
        "ingest",
        work_items(settings, days),
        settings,
        {"day": day, "refresh_days": window},
        skip_loaded=False,
        live_at=live_at,
    )
    if send_daily:
        with connect(settings.warehouse_path) as con:
            had_digest = queries.hf_digest_loaded(con, day)
        if had_digest:
            from flows.email import send_summaries  # composing mail loads the report code: only when needed

            send_summaries(settings, Cadence.DAILY, day.isoformat())
    return summary


def _today(settings: Settings, now: datetime | None = None) -> date:
    """The digest day a run for "today" covers: today in the configured zone."""
    return (now or datetime.now(UTC)).astimezone(settings.zone).date()
