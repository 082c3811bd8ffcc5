"""Prefect flows that fetch Hugging Face digests into the warehouse: `ingest` and `backfill`.

Tasks work on batches of days (a Prefect task costs ~40 ms, so never one per
paper, nor one per page by default); each batch loads in one transaction.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import progress
from flows.archive import RawArchive
from flows.http import shared_fetcher
from flows.pages import DayOutcome, Validators, collect_day
from flows.settings import Settings
from flows.sources import HF_API, hf_kinds
from flows.summary import IngestIncomplete, IngestSummary
from warehouse import queries
from warehouse.db import connect, publish_snapshot
from warehouse.load import LoadCounts, load_pages
from warehouse.runs import finish_run, start_run


@task(name="ingest-days", cache_policy=NO_CACHE, persist_result=False)
def ingest_days(days: list[date], settings: Settings, run_id: str,
                known: dict[date, Validators]) -> IngestSummary:
    """Fetch, archive and extract a batch of HF days, then load them in one transaction."""
    kinds = hf_kinds(settings.hf_mode, settings.hf_fallback)
    archive = RawArchive(settings.raw_dir)
    fetchers = {kind: shared_fetcher(settings.fetch_policy(kind)) for kind in ("api", "page")}
    outcomes = []
    for day in days:
        outcome = collect_day(day, kinds, base_url=settings.hf_base_url, fetchers=fetchers,
                              archive=archive, known=known.get(day))
        outcomes.append(outcome)
        progress.advance(1)
        if outcome.rate_limited:
            break                        # the host asked us to stop; what we have still loads
    with connect(settings.warehouse_path) as con:
        counts = load_pages(con, [r for o in outcomes for r in o.results], run_id=run_id)
    summary = _summarise(outcomes, counts)
    summary.days_unfetched = len(days) - len(outcomes) + (1 if summary.stopped else 0)
    return summary


def _summarise(outcomes: list[DayOutcome], counts: LoadCounts) -> IngestSummary:
    # Counted per day, not per page: an API page that failed on a day the digest
    # page then loaded is a fallback (kept in quarantine for the record), not a failure.
    unloaded = [o for o in outcomes if not o.loaded and not o.rate_limited]
    quarantined = [r for o in unloaded for r in o.quarantined]
    return IngestSummary(
        pages_fetched=sum(o.fetched for o in outcomes),
        pages_not_modified=sum(o.not_modified for o in outcomes),
        pages_failed=sum(1 for o in unloaded if not o.quarantined),
        pages_quarantined=len(quarantined), pages_fallback=sum(o.fell_back for o in outcomes),
        new_papers=counts.new_papers, new_sightings=counts.new_sightings,
        updated_sightings=counts.updated_sightings,
        quarantined=[f"{r.page.url} ({r.error})" for r in quarantined],
        failed=[f for o in unloaded if not o.quarantined for f in o.failures],
        stopped=next((o.rate_limited for o in outcomes if o.rate_limited), None),
    )


def run_days(flow_name: str, days: list[date], settings: Settings, params: dict[str, Any],
             *, skip_loaded: bool) -> IngestSummary:
    """Run the batches for `days`, record the run, and raise IngestIncomplete if pages need a look.

    With `skip_loaded`, days that already hold a loaded digest are not fetched.
    """
    requested = len(days)
    with connect(settings.warehouse_path) as con:
        if skip_loaded and days:
            loaded = queries.loaded_digest_dates(con, HF_API.source, min(days), max(days),
                                                 settle_days=settings.refresh_days)
            days = [d for d in days if d not in loaded]
        known = queries.digest_validators(con, HF_API.source, min(days), max(days)) if days else {}
        run_id = start_run(con, flow_name, params)
    summary = IngestSummary(run_id=run_id, days_requested=requested, days_skipped=requested - len(days))
    progress.begin(len(days), f"{flow_name}: fetching {len(days)} day(s)")
    try:
        for start in range(0, len(days), settings.batch_days):
            if summary.stopped:
                summary.days_unfetched += len(days) - start
                break
            batch = days[start:start + settings.batch_days]
            summary.add(ingest_days(batch, settings, run_id, {d: known[d] for d in batch if d in known}))
    except BaseException as exc:
        with connect(settings.warehouse_path) as con:
            finish_run(con, run_id, status="failed", counts=summary.counters(), error=repr(exc))
        raise
    with connect(settings.warehouse_path) as con:
        finish_run(con, run_id, status="incomplete" if summary.incomplete else "completed",
                   counts=summary.counters(), error=summary.stopped)
    publish_snapshot(settings.warehouse_path)
    if summary.incomplete:
        raise IngestIncomplete(summary)
    return summary


@flow(name="backfill", validate_parameters=False)
def backfill(start: date, end: date, force: bool = False,
             overrides: dict[str, Any] | None = None) -> IngestSummary:
    """Load every HF digest day in [start, end]; days already loaded are skipped unless `force`."""
    settings = Settings.load(**(overrides or {}))
    days = [start + timedelta(n) for n in range((end - start).days + 1)]
    return run_days("backfill", days, settings, {"start": start, "end": end, "force": force},
                    skip_loaded=not force)


@flow(name="ingest", validate_parameters=False)
def ingest(day: date | None = None, refresh_days: int | None = None,
           overrides: dict[str, Any] | None = None) -> IngestSummary:
    """Fetch one digest day (default: today in the configured zone) and re-fetch the days before it.

    Re-fetching lets upvote counts mature; unchanged pages cost a conditional GET and change nothing.
    """
    settings = Settings.load(**(overrides or {}))
    day = day or datetime.now(settings.zone).date()
    window = settings.refresh_days if refresh_days is None else refresh_days
    days = [day - timedelta(n) for n in range(window, -1, -1)]
    return run_days("ingest", days, settings, {"day": day, "refresh_days": window}, skip_loaded=False)
